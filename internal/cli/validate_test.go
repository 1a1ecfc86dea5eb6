package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/manifest"
)

var validateNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// validTree is a small valid access tree with one warning (an expired user).
var validTree = map[string]string{
	"roster.yaml":                  "order: [development, production]\n",
	"development/environment.yaml": `account_id: "111111111111"` + "\n",
	"development/people.yaml": `groups:
  - name: developers
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
users:
  - name: alice
    groups: [developers]
  - name: bob
    expires: 2026-01-31
service_accounts:
  - name: ci
    owner: platform
`,
	"production/environment.yaml": `account_id: "444444444444"` + "\n",
	"production/people.yaml":      "users:\n  - name: alice\n",
}

// trickyTree is invalid, with file names and messages holding every
// character workflow commands must escape.
var trickyTree = map[string]string{
	"production/environment.yaml": `account_id: "444444444444"` + "\n",
	// Property values must escape ":" and ","; "%" everywhere.
	"production/a,b:c%d.yaml": "users:\n  - name: \"50% off, now: yes\"\n",
	// The hint adds a newline to the message.
	"production/people.yaml": "users:\n  - name: alice\n    consle: true\n",
	// A carriage return inside a quoted value ends up in the message.
	"production/more.yaml": "users:\n  - name: \"bad\\rname\"\n",
}

func writeAccess(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "access")
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runValidate(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), append([]string{"validate"}, args...), Env{
		Stdout: &out,
		Stderr: &errOut,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return validateNow },
	})
	return code, out.String(), errOut.String()
}

func TestValidateExitCodes(t *testing.T) {
	t.Parallel()
	valid := writeAccess(t, validTree)
	invalid := writeAccess(t, trickyTree)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"valid tree", []string{"--dir", valid}, ExitOK},
		{"valid tree as json", []string{"--dir", valid, "--format", "json"}, ExitOK},
		{"valid tree for github", []string{"--dir", valid, "--format", "github"}, ExitOK},
		{"invalid tree", []string{"--dir", invalid}, ExitFailure},
		{"invalid tree as json", []string{"--dir", invalid, "--format=json"}, ExitFailure},
		{"invalid tree for github", []string{"--dir", invalid, "--format", "github"}, ExitFailure},
		{"missing directory", []string{"--dir", filepath.Join(t.TempDir(), "nowhere")}, ExitFailure},
		{"unknown format", []string{"--dir", valid, "--format", "xml"}, ExitUsage},
		{"unknown flag", []string{"--dri", valid}, ExitUsage},
		{"extra argument", []string{"--dir", valid, "production"}, ExitUsage},
		{"help", []string{"--help"}, ExitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runValidate(t, tc.args...)
			if code != tc.want {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, stdout, stderr)
			}
		})
	}
}

