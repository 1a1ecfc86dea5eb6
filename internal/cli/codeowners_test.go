package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/approval"
	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/manifest"
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

// validate warns about production without approvals and about a CODEOWNERS
// block that is missing or stale; the loader does neither.
func TestValidateApprovalWarnings(t *testing.T) {
	t.Parallel()
	const account = `account_id: "444444444444"` + "\n"
	const approvals = "approvals:\n  required: 1\n  reviewers: [octocat]\n"
	tests := []struct {
		name  string
		files map[string]string
		// codeowners, when set, is written by roster codeowners to this
		// path under the repository root, then changed by edit.
		codeowners string
		edit       func(string) string
		// nested puts access/ under iam/ with .git at the root.
		nested bool
		want   []string
	}{
		{name: "production without approvals", files: map[string]string{"production/environment.yaml": account}, want: []string{ruleProductionNoApprovals + " production/environment.yaml"}},
		{name: "prod without approvals", files: map[string]string{"prod/environment.yaml": account}, want: []string{ruleProductionNoApprovals + " prod/environment.yaml"}},
		{name: "marked production", files: map[string]string{"live/environment.yaml": account + "production: true\n"}, want: []string{ruleProductionNoApprovals + " live/environment.yaml"}},
		{name: "production: false", files: map[string]string{"production/environment.yaml": account + "production: false\n"}},
		{name: "not production, no approvals, no CODEOWNERS", files: map[string]string{"staging/environment.yaml": account}},
		{name: "approvals without CODEOWNERS", files: map[string]string{"production/environment.yaml": account + approvals}, want: []string{ruleCodeownersStale + " .github/CODEOWNERS"}},
		{name: "approvals with their block", files: map[string]string{"production/environment.yaml": account + approvals}, codeowners: ".github/CODEOWNERS"},
		{name: "a block at the root, which GitHub reads when .github has none", files: map[string]string{"production/environment.yaml": account + approvals}, codeowners: "CODEOWNERS"},
		{name: "a nested access folder, with the block at the repository root", files: map[string]string{"production/environment.yaml": account + approvals}, codeowners: ".github/CODEOWNERS", nested: true},
		{
			name: "a stale block", files: map[string]string{"production/environment.yaml": account + approvals}, codeowners: ".github/CODEOWNERS",
			edit: func(s string) string { return strings.Replace(s, "@octocat", "@mallory", 1) }, want: []string{ruleCodeownersStale + " .github/CODEOWNERS"},
		},
		{
			name: "a rule after the block", files: map[string]string{"production/environment.yaml": account + approvals}, codeowners: ".github/CODEOWNERS",
			edit: func(s string) string { return s + "/access/ @mallory\n" }, want: []string{ruleCodeownersStale + " .github/CODEOWNERS"},
		},
		{
			name: "approvals removed, block left", files: map[string]string{"staging/environment.yaml": account}, codeowners: ".github/CODEOWNERS",
			edit: func(string) string {
				return approval.BlockBegin + "\n/access/staging/ @octocat\n" + approval.BlockEnd + "\n"
			}, want: []string{ruleCodeownersStale + " .github/CODEOWNERS"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			access := filepath.Join(root, "access")
			if tc.nested {
				access = filepath.Join(root, "iam", "access")
				if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for rel, content := range tc.files {
				writeFile(t, filepath.Join(access, filepath.FromSlash(rel)), content)
			}
			if tc.codeowners != "" {
				file := filepath.Join(root, filepath.FromSlash(tc.codeowners))
				if code, _, stderr := runCodeowners(t, "--dir", access, "--file", file); code != ExitOK {
					t.Fatalf("roster codeowners: exit %d: %s", code, stderr)
				}
				if tc.edit != nil {
					b, err := os.ReadFile(file)
					if err != nil {
						t.Fatal(err)
					}
					writeFile(t, file, tc.edit(string(b)))
				}
			}
			code, stdout, stderr := runValidate(t, "--dir", access, "--format", "json")
			if code != ExitOK {
				t.Fatalf("validate: exit %d (warnings never fail)\n%s%s", code, stdout, stderr)
			}
			var out struct{ Diagnostics diag.List }
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range out.Diagnostics {
				rel, err := filepath.Rel(root, d.File)
				if err != nil {
					t.Fatal(err)
				}
				rel = strings.TrimPrefix(filepath.ToSlash(rel), "iam/")
				got = append(got, d.Rule+" "+strings.TrimPrefix(rel, "access/"))
				if d.Severity != diag.Warning || d.Hint == "" {
					t.Errorf("%s: severity %s, hint %q; want a warning saying what to do", d.Rule, d.Severity, d.Hint)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// The bundled example gives production approvals and carries their
// CODEOWNERS block: validate has nothing to say about approvals.
func TestValidateBundledExampleApprovals(t *testing.T) {
	t.Parallel()
	repo, diags := manifest.Load("../../access")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := approvalWarnings(repo, "../../access"); len(got) != 0 {
		t.Errorf("approval warnings on the bundled example: %v", got)
	}
}
