package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/state"
)

// exampleNow is the day the bundled example snapshots were taken.
var exampleNow = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

const (
	exampleDir  = "../../access"
	exampleLive = "../../examples/live"
)

func runDrift(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), append([]string{"drift"}, args...), Env{
		Stdout: &out,
		Stderr: &errOut,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return exampleNow },
	})
	return code, out.String(), errOut.String()
}

// TestDriftExample: the bundled example against its snapshots shows the
// drift the README describes, in every format.
func TestDriftExample(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "markdown", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runDrift(t, "--dir", exampleDir, "--live", exampleLive, "--format", format)
			if code != ExitOK {
				t.Fatalf("exit code %d\n%s", code, stderr)
			}
			golden.File(t, "drift-example."+format+".golden", stdout)
		})
	}
}

// TestDriftExampleStable: two runs over the same live state leave the same
// state in the issue bodies, so the Action posts no comment.
func TestDriftExampleStable(t *testing.T) {
	t.Parallel()
	states := func() []*drift.State {
		code, stdout, stderr := runDrift(t, "--dir", exampleDir, "--live", exampleLive, "--format", "markdown")
		if code != ExitOK {
			t.Fatalf("exit code %d\n%s", code, stderr)
		}
		var out []*drift.State
		for _, body := range strings.Split(stdout, "\n---\n\n") {
			s, err := drift.DecodeState(body)
			if err != nil {
				t.Fatalf("%v in\n%s", err, body)
			}
			out = append(out, s)
		}
		return out
	}
	first, second := states(), states()
	if len(first) != 4 {
		t.Fatalf("got %d issue bodies, want one per environment (4)", len(first))
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("state changed between runs (-first +second):\n%s", diff)
	}
}

// cleanTree is an access tree and a snapshot directory that match.
func cleanTree(t *testing.T) (dir, live string) {
	t.Helper()
	return treeWithReport(t, nil)
}

// treeWithReport is cleanTree with a credential report in the snapshot.
func treeWithReport(t *testing.T, report *state.CredentialReport) (dir, live string) {
	t.Helper()
	dir = writeAccess(t, map[string]string{
		"production/environment.yaml": `account_id: "444444444444"` + "\n",
		"production/people.yaml":      "users:\n  - name: alice\n",
	})
	live = t.TempDir()
	var buf bytes.Buffer
	snap := &state.Snapshot{Environment: "production", TakenAt: exampleNow, Account: &state.Account{
		AccountID: "444444444444",
		Users: map[string]*state.User{"alice": {
			Name: "alice", Path: "/", ARN: "arn:aws:iam::444444444444:user/alice",
			Access: state.Access{Tags: map[string]string{"roster:managed": "true"}}, Details: state.LoginProfile | state.Credentials,
		}},
		Groups: map[string]*state.Group{},
	}, CredentialReport: report}
	if err := state.WriteSnapshot(&buf, snap); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(live, "production.json"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, live
}

func TestDriftExitCodes(t *testing.T) {
	t.Parallel()
	clean, cleanLive := cleanTree(t)
	// No drift, but alice has an active access key nobody has used.
	stale := exampleNow.AddDate(-1, 0, 0)
	hygieneOnly, hygieneLive := treeWithReport(t, &state.CredentialReport{GeneratedAt: exampleNow, Users: []state.CredentialReportUser{
		{User: "alice", Created: stale, AccessKeys: []state.CredentialReportKey{{Number: 1, Active: true, LastRotated: stale}}},
	}})
	invalid := writeAccess(t, trickyTree)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"drift", []string{"--dir", exampleDir, "--live", exampleLive}, ExitOK},
		{"drift, detailed", []string{"--dir", exampleDir, "--live", exampleLive, "--detailed-exitcode"}, ExitUsage},
		{"drift in one environment, detailed", []string{"--dir", exampleDir, "--live", exampleLive, "--env", "testing", "--detailed-exitcode"}, ExitUsage},
		{"no drift, detailed", []string{"--dir", clean, "--live", cleanLive, "--detailed-exitcode"}, ExitOK},
		{"no drift as json, detailed", []string{"--dir", clean, "--live", cleanLive, "--format", "json", "--detailed-exitcode"}, ExitOK},
		{"hygiene findings only", []string{"--dir", hygieneOnly, "--live", hygieneLive}, ExitOK},
		{"hygiene findings only, detailed", []string{"--dir", hygieneOnly, "--live", hygieneLive, "--detailed-exitcode"}, ExitUsage},
		{"missing snapshot", []string{"--dir", exampleDir, "--live", t.TempDir()}, ExitFailure},
		{"invalid manifests", []string{"--dir", invalid, "--live", exampleLive}, ExitFailure},
		{"unknown environment", []string{"--dir", exampleDir, "--live", exampleLive, "--env", "qa"}, ExitUsage},
		{"unknown format", []string{"--dir", exampleDir, "--live", exampleLive, "--format", "html"}, ExitUsage},
		{"extra argument", []string{"--dir", exampleDir, "production"}, ExitUsage},
		{"help", []string{"--help"}, ExitOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runDrift(t, tc.args...)
			if code != tc.want {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.want, stdout, stderr)
			}
		})
	}
}

func TestDriftOutput(t *testing.T) {
	t.Parallel()
	clean, cleanLive := cleanTree(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "no drift",
			args: []string{"--dir", clean, "--live", cleanLive},
			want: "production (account 444444444444) [production]\n  No drift.\n\nNo drift. Live IAM matches the repository.\n",
		},
		{
			name: "one environment",
			args: []string{"--dir", exampleDir, "--live", exampleLive, "--env", "testing"},
			want: "testing (account 222222222222)\n\n" +
				"  medium unused-key service account test-automation\n" +
				"      active access key AKIAEC073E2053F14FEF1 of service account `test-automation` has never been used since it was created 110 days ago (2026-08-01)\n" +
				"      fix:     deactivate it, and delete it if nothing breaks: an unused key is only a risk\n\n" +
				"  low    changed user keiko.tanaka\n" +
				"      tag `team` of user `keiko.tanaka` is `qa-legacy` in AWS but `quality-engineering` in the manifests\n" +
				"      restore: apply by hand (the apply workflow with `environments: testing`, or `roster apply --env testing`) to set it back to `quality-engineering`\n" +
				"      accept:  set `team: qa-legacy` in `tags` of user `keiko.tanaka` in `../../access/testing/quality-engineering.yaml:9`\n\n" +
				"  2 findings: 0 high, 1 medium, 1 low.\n\n" +
				"Drift: 2 findings in 1 environment (0 high, 1 medium, 1 low).\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runDrift(t, tc.args...)
			if code != ExitOK {
				t.Fatalf("exit code %d\n%s", code, stderr)
			}
			if diff := cmp.Diff(tc.want, stdout); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}
