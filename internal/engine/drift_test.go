package engine

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/hygiene"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

type hygieneRow struct{ Env, Severity, Kind, Subject string }

func hygieneRows(reports []*drift.Report) []hygieneRow {
	var out []hygieneRow
	for _, r := range reports {
		for _, f := range r.Findings {
			if hygiene.Is(f.Kind) {
				out = append(out, hygieneRow{r.Environment, string(f.Severity), string(f.Kind), f.Subject})
			}
		}
	}
	return out
}

// exampleHygiene is what the bundled example's credential reports show.
var exampleHygiene = []hygieneRow{
	{"development", "medium", "person-key", "daniel.kim"},
	{"development", "low", "unused-password", "sofia.alvarez"},
	{"testing", "medium", "unused-key", "test-automation"},
	{"staging", "high", "no-mfa", "nadia.petrova"},
	{"production", "high", "key-age", "ci-deployer"},
	{"production", "high", "key-age", "legacy-reporting"},
	{"production", "high", "unused-key", "legacy-reporting"},
}

// TestDriftExampleHygiene: drift over the bundled snapshots adds exactly
// the hygiene findings their credential reports were built to show, beside
// the drift, and the leaver and the ignored break-glass user stay quiet.
func TestDriftExampleHygiene(t *testing.T) {
	t.Parallel()
	repo := loadExample(t)
	reports, err := Drift(context.Background(), repo, repo.Environments, &SnapshotSource{Dir: exampleLiveDir}, exampleNow)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(exampleHygiene, hygieneRows(reports)); diff != "" {
		t.Errorf("hygiene findings (-want +got):\n%s", diff)
	}
	for _, r := range reports {
		if !slices.ContainsFunc(r.Findings, func(f drift.Finding) bool { return !hygiene.Is(f.Kind) }) {
			t.Errorf("%s: no drift findings beside the hygiene ones", r.Environment)
		}
		for _, n := range r.Notes {
			if strings.Contains(n, "credential report") {
				t.Errorf("%s: note %q, but the snapshot has a report", r.Environment, n)
			}
		}
	}
}

// seedUsage gives the fake's users the sign-ins and key uses of a
// credential report, so the fake generates the same report.
func seedUsage(t *testing.T, a *iamtest.Account, rep *state.CredentialReport) {
	t.Helper()
	for _, row := range rep.Users {
		u, ok := a.User(row.User)
		if !ok {
			t.Fatalf("fake has no user %s", row.User)
		}
		if row.PasswordLastUsed != nil {
			u.PasswordLastUsed = *row.PasswordLastUsed
		}
		for i, k := range row.AccessKeys {
			if k.LastUsed != nil {
				u.AccessKeys[i].LastUsed, u.AccessKeys[i].LastUsedRegion, u.AccessKeys[i].LastUsedService = *k.LastUsed, "us-east-1", "s3"
			}
		}
		a.PutUser(u)
	}
}

// TestDriftReadsTheCredentialReport: drift against the IAM fake, through
// roles allowed the plan role's read actions (IAM and secrets) and the
// credential report, generates and reads each account's report and finds
// what the bundled snapshots show. A role that may not read the report still gets its drift,
// with a note saying hygiene was limited.
func TestDriftReadsTheCredentialReport(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		allow  []string
		report bool
	}{
		{"allowed", slices.Concat(awsiam.ReadPermissions, awsiam.SecretsReadPermissions, awsiam.CredentialReportPermissions), true},
		{"denied", slices.Concat(awsiam.ReadPermissions, awsiam.SecretsReadPermissions), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const hub = "999999999999"
			srv := iamtest.NewServer(t, iamtest.WithDefaultAccount(hub), iamtest.WithClock(func() time.Time { return exampleNow }))
			repo := loadExample(t)
			seedExampleAccounts(t, srv, repo, "roster-plan", tc.allow)
			src := &awsiam.Source{Base: srv.AWSConfig(hub), Purpose: awsiam.ForDrift}
			reports, err := Drift(context.Background(), repo, repo.Environments, src, exampleNow)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range reports {
				noted := slices.ContainsFunc(r.Notes, func(n string) bool {
					return strings.Contains(n, "no credential report") && strings.Contains(n, "iam:GenerateCredentialReport")
				})
				if noted == tc.report {
					t.Errorf("%s: notes %q (report readable: %v)", r.Environment, r.Notes, tc.report)
				}
			}
			if !tc.report {
				return
			}
			if diff := cmp.Diff(exampleHygiene, hygieneRows(reports)); diff != "" {
				t.Errorf("hygiene findings from the fake's credential reports (-want +got):\n%s", diff)
			}
			for env, calls := range srv.Calls() {
				if env != hub && calls["GetCredentialReport"] != 1 {
					t.Errorf("account %s: %d GetCredentialReport calls, want 1", env, calls["GetCredentialReport"])
				}
			}
		})
	}
}

