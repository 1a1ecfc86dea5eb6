package engine

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/hygiene"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/testfixture"
)

// TestPlanHygieneListsTheMostSevere: in accounts with more hygiene
// findings than a plan lists (unmanaged users' old keys), the plan keeps
// the first hygiene.PlanListed of each environment, in the order drift
// reports them, and counts every other one; it holds no more of them.
func TestPlanHygieneListsTheMostSevere(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	keys, err := testfixture.OrgKeys(1, now)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	org := testfixture.Org{Envs: 2, Users: 10, Keys: keys, Unmanaged: 3}
	access, live := filepath.Join(dir, "access"), filepath.Join(dir, "live")
	if err := org.WriteTree(access); err != nil {
		t.Fatal(err)
	}
	if err := org.WriteSnapshots(access, live, now); err != nil {
		t.Fatal(err)
	}
	repo, diags := manifest.Load(access, manifest.WithClock(func() time.Time { return now }))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	src := &SnapshotSource{Dir: live}
	_, hyg, err := PlanHygiene(context.Background(), repo, repo.Environments, src, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range repo.Environments {
		acct, err := src.Read(context.Background(), env, nil)
		if err != nil {
			t.Fatal(err)
		}
		all := hygiene.Check(repo.Config, env, acct, nil, now)
		if len(all) <= hygiene.PlanListed {
			t.Fatalf("%s: %d findings, want more than the %d a plan lists", env.Name, len(all), hygiene.PlanListed)
		}
		got := hyg[env.Name]
		if diff := cmp.Diff(all[:hygiene.PlanListed], got.Findings); diff != "" {
			t.Errorf("%s: listed findings (-want +got):\n%s", env.Name, diff)
		}
		if got.Len() != len(all) {
			t.Errorf("%s: %d findings listed or counted, want %d", env.Name, got.Len(), len(all))
		}
	}
}
