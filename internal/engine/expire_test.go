package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
)

const (
	expireDev = "111111111111"
	expirePrd = "222222222222"
)

// expireRepo is two environments: development, whose two contractors
// expired on 2026-11-30 with max_deletions 1, and production, where
// priya's prod-operators membership ends at 18:00 and bob is declared
// without the policy someone attached by hand.
func expireRepo(t *testing.T, now time.Time) *manifest.Repository {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "access")
	env := func(acct string) string {
		return "account_id: \"" + acct + "\"\nrole_arn: arn:aws:iam::" + acct + ":role/roster-apply\nguardrails:\n  max_deletions: 1\n"
	}
	files := map[string]string{
		"roster.yaml":                  "order: [development, production]\n",
		"development/environment.yaml": env(expireDev),
		"development/people.yaml": `users:
  - name: c1
    expires: 2026-11-30
  - name: c2
    expires: 2026-11-30
`,
		"production/environment.yaml": env(expirePrd),
		"production/people.yaml": `groups:
  - name: prod-operators
users:
  - name: priya
    groups:
      - name: prod-operators
        expires: 2026-12-03T18:00:00Z
  - name: bob
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo, diags := manifest.Load(dir, manifest.WithClock(func() time.Time { return now }))
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return repo
}

// Expire applies only ended grants: at 17:59 nothing, at 18:00 priya
// leaves prod-operators while bob's hand-attached policy stays (drift is
// for a reviewed apply); development's expired contractors exceed
// max_deletions, so development is refused, and production is expired all
// the same.
func TestExpireAppliesOnlyEndedGrants(t *testing.T) {
	t.Parallel()
	at := func(h, m int) time.Time { return time.Date(2026, 12, 3, h, m, 0, 0, time.UTC) }
	repo := expireRepo(t, at(17, 59))
	srv := iamtest.NewServer(t)
	tags := []iamtest.Tag{{Key: "roster:managed", Value: "true"}}
	for _, acct := range []string{expireDev, expirePrd} {
		srv.Account(acct).AddRole("roster-apply")
	}
	srv.Account(expireDev).PutUser(iamtest.User{Name: "c1", Tags: tags})
	srv.Account(expireDev).PutUser(iamtest.User{Name: "c2", Tags: tags})
	prd := srv.Account(expirePrd)
	prd.PutGroup(iamtest.Group{Name: "prod-operators"})
	prd.PutUser(iamtest.User{Name: "priya", Tags: tags, Groups: []string{"prod-operators"}})
	prd.PutUser(iamtest.User{Name: "bob", Tags: tags, ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	base := srv.AWSConfig(iamtest.DefaultAccountID)
	base.Retryer = testRetryer
	src := &awsiam.Source{Base: base, Purpose: awsiam.ForApply}

	for _, tt := range []struct {
		now          time.Time
		wantStatuses []string
		wantKept     map[string][]string
		wantSkipped  map[string][]string
		wantWrites   map[string]int
	}{
		{
			now:          at(17, 59),
			wantStatuses: []string{"development=refused", "production=no_changes"},
			wantKept:     map[string][]string{"development": {"delete c1", "delete c2"}},
			wantSkipped:  map[string][]string{"production": {"update bob"}},
			wantWrites:   map[string]int{},
		},
		{
			now:          at(18, 0),
			wantStatuses: []string{"development=refused", "production=applied"},
			wantKept:     map[string][]string{"development": {"delete c1", "delete c2"}, "production": {"update priya"}},
			wantSkipped:  map[string][]string{"production": {"update bob"}},
			wantWrites:   map[string]int{expirePrd + " RemoveUserFromGroup GroupName=prod-operators UserName=priya": 1},
		},
	} {
		kept, skipped := map[string][]string{}, map[string][]string{}
		name := func(ch plan.Change) string { return string(ch.Action) + " " + ch.Name }
		res, err := Expire(context.Background(), repo, repo.Environments, src, awsiam.Writers(base, awsiam.WriterOptions{}), tt.now, ApplyOptions{
			Planned: func(p *plan.Environment) {
				for _, ch := range p.Changes {
					kept[p.Name] = append(kept[p.Name], name(ch))
				}
			},
			Skipped: func(env string, chs []plan.Change) {
				for _, ch := range chs {
					skipped[env] = append(skipped[env], name(ch))
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		at := tt.now.Format("15:04")
		if diff := cmp.Diff(tt.wantStatuses, statuses(res)); diff != "" {
			t.Errorf("%s: statuses (-want +got):\n%s", at, diff)
		}
		if diff := cmp.Diff(tt.wantKept, kept); diff != "" {
			t.Errorf("%s: applied changes (-want +got):\n%s", at, diff)
		}
		if diff := cmp.Diff(tt.wantSkipped, skipped); diff != "" {
			t.Errorf("%s: changes left for a reviewed apply (-want +got):\n%s", at, diff)
		}
		if diff := cmp.Diff(tt.wantWrites, successfulWrites(srv)); diff != "" {
			t.Errorf("%s: IAM writes so far (-want +got):\n%s", at, diff)
		}
	}
	if u, _ := srv.Account(expirePrd).User("bob"); len(u.ManagedPolicies) != 1 {
		t.Errorf("bob's hand-attached policy was changed: %v", u.ManagedPolicies)
	}
}
