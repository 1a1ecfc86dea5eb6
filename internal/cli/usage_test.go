package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrors: a mistake on the command line prints the message, the
// command's one-line usage and where to read more, never the whole help.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"plan", "--bogus"}, []string{"flag provided but not defined: -bogus", "Usage: roster plan [--dir DIR]", "Run 'roster plan --help' for details."}},
		{[]string{"import"}, []string{"roster: import needs --env NAME", "Usage: roster import --env NAME", "Run 'roster import --help' for details."}},
		{[]string{"validate", "extra"}, []string{`validate takes no arguments`, "Usage: roster validate"}},
		{[]string{"nope"}, []string{`roster: unknown command "nope"`, "Run 'roster --help' for the commands"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runWith(t, nil, tt.args...)
			if code != ExitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want exit 2 and nothing on stdout", code, stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "Flags:") || strings.Contains(stderr, "Commands:") || strings.Count(stderr, "\n") > 4 {
				t.Errorf("a usage error printed the whole help:\n%s", stderr)
			}
		})
	}
	// --help still prints it all, on stdout.
	code, stdout, _ := runWith(t, nil, "plan", "--help")
	if code != ExitOK || !strings.Contains(stdout, "Flags:") || !strings.Contains(stdout, "Exit status") {
		t.Errorf("plan --help: exit %d\n%s", code, stdout)
	}
}

func TestVersionFlags(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-v", "--version", "version"} {
		code, stdout, stderr := runWith(t, nil, arg)
		if code != ExitOK || !strings.HasPrefix(stdout, "roster ") || stderr != "" {
			t.Errorf("roster %s: exit %d, stdout %q, stderr %q", arg, code, stdout, stderr)
		}
	}
}

// TestNoEnvironments: a folder without environments is not a valid tree
// that manages nothing, for validate and for plan.
func TestNoEnvironments(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "access")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "roster.yaml"), "order: []\n")
	code, stdout, _ := runWith(t, nil, "validate", "--dir", dir)
	if code != ExitFailure || !strings.Contains(stdout, "error: no environments") || !strings.Contains(stdout, "roster init") ||
		!strings.HasSuffix(stdout, "invalid - 1 error\n") {
		t.Errorf("validate: exit %d\n%s", code, stdout)
	}
	code, stdout, stderr := runWith(t, nil, "plan", "--dir", dir, "--live", t.TempDir())
	if code != ExitFailure || strings.Contains(stdout, "No changes") || !strings.Contains(stderr, "no environments") ||
		!strings.Contains(stderr, "is invalid (1 error above)") {
		t.Errorf("plan: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, _, stderr = runWith(t, nil, "import", "--dir", dir, "--env", "production", "--live", t.TempDir())
	if code != ExitFailure || !strings.Contains(stderr, "roster init --dir") {
		t.Errorf("import into a tree without environments: exit %d\n%s", code, stderr)
	}
}

func TestImportUnknownEnvironment(t *testing.T) {
	t.Parallel()
	dir := importTree(t, "", "")
	code, _, stderr := runWith(t, nil, "import", "--dir", dir, "--env", "production", "--live", t.TempDir())
	want := "unknown environment production (the repository has development); to add it, write " + filepath.ToSlash(filepath.Join(dir, "production", "environment.yaml"))
	if code != ExitUsage || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant %q", code, stderr, want)
	}
}

// TestInitAddsAnEnvironment: the advice of import's unknown-environment
// error works on an existing tree: init keeps roster.yaml and adds the
// folder.
func TestInitAddsAnEnvironment(t *testing.T) {
	t.Parallel()
	dir := importTree(t, "order: [development]\n", "")
	code, stdout, stderr := runWith(t, nil, "init", "--dir", dir, "--env", "production="+orgProd)
	if code != ExitOK || !strings.Contains(stdout, "kept "+filepath.ToSlash(filepath.Join(dir, "roster.yaml"))) {
		t.Fatalf("init: exit %d\n%s%s", code, stdout, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "roster.yaml")); string(data) != "order: [development]\n" {
		t.Errorf("roster.yaml changed:\n%s", data)
	}
	if code, out, _ := runWith(t, nil, "validate", "--dir", dir); code != ExitOK || !strings.Contains(out, "valid - 2 environments") {
		t.Errorf("validate: exit %d\n%s", code, out)
	}
}
