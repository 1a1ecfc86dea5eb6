package drift_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// exampleNow is the day the bundled example snapshots were taken.
var exampleNow = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// exampleReports builds the drift of the bundled example (access/ against
// examples/live), one report per environment in promotion order.
func exampleReports(t *testing.T) []*drift.Report {
	t.Helper()
	repo, diags := manifest.Load("../../access", manifest.WithClock(func() time.Time { return exampleNow }))
	if diags.HasErrors() {
		t.Fatalf("the example does not load: %v", diags)
	}
	var out []*drift.Report
	for _, env := range repo.Environments {
		f, err := os.Open(filepath.Join("../../examples/live", env.Name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		snap, err := state.ReadSnapshot(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := plan.Diff(repo.Config, env, snap.Account, exampleNow)
		out = append(out, drift.Build(repo.Config, env, p))
	}
	return out
}

// TestExample: the bundled example shows the drift the README promises, each
// finding with its severity.
func TestExample(t *testing.T) {
	t.Parallel()
	type row struct {
		Env      string
		ID       string
		Severity drift.Severity
	}
	want := []row{
		{"development", "changed/user/ben.okafor/managed-policy/live-only/arn:aws:iam::aws:policy/AdministratorAccess", drift.High},
		{"development", "extra/group/contractors-legacy", drift.Medium},
		{"development", "missing/user/isabel.costa", drift.Medium},
		{"testing", "changed/user/keiko.tanaka/tag/team/differs/fcff41ff03fd", drift.Low},
		{"staging", "adoptable/user/rahul.mehta", drift.Medium},
		// The deploy key made by hand before ci-deployer had access_key.
		{"production", "hand-made-key/service_account/ci-deployer/AKIAA4EFFAE907FD28294", drift.High},
		{"production", "extra/user/dave.wilson", drift.High},
		{"production", "unmanaged/user/legacy-reporting", drift.High},
	}
	var got []row
	for _, r := range exampleReports(t) {
		for _, f := range r.Findings {
			got = append(got, row{r.Environment, f.ID, f.Severity})
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("example findings (-want +got):\n%s", diff)
	}
}

// TestExampleWording: the hand-attached AdministratorAccess reads as the
// issue describes it, with both resolutions pointing at the exact files.
func TestExampleWording(t *testing.T) {
	t.Parallel()
	f := exampleReports(t)[0].Findings[0]
	type words struct{ Summary, Restore, Accept string }
	want := words{
		Summary: "managed policy `arn:aws:iam::aws:policy/AdministratorAccess` is attached to user `ben.okafor` in AWS but not in the manifests",
		Restore: "apply by hand (the apply workflow with `environments: development`, or `roster apply --env development`) to detach it",
		Accept: "only after removing it from `guardrails.forbidden_managed_policies` in `../../access/development/environment.yaml`: " +
			"add `arn:aws:iam::aws:policy/AdministratorAccess` to `managed_policies` of user `ben.okafor` in `../../access/development/teams/payments.yaml:9`",
	}
	got := words{f.Summary.String(), f.Restore.String(), f.Accept.String()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wording (-want +got):\n%s", diff)
	}
}
