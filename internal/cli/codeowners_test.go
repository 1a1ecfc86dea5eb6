package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCodeowners(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), append([]string{"codeowners"}, args...), Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
	return code, stdout.String(), stderr.String()
}

// The bundled example's CODEOWNERS carries production's reviewers.
func TestCodeownersCheckBundledExample(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCodeowners(t, "--dir", "../../access", "--file", "../../.github/CODEOWNERS", "--check")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// Writing keeps the rest of the file, and --check fails until it is written
// and again when the approvals change.
func TestCodeownersWriteAndCheck(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "access"), os.DirFS("../../access")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, ".github", "CODEOWNERS")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("/docs/ @example-corp/writers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	access := filepath.Join(root, "access")
	if code, _, stderr := runCodeowners(t, "--dir", access, "--file", file, "--check"); code != ExitFailure || !strings.Contains(stderr, "run `roster codeowners`") {
		t.Errorf("check before writing: exit %d, stderr %q; want 1 saying what to run", code, stderr)
	}
	if code, _, stderr := runCodeowners(t, "--dir", access, "--file", file); code != ExitOK {
		t.Fatalf("write: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); !strings.HasPrefix(got, "/docs/ @example-corp/writers\n") || !strings.Contains(got, "/access/production/ @example-corp/iam-admins @octocat\n") {
		t.Errorf("CODEOWNERS after writing:\n%s", got)
	}
	if code, _, stderr := runCodeowners(t, "--dir", access, "--file", file, "--check"); code != ExitOK {
		t.Errorf("check after writing: exit %d: %s", code, stderr)
	}
	if err := os.WriteFile(file, bytes.Replace(b, []byte("@octocat"), []byte("@mallory"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCodeowners(t, "--dir", access, "--file", file, "--check"); code != ExitFailure {
		t.Errorf("check of an edited block: exit %d, want 1", code)
	}
}
