package manifest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/cli"
	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/manifest"
)

// testNow is the fixed day every corpus case is validated on.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

// TestBadCorpus validates every tree under testdata/bad, each breaking one
// rule, and compares the text output of roster validate with the case's
// want.golden (paths relative to the case folder).
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

			var stdout, stderr bytes.Buffer
			code := cli.Run(context.Background(), []string{"validate", "--dir", access}, cli.Env{
				Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Now: clock,
			})
			if code != cli.ExitFailure {
				t.Errorf("roster validate exit code = %d, want %d; stderr:\n%s", code, cli.ExitFailure, stderr.String())
			}
			got := strings.ReplaceAll(stdout.String(), filepath.ToSlash(caseDir)+"/", "")
			golden.Check(t, filepath.Join(caseDir, "want.golden"), got)

			repo, diags := manifest.Load(access, manifest.WithClock(clock))
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