func TestValidateText(t *testing.T) {
	t.Parallel()
	valid := writeAccess(t, validTree)
	tests := []struct {
		name string
		dir  string
		want string
	}{
		{
			name: "valid without findings: exactly one line",
			dir: writeAccess(t, map[string]string{
				"staging/environment.yaml": `account_id: "444444444444"` + "\n",
				"staging/people.yaml":      "users:\n  - name: alice\n",
			}),
			want: "DIR: valid - 1 environment, 1 person, 0 service accounts, 0 groups\n",
		},
		{
			name: "valid with a warning",
			dir:  valid,
			want: "DIR/development/people.yaml:8:14: warning: user \"bob\" expired on 2026-01-31 and will be removed by the next apply or expire run\n" +
				"  hint: keep the entry until the user is deleted (removing it does not offboard anyone), or move expires to a later date if the access is still needed\n" +
				"DIR/production/environment.yaml:1:1: warning: environment \"production\" is production but sets no approvals: roster applies any merge that branch protection allows\n" +
				"  hint: add approvals (required, reviewers) to its environment.yaml and run roster codeowners; or set production: false if it is not production\n" +
				"DIR: valid - 2 environments, 2 people, 1 service account, 1 group (2 warnings)\n",
		},
		{
			name: "invalid",
			dir:  writeAccess(t, map[string]string{"production/environment.yaml": "account_id: 444444444444\n"}),
			want: "DIR/production/environment.yaml:1:13: error: account_id must be a quoted string, or YAML reads it as a number\n" +
				"  hint: quote it: account_id: \"444444444444\"\n" +
				"DIR: invalid - 1 error\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, stdout, stderr := runValidate(t, "--dir", tc.dir)
			got := strings.ReplaceAll(stdout, filepath.ToSlash(tc.dir), "DIR")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
			if stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

// commandRE is the workflow command grammar for annotations:
// ::error|warning[ key=value(,key=value)*]::message, where values escape
// % \r \n : and , and the message escapes % \r \n.
var (
	commandRE  = regexp.MustCompile(`^::(error|warning)(?: ([^:]*))?::(.*)$`)
	propertyRE = regexp.MustCompile(`^(file|line|col|title)=((?:[^%,:\r\n]|%25|%0D|%0A|%3A|%2C)*)$`)
	messageRE  = regexp.MustCompile(`^(?:[^%\r\n]|%25|%0D|%0A)*$`)
)

func unescape(s string) string {
	return strings.NewReplacer("%25", "%", "%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",").Replace(s)
}

// parseCommand parses one annotation line strictly.
func parseCommand(line string) (diag.Diagnostic, error) {
	m := commandRE.FindStringSubmatch(line)
	if m == nil {
		return diag.Diagnostic{}, fmt.Errorf("not a workflow command")
	}
	if !messageRE.MatchString(m[3]) {
		return diag.Diagnostic{}, fmt.Errorf("message is not escaped: %q", m[3])
	}
	d := diag.Diagnostic{Severity: diag.Severity(m[1])}
	msg, hint, _ := strings.Cut(unescape(m[3]), "\nhint: ")
	d.Message, d.Hint = msg, hint
	seen := map[string]bool{}
	for _, p := range strings.Split(m[2], ",") {
		pm := propertyRE.FindStringSubmatch(p)
		if pm == nil {
			return diag.Diagnostic{}, fmt.Errorf("bad property %q", p)
		}
		if seen[pm[1]] {
			return diag.Diagnostic{}, fmt.Errorf("property %s twice", pm[1])
		}
		seen[pm[1]] = true
		v := unescape(pm[2])
		switch pm[1] {
		case "file":
			d.File = v
		case "line", "col":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return diag.Diagnostic{}, fmt.Errorf("%s=%q is not a positive number", pm[1], v)
			}
			if pm[1] == "line" {
				d.Line = n
			} else {
				d.Col = n
			}
		case "title":
			rule, ok := strings.CutPrefix(v, "roster: ")
			if !ok {
				return diag.Diagnostic{}, fmt.Errorf("title %q does not name the rule", v)
			}
			d.Rule = rule
		}
	}
	if !seen["file"] || !seen["title"] {
		return diag.Diagnostic{}, fmt.Errorf("file or title missing")
	}
	return d, nil
}

// validateFindings is what validate reports for dir: the loader's
// findings, and for a valid tree the approvals warnings.
func validateFindings(t *testing.T, dir string) diag.List {
	t.Helper()
	repo, diags := manifest.Load(dir, manifest.WithClock(func() time.Time { return validateNow }))
	if !diags.HasErrors() {
		diags = append(diags, approvalWarnings(repo, dir)...)
	}
	return diags
}

func TestValidateGitHub(t *testing.T) {
	t.Parallel()
	for _, tree := range []map[string]string{trickyTree, validTree} {
		dir := writeAccess(t, tree)
		want := validateFindings(t, dir)
		code, stdout, stderr := runValidate(t, "--dir", dir, "--format", "github")
		if want.HasErrors() != (code == ExitFailure) {
			t.Errorf("exit code %d for findings %v", code, want)
		}
		if !strings.HasSuffix(stdout, "\n") {
			t.Errorf("output does not end with a newline: %q", stdout)
		}
		var got diag.List
		for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
			d, err := parseCommand(line)
			if err != nil {
				t.Errorf("line %q: %v", line, err)
				continue
			}
			got = append(got, d)
		}
		if diff := cmp.Diff([]diag.Diagnostic(want), []diag.Diagnostic(got)); diff != "" {
			t.Errorf("annotations do not round-trip (-want +got):\n%s", diff)
		}
		if n := strings.Count(stderr, "\n"); n != 1 || !strings.HasPrefix(stderr, filepath.ToSlash(dir)+": ") {
			t.Errorf("stderr = %q, want one summary line", stderr)
		}
	}
}

// TestParseCommandRejects proves the grammar catches unescaped output.
func TestParseCommandRejects(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		"::error file=a:b.yaml,title=roster%3A x::m",
		"::error file=a,b.yaml,title=roster%3A x::m",
		"::error file=a.yaml,title=roster%3A x::50% off",
		"::error file=a.yaml,line=0,title=roster%3A x::m",
		"::notice file=a.yaml,title=roster%3A x::m",
		"::error file=a.yaml,title=roster%3A x,file=b::m",
		"plain text",
	} {
		if _, err := parseCommand(line); err == nil {
			t.Errorf("parseCommand(%q) accepted a malformed command", line)
		}
	}
}

func TestValidateJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		tree        map[string]string
		wantValid   bool
		wantSummary validateSummary
	}{
		{"valid", validTree, true, validateSummary{Environments: 2, People: 2, ServiceAccounts: 1, Groups: 1, Warnings: 2}},
		{"invalid", trickyTree, false, validateSummary{Errors: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := writeAccess(t, tc.tree)
			wantDiags := validateFindings(t, dir)
			_, stdout, _ := runValidate(t, "--dir", dir, "--format", "json")
			var got struct {
				Valid       *bool            `json:"valid"`
				Summary     *validateSummary `json:"summary"`
				Diagnostics diag.List        `json:"diagnostics"`
			}
			dec := json.NewDecoder(strings.NewReader(stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("output is not the documented JSON: %v\n%s", err, stdout)
			}
			if got.Valid == nil || *got.Valid != tc.wantValid {
				t.Errorf("valid = %v, want %v", got.Valid, tc.wantValid)
			}
			if diff := cmp.Diff(&tc.wantSummary, got.Summary); diff != "" {
				t.Errorf("summary mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantDiags, got.Diagnostics); diff != "" {
				t.Errorf("diagnostics do not round-trip (-want +got):\n%s", diff)
			}
			if !strings.Contains(stdout, `"diagnostics": [`) {
				t.Errorf("diagnostics is not a list: %s", stdout)
			}
		})
	}
}

// TestValidateTextEscapesControls: a file whose name holds a line break and
// a workflow command, or bidirectional and zero-width characters, cannot
// forge a line of roster's text output: a runner reading the log sees no
// command, and a reviewer sees the characters as escapes.
func TestValidateTextEscapesControls(t *testing.T) {
	t.Parallel()
	dir := writeAccess(t, map[string]string{
		"production/environment.yaml":                          `account_id: "444444444444"` + "\n",
		"production/x\n::warning file=a::forged\r\x1b[2K.yaml": "users:\n  - name: alice\n    consle: true\n",
		"production/evil\u202egnp.\u200bpeople.yaml":           "users:\n  - name: bob\n    consle: true\n",
	})
	code, stdout, stderr := runValidate(t, "--dir", dir)
	if code != ExitFailure {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, ExitFailure, stderr)
	}
	for _, line := range strings.Split(stdout+stderr, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "::") {
			t.Errorf("a file name forged a workflow command line: %q", line)
		}
	}
	for _, bad := range []string{"\r", "\x1b", "\u202e", "\u200b"} {
		if strings.Contains(stdout+stderr, bad) {
			t.Errorf("output holds the raw character %q:\n%s", bad, stdout)
		}
	}
	for _, want := range []string{`x\n::warning file=a::forged\r\u001b[2K.yaml`, `evil\u202egnp.\u200bpeople.yaml`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks the escaped name %q:\n%s", want, stdout)
		}
	}
}
