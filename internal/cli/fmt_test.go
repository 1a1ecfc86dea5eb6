package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func runFmt(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), append([]string{"fmt"}, args...), Env{
		Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" },
	})
	return code, out.String(), errOut.String()
}

// TestFmtCheck covers the exit codes of fmt --check and that fmt rewrites
// exactly the files that are not formatted.
func TestFmtCheck(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "access")
	unformatted := "users:\n- name: b\n- name: a # first\n"
	formatted := "users:\n  - name: a # first\n  - name: b\n"
	files := map[string]string{
		"roster.yaml":           "owner_tag: roster:owner\norder: [b, a]\n",
		"dev/environment.yaml":  "account_id: \"111122223333\"\n",
		"dev/people.yaml":       unformatted,
		"dev/team/more.yml":     formatted,
		"dev/.hidden.yaml":      unformatted,
		"dev/notes.txt":         unformatted,
		"prod/environment.yaml": "region: us-east-1\naccount_id: \"111122223333\"\n",
	}
	for name, data := range files {
		writeFile(t, filepath.Join(dir, name), data)
	}

	code, stdout, stderr := runFmt(t, "--dir", dir, "--check")
	wantList := []string{
		filepath.Join(dir, "dev", "people.yaml"),
		filepath.Join(dir, "prod", "environment.yaml"),
		filepath.Join(dir, "roster.yaml"),
	}
	if code != ExitFailure {
		t.Errorf("fmt --check on unformatted files: exit %d, want %d", code, ExitFailure)
	}
	if diff := cmp.Diff(wantList, strings.Fields(stdout)); diff != "" {
		t.Errorf("files listed by --check (-want +got):\n%s", diff)
	}
	if !strings.Contains(stderr, "3 files are not formatted") {
		t.Errorf("stderr %q lacks the count", stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "dev", "people.yaml")); string(data) != unformatted {
		t.Errorf("--check wrote a file")
	}

	if code, stdout, _ := runFmt(t, "--dir", dir); code != ExitOK || len(strings.Fields(stdout)) != 3 {
		t.Errorf("fmt: exit %d, listed %q; want 0 and the 3 files", code, stdout)
	}
	for name, want := range map[string]string{
		"dev/people.yaml":       formatted,
		"dev/.hidden.yaml":      unformatted,
		"dev/notes.txt":         unformatted,
		"roster.yaml":           "order: [b, a]\nowner_tag: roster:owner\n",
		"prod/environment.yaml": "account_id: \"111122223333\"\nregion: us-east-1\n",
	} {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		if diff := cmp.Diff(want, string(data)); diff != "" {
			t.Errorf("%s after fmt (-want +got):\n%s", name, diff)
		}
	}

	if code, stdout, stderr := runFmt(t, "--dir", dir, "--check"); code != ExitOK || stdout != "" || stderr != "" {
		t.Errorf("fmt --check after fmt: exit %d, stdout %q, stderr %q; want 0 and silence", code, stdout, stderr)
	}
}

// TestFmtCheckDiff shows what formatting would change as a unified diff,
// writes nothing with --check and still exits 1; without --check the diff is
// shown as the file is written.
func TestFmtCheckDiff(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "access")
	people := filepath.Join(dir, "dev", "people.yaml")
	writeFile(t, filepath.Join(dir, "dev", "environment.yaml"), "account_id: \"111122223333\"\n")
	writeFile(t, people, "users:\n- name: b\n- name: a # first\n")
	want := "--- " + people + " (original)\n" +
		"+++ " + people + " (formatted)\n" +
		"@@ -1,3 +1,3 @@\n" +
		" users:\n" +
		"-- name: b\n" +
		"-- name: a # first\n" +
		"+  - name: a # first\n" +
		"+  - name: b\n"

	code, stdout, stderr := runFmt(t, "--dir", dir, "--check", "--diff")
	if code != ExitFailure || !strings.Contains(stderr, "1 file is not formatted") {
		t.Errorf("fmt --check --diff: exit %d, stderr %q; want %d and the count", code, stderr, ExitFailure)
	}
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("fmt --check --diff output (-want +got):\n%s", diff)
	}
	if data, _ := os.ReadFile(people); !strings.HasPrefix(string(data), "users:\n- name: b") {
		t.Errorf("--check --diff wrote the file:\n%s", data)
	}

	if code, stdout, _ := runFmt(t, "--dir", dir, "--diff"); code != ExitOK || stdout != want {
		t.Errorf("fmt --diff: exit %d, output %q; want 0 and the same diff", code, stdout)
	}
	if code, stdout, _ := runFmt(t, "--dir", dir, "--check", "--diff"); code != ExitOK || stdout != "" {
		t.Errorf("fmt --check --diff after fmt: exit %d, output %q; want 0 and nothing", code, stdout)
	}
}

// TestFmtInvalidYAML reports a file that does not parse and still formats
// the others.
func TestFmtInvalidYAML(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "access")
	writeFile(t, filepath.Join(dir, "dev", "bad.yaml"), "users: [\n")
	writeFile(t, filepath.Join(dir, "dev", "ok.yaml"), "users:\n- name: b\n- name: a\n")
	code, _, stderr := runFmt(t, "--dir", dir)
	if code != ExitFailure || !strings.Contains(stderr, "bad.yaml") {
		t.Errorf("exit %d, stderr %q; want %d naming bad.yaml", code, stderr, ExitFailure)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "dev", "ok.yaml")); string(data) != "users:\n  - name: a\n  - name: b\n" {
		t.Errorf("ok.yaml not formatted:\n%s", data)
	}
}

// TestFmtExample checks that the bundled example is formatted.
func TestFmtExample(t *testing.T) {
	t.Parallel()
	if code, stdout, stderr := runFmt(t, "--dir", exampleDir, "--check"); code != ExitOK {
		t.Errorf("the bundled access/ is not fmt-clean (run roster fmt): exit %d\n%s%s", code, stdout, stderr)
	}
}
