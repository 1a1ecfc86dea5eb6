package format_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/format"
)

// kindOf guesses a file's kind from its name, as Dir decides it from its
// place in the tree.
func kindOf(path string) format.Kind {
	switch filepath.Base(path) {
	case "roster.yaml":
		return format.Config
	case "environment.yaml":
		return format.Environment
	default:
		return format.Manifest
	}
}

// TestCorpus formats every YAML file of the manifest test corpus (good and
// bad trees) and the bundled example: formatting must be idempotent and
// must not change any value, whatever the file holds.
func TestCorpus(t *testing.T) {
	t.Parallel()
	var files []string
	for _, root := range []string{"../manifest/testdata", "../../access", "../action/testdata"} {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) < 50 {
		t.Fatalf("found only %d files", len(files))
	}
	for _, p := range files {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		once, err := format.Source(kindOf(p), src)
		if err != nil {
			continue // the corpus holds broken YAML on purpose
		}
		twice, err := format.Source(kindOf(p), once)
		if err != nil {
			t.Errorf("%s: formatted output does not parse: %v\n%s", p, err, once)
			continue
		}
		if diff := cmp.Diff(string(once), string(twice)); diff != "" {
			t.Errorf("%s: not idempotent (-once +twice):\n%s", p, diff)
		}
		if diff := cmp.Diff(canonical(t, string(src)), canonical(t, string(once))); diff != "" {
			t.Errorf("%s: values changed (-before +after):\n%s", p, diff)
		}
	}
}

func FuzzSource(f *testing.F) {
	for _, p := range []string{"testdata/manifest.in.yaml", "testdata/environment.in.yaml", "testdata/roster.in.yaml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("users:\n- name: b\n  tags: {z: 1, a: 2}\n- name: a\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		once, err := format.Source(format.Manifest, src)
		if err != nil {
			return
		}
		twice, err := format.Source(format.Manifest, once)
		if err != nil {
			t.Fatalf("formatted output does not parse: %v\n%q", err, once)
		}
		if string(once) != string(twice) {
			t.Fatalf("not idempotent:\n%q\n%q", once, twice)
		}
		if diff := cmp.Diff(canonical(t, string(src)), canonical(t, string(once))); diff != "" {
			t.Fatalf("values changed:\n%s\n%q\n%q", diff, src, once)
		}
	})
}
