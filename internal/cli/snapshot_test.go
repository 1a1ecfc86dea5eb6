package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/state"
)

// TestSnapshotCredentialReport: `roster snapshot --credential-report`
// reads the live state and the credential report with the plan role (the
// published plan policy allows both; drift never holds the apply role),
// and `roster drift --live` then reports the hygiene findings the report
// shows; without the flag the snapshot has no report
// and drift reports less.
func TestSnapshotCredentialReport(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t, iamtest.WithClock(func() time.Time { return exampleNow }))
	a := srv.Account("444444444444")
	a.AddRole("roster-plan", slices.Concat(awsiam.ReadPermissions, awsiam.CredentialReportPermissions)...)
	a.AddRole("roster-apply")
	a.PutUser(iamtest.User{Name: "alice", CreateDate: exampleNow.AddDate(-1, 0, 0),
		Tags:       []iamtest.Tag{{Key: "roster:managed", Value: "true"}},
		AccessKeys: []iamtest.AccessKey{{CreateDate: exampleNow.AddDate(0, 0, -200)}}})
	dir := writeAccess(t, map[string]string{
		"production/environment.yaml": `account_id: "444444444444"
role_arn: arn:aws:iam::444444444444:role/roster-apply
plan_role_arn: arn:aws:iam::444444444444:role/roster-plan
guardrails:
  max_access_key_age_days: 90
`,
		"production/people.yaml": "users:\n  - name: alice\n",
	})
	run := func(args ...string) (int, string, string) {
		vars := srv.Env(iamtest.DefaultAccountID)
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), args, Env{
			Stdout: &stdout, Stderr: &stderr,
			Getenv: func(k string) string { return vars[k] },
			Now:    func() time.Time { return exampleNow },
		})
		return code, stdout.String(), stderr.String()
	}
	for _, tc := range []struct {
		name  string
		flags []string
		want  []string // hygiene kinds drift reports for alice
	}{
		{"without the report", nil, []string{"person-key", "key-age"}},
		{"with the report", []string{"--credential-report"}, []string{"person-key", "key-age", "unused-key"}},
	} {
		live := t.TempDir()
		file := filepath.Join(live, "production.json")
		args := append([]string{"snapshot", "--dir", dir, "--env", "production", "--out", file}, tc.flags...)
		if code, _, stderr := run(args...); code != ExitOK {
			t.Fatalf("%s: snapshot exit %d: %s", tc.name, code, stderr)
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := state.ReadSnapshot(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := snap.CredentialReport != nil; got != (tc.flags != nil) {
			t.Errorf("%s: snapshot has a credential report: %v", tc.name, got)
		}
		code, stdout, stderr := run("drift", "--dir", dir, "--live", live)
		if code != ExitOK {
			t.Fatalf("%s: drift exit %d: %s", tc.name, code, stderr)
		}
		for _, kind := range []string{"person-key", "key-age", "unused-key"} {
			want := strings.Contains(strings.Join(tc.want, " "), kind)
			if got := strings.Contains(stdout, " "+kind+" user alice"); got != want {
				t.Errorf("%s: drift reports %s: %v, want %v\n%s", tc.name, kind, got, want, stdout)
			}
		}
	}
}