// TestPlanHygiene: a plan also returns the hygiene the manifests and live
// state show (a user about to expire, and the keys and MFA of the users
// whose credentials were read), computes the same plan as Plan, and
// never asks for the credential report, so the plan role needs nothing
// more than docs/permissions.md publishes.
func TestPlanHygiene(t *testing.T) {
	t.Parallel()
	repo := loadExample(t)
	qa := repo.Environment("testing")
	soon := manifest.EndOfDay(exampleNow.AddDate(0, 0, 5))
	for _, u := range qa.Users {
		if u.Name == "maria.rossi" {
			u.Expires = &soon
		}
	}
	want, err := Plan(context.Background(), repo, repo.Environments, &SnapshotSource{Dir: exampleLiveDir}, exampleNow)
	if err != nil {
		t.Fatal(err)
	}
	got, hyg, err := PlanHygiene(context.Background(), repo, repo.Environments, &SnapshotSource{Dir: exampleLiveDir}, exampleNow)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PlanHygiene's plan differs from Plan's (-want +got):\n%s", diff)
	}
	var ids []string
	for _, env := range repo.Environments {
		for _, f := range hyg[env.Name].Findings {
			ids = append(ids, env.Name+": "+f.ID)
		}
	}
	// The snapshots hold every user's credentials, so keys and MFA are
	// checked too (named by key ID: there is no credential report).
	wantIDs := []string{
		"development: person-key/user/daniel.kim/AKIABC69F6E9B0BA57544",
		"testing: expiring/user/maria.rossi/2026-11-25",
		"staging: no-mfa/user/nadia.petrova",
		"production: key-age/service_account/ci-deployer/AKIAA4EFFAE907FD28294",
		"production: key-age/user/legacy-reporting/AKIA2B55B9434B239B5DB",
	}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("plan hygiene (-want +got):\n%s", diff)
	}

	const hub = "999999999999"
	srv := iamtest.NewServer(t, iamtest.WithDefaultAccount(hub), iamtest.WithClock(func() time.Time { return exampleNow }))
	for _, env := range repo.Environments {
		seedFake(t, srv.Account(env.AccountID), exampleLive(t, repo.Config, env))
		srv.Account(env.AccountID).AddRole("roster-plan", planPolicyActions(t)...)
	}
	_, hyg, err = PlanHygiene(context.Background(), repo, repo.Environments, &awsiam.Source{Base: srv.AWSConfig(hub), Purpose: awsiam.ForPlan}, exampleNow)
	if err != nil {
		t.Fatalf("PlanHygiene through the plan role: %v", err)
	}
	if hyg["testing"].Len() != 1 {
		t.Errorf("plan hygiene through AWS = %v, want the expiry reminder", hyg)
	}
	for acct, calls := range srv.Calls() {
		if n := calls["GenerateCredentialReport"] + calls["GetCredentialReport"]; n > 0 {
			t.Errorf("account %s: plan asked for the credential report %d times", acct, n)
		}
	}
}

// The AWS source reads the credential report in the session it reads live
// IAM with.
var _ ReportSource = (*awsiam.Source)(nil)
