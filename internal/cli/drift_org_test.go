package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/iamtest"
)

// TestDriftOrganization: with roster.yaml's organization block, roster drift
// reports the AWS Organization last: a sandbox account nobody covers that
// holds IAM users, and an environment whose account was suspended. Without
// the block, the same Organization goes unread.
func TestDriftOrganization(t *testing.T) {
	t.Parallel()
	const (
		mgmt    = "999999999999"
		dev     = "111111111111"
		prod    = "444444444444"
		sandbox = "222222222222"
	)
	srv := iamtest.NewServer(t, iamtest.WithClock(func() time.Time { return exampleNow }))
	o := srv.CreateOrganization(mgmt)
	o.AddAccount(iamtest.OrgAccount{ID: dev, Name: "development"})
	o.AddAccount(iamtest.OrgAccount{ID: prod, Name: "production", State: iamtest.OrgAccountSuspended})
	o.AddAccount(iamtest.OrgAccount{ID: sandbox, Name: "sandbox"})
	srv.Account(mgmt).AddRole("roster-organization-read", awsiam.OrgDriftPermissions...)
	srv.Account(mgmt).AddRole("roster-plan", awsiam.ReadPermissions...)
	for _, id := range []string{dev, prod, sandbox} {
		srv.Account(id).AddRole("roster-plan", slices.Concat(awsiam.ReadPermissions, awsiam.PerUserReadPermissions, awsiam.CredentialReportPermissions)...)
	}
	srv.Account(sandbox).PutUser(iamtest.User{Name: "adhoc-admin", CreateDate: exampleNow.AddDate(0, -2, 0)})
	envFile := func(id string) string {
		return "account_id: \"" + id + "\"\nrole_arn: arn:aws:iam::" + id + ":role/roster-plan\n"
	}
	files := map[string]string{
		"development/environment.yaml": envFile(dev),
		"production/environment.yaml":  envFile(prod),
	}
	run := func(dir string) (int, string) {
		vars := srv.Env(dev)
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), []string{"drift", "--dir", dir, "--format", "json"}, Env{
			Stdout: &stdout, Stderr: &stderr,
			Getenv: func(k string) string { return vars[k] },
			Now:    func() time.Time { return exampleNow },
		})
		if stderr.Len() > 0 {
			t.Logf("stderr: %s", stderr.String())
		}
		return code, stdout.String()
	}
	type finding struct{ Kind, Subject string }
	orgFindings := func(out string) []finding {
		t.Helper()
		var doc struct {
			Environments []struct {
				Name         string
				Organization bool
				Findings     []finding
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("drift JSON: %v\n%s", err, out)
		}
		var got []finding
		for _, e := range doc.Environments {
			if e.Organization {
				got = append(got, e.Findings...)
			}
		}
		return got
	}

	code, out := run(writeAccess(t, files))
	if got := orgFindings(out); code != ExitOK || got != nil {
		t.Errorf("without the organization block: exit %d, organization findings %v; want 0 and none", code, got)
	}

	files["roster.yaml"] = "organization:\n  management_role_arn: arn:aws:iam::" + mgmt + ":role/roster-organization-read\n"
	code, out = run(writeAccess(t, files))
	want := []finding{{"account-inactive", prod}, {"uncovered-account", sandbox}}
	if diff := cmp.Diff(want, orgFindings(out)); diff != "" || code != ExitOK {
		t.Errorf("with the organization block: exit %d, findings (-want +got):\n%s", code, diff)
	}

	// A management role that may not list the accounts leaves the
	// environments' drift as it was and says so in one finding.
	srv.Account(mgmt).AddRole("roster-organization-read", "iam:List*")
	code, out = run(writeAccess(t, files))
	want = []finding{{"organization-unread", mgmt}}
	if diff := cmp.Diff(want, orgFindings(out)); diff != "" || code != ExitOK {
		t.Errorf("with a management role that may not list accounts: exit %d, findings (-want +got):\n%s", code, diff)
	}
}
