package manifest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/manifest"
)

// testNow is the fixed day every corpus case is validated on.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

// TestBadCorpus validates every tree under testdata/bad, each breaking one
// rule, and compares the findings, written as roster validate writes them,
// with the case's want.golden (paths relative to the case folder).
func TestBadCorpus(t *testing.T) {
	t.Parallel()
	cases, err := os.ReadDir(filepath.Join("testdata", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 45 {
		t.Errorf("corpus has %d cases, want at least 45", len(cases))
	}
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		t.Run(c.Name(), func(t *testing.T) {
			t.Parallel()
			caseDir := filepath.Join("testdata", "bad", c.Name())
			before := hashTree(t, caseDir)
			access := filepath.Join(caseDir, "access")

			repo, diags := manifest.Load(access, manifest.WithClock(clock))
			got := strings.ReplaceAll(validateText(diags), filepath.ToSlash(caseDir)+"/", "")
			golden.Check(t, filepath.Join(caseDir, "want.golden"), got)
			if repo != nil {
				t.Errorf("Load returned a repository for an invalid tree")
			}
			if !diags.HasErrors() {
				t.Errorf("Load found no error; a bad case must break a rule:\n%s", got)
			}
			for _, d := range diags {
				if d.File == "" || d.Rule == "" || d.Message == "" {
					t.Errorf("finding without file, rule or message: %+v", d)
				}
			}
			if diff := cmp.Diff(before, hashTree(t, caseDir)); diff != "" {
				t.Errorf("validation changed the case tree (-before +after):\n%s", diff)
			}
		})
	}
}

// validateText writes the findings of an invalid tree the way roster
// validate's text format does (cli's TestValidateText holds that format):
// one line per finding, an indented hint, and the summary line.
func validateText(diags diag.List) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "%s: %s: %s\n", d.Pos, d.Severity, d.Message)
		if d.Hint != "" {
			fmt.Fprintf(&b, "  hint: %s\n", d.Hint)
		}
	}
	count := func(n int, what string) string {
		if n == 1 {
			return "1 " + what
		}
		return fmt.Sprintf("%d %ss", n, what)
	}
	fmt.Fprintf(&b, "access: invalid - %s", count(diags.Count(diag.Error), "error"))
	if n := diags.Count(diag.Warning); n > 0 {
		fmt.Fprintf(&b, ", %s", count(n, "warning"))
	}
	b.WriteString("\n")
	return b.String()
}

// hashTree returns a digest of every file, folder and link under dir except
// the golden file, so a test can prove validation wrote nothing.
func hashTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if rel == "want.golden" {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		h := sha256.New()
		h.Write([]byte(info.Mode().String()))
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			h.Write([]byte(target))
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		out[filepath.ToSlash(rel)] = hex.EncodeToString(h.Sum(nil))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
