package drift_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

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

func TestExampleDump(t *testing.T) {
	for _, r := range exampleReports(t) {
		t.Logf("%s %s refused=%q notes=%q", r.Environment, r.Fingerprint, r.Refused, r.Notes)
		for _, f := range r.Findings {
			t.Logf("  %s %s %s\n    %s\n    restore: %s\n    accept: %s", f.Severity, f.Kind, f.ID, f.Summary, f.Restore, f.Accept)
		}
	}
}
