package plan

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

func deployer() *manifest.User {
	return &manifest.User{Kind: manifest.ServiceAccount, Name: "ci-deployer", Path: "/", Owner: "platform",
		AccessKey: &keys.Spec{DeliverTo: keys.SecretsManager, SecretName: "roster/ci-deployer", RotateAfterDays: 90, OverlapDays: 7}}
}

func liveDeployer(extra map[string]string, ks ...state.AccessKey) *state.User {
	u := liveUser("ci-deployer", managedTags("roster:owner", "platform"))
	for k, v := range extra {
		u.Tags[k] = v
	}
	u.AccessKeys = ks
	return u
}

func withSecret(a *state.Account, s *state.Secret) *state.Account {
	a.Secrets = map[string]*state.Secret{s.Name: s}
	return a
}

// The plan shows each moment of a key's life in one line, names the
// destination and never plans a key for a secret roster does not own.
func TestDiffAccessKeys(t *testing.T) {
	t.Parallel()
	day := func(n int) time.Time { return testNow.AddDate(0, 0, n) }
	owned := map[string]string{"roster:managed": "true"}
	old := state.AccessKey{ID: "AKIAOLD0000000000001", Status: "Active", Created: testNow}
	for _, tt := range []struct {
		name     string
		live     *state.Account
		now      time.Time
		summary  string
		refused  string
		steps    []string
		findings []string
	}{
		{
			name:    "first apply: user and secret do not exist",
			live:    withSecret(account(), &state.Secret{Name: "roster/ci-deployer"}),
			now:     testNow,
			summary: "create access key for ci-deployer → Secrets Manager roster/ci-deployer",
			steps:   []string{"mark_pending", "create", "deliver", "clear_pending"},
		},
		{
			name: "day 89: nothing",
			live: withSecret(account(liveDeployer(nil, old)), &state.Secret{Name: "roster/ci-deployer", Exists: true, Tags: owned, Current: old.ID}),
			now:  day(89),
		},
		{
			name:    "day 90: rotate",
			live:    withSecret(account(liveDeployer(nil, old)), &state.Secret{Name: "roster/ci-deployer", Exists: true, Tags: owned, Current: old.ID}),
			now:     day(90),
			summary: "rotate: new key for ci-deployer → Secrets Manager roster/ci-deployer, old key AKIAOLD0000000000001 deactivated on 2026-09-06, deleted on 2026-09-07",
			steps:   []string{"mark_pending", "create", "deliver", "clear_pending"},
		},
		{
			name: "a key made by hand beside the delivered one",
			live: withSecret(account(liveDeployer(nil, old, state.AccessKey{ID: "AKIAHAND000000000001", Status: "Active", Created: testNow})),
				&state.Secret{Name: "roster/ci-deployer", Exists: true, Tags: owned, Current: old.ID}),
			now:      day(1),
			findings: []string{"key AKIAHAND000000000001 (created 2026-06-01) was not made by roster: the destination does not hold it"},
		},
		{
			name:    "the secret exists without the ownership tag",
			live:    withSecret(account(), &state.Secret{Name: "roster/ci-deployer", Exists: true}),
			now:     testNow,
			summary: "no access key for ci-deployer: secret roster/ci-deployer exists but is not tagged roster:managed=true, so roster does not overwrite it and creates no key: choose another secret_name, or tag the secret roster:managed=true if roster should own it",
			refused: "secret roster/ci-deployer exists but is not tagged roster:managed=true, so roster does not overwrite it and creates no key: choose another secret_name, or tag the secret roster:managed=true if roster should own it",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Diff(testCfg, testEnv([]*manifest.User{deployer()}, nil), tt.live, tt.now)
			var a AccessKey
			if len(got.AccessKeys) > 0 {
				a = got.AccessKeys[0]
			}
			var steps, findings []string
			for _, s := range a.Steps {
				steps = append(steps, s.Action)
			}
			for _, f := range a.Notes {
				findings = append(findings, f.Detail)
			}
			if diff := cmp.Diff(tt.summary, a.Summary); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.refused, a.Refused); diff != "" {
				t.Errorf("refused (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.steps, steps); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.findings, findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if want := len(tt.steps) > 0 || len(got.Changes) > 0; want != got.HasChanges() {
				t.Errorf("HasChanges = %v with steps %v", got.HasChanges(), tt.steps)
			}
		})
	}
}

// The tags the key lifecycle writes are not manifest tags, yet the tag diff
// leaves them alone: removing the pending mark mid-rotation would make an
// undelivered key look made by hand.
func TestDiffLeavesLifecycleTags(t *testing.T) {
	t.Parallel()
	u := liveDeployer(map[string]string{keys.PendingTag: "AKIAOLD0000000000001", keys.DeliveredTag: "AKIAOLD0000000000001"})
	live := withSecret(account(u), &state.Secret{Name: "roster/ci-deployer"})
	got := Diff(testCfg, testEnv([]*manifest.User{deployer()}, nil), live, testNow)
	if len(got.Changes) != 0 {
		t.Errorf("changes %+v, want none", got.Changes)
	}
}
