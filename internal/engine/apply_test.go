package engine

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// fakeAWS is the IAM fake set up for a repository: every environment's
// account with its apply role and the customer managed policies the
// manifests or the seeded state name.
type fakeAWS struct {
	srv  *iamtest.Server
	base aws.Config
	repo *manifest.Repository
}

// newFakeAWS starts the fake. Each environment's account holds the state
// seeds gives it (nil for an empty account). The SDK's requests reach it
// in-process (iamtest.InProcess): the same requests and answers as over a
// loopback connection, at a third less CPU.
func newFakeAWS(t testing.TB, repo *manifest.Repository, seeds map[string]*state.Account, opts ...iamtest.Option) *fakeAWS {
	t.Helper()
	srv := iamtest.NewServer(t, append([]iamtest.Option{iamtest.InProcess()}, opts...)...)
	for _, env := range repo.Environments {
		acct := srv.Account(env.AccountID)
		acct.AddRole(roleName(env.RoleARN))
		acct.SetPasswordPolicy(&iamtest.PasswordPolicy{MinimumPasswordLength: 14, RequireSymbols: true, RequireNumbers: true,
			RequireUppercaseCharacters: true, RequireLowercaseCharacters: true})
		for _, arn := range customerPolicies(env, seeds[env.AccountID]) {
			acct.CreatePolicy(arn)
		}
		if live := seeds[env.AccountID]; live != nil {
			acct.PutState(live)
		}
	}
	base := srv.AWSConfig(iamtest.DefaultAccountID)
	base.Retryer = testRetryer
	return &fakeAWS{srv: srv, base: base, repo: repo}
}

// testRetryer retries like the product (awsiam.MaxAttempts attempts, no
// retry quota) with waits cut short, and without adaptive mode's
// client-side rate limit: the fake throttles at random whatever the request
// rate, which adaptive mode answers by slowing to a few requests a second,
// and the fault tests would take minutes. BenchmarkApply1000Users measures
// the product's adaptive retryer.
func testRetryer() aws.Retryer { return testRetryerWithBackoff(20 * time.Millisecond) }

// testRetryerWithBackoff is the SDK's standard retryer with the product's
// attempts, no retry quota, and waits capped at maxBackoff.
func testRetryerWithBackoff(maxBackoff time.Duration) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = awsiam.MaxAttempts
		o.MaxBackoff = maxBackoff
		o.RateLimiter = ratelimit.None
	})
}

func roleName(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// customerPolicies lists the customer managed policy ARNs of the
// environment's account named by its manifests or by live.
func customerPolicies(env *manifest.Environment, live *state.Account) []string {
	set := map[string]bool{}
	add := func(arns ...string) {
		for _, a := range arns {
			if strings.HasPrefix(a, "arn:aws:iam::"+env.AccountID+":policy/") {
				set[a] = true
			}
		}
	}
	for _, g := range env.Groups {
		add(g.ManagedPolicies...)
	}
	for _, u := range env.Users {
		add(u.ManagedPolicies...)
		add(u.PermissionsBoundary)
	}
	if live != nil {
		for _, g := range live.Groups {
			add(g.ManagedPolicies...)
		}
		for _, u := range live.Users {
			add(u.ManagedPolicies...)
			add(u.PermissionsBoundary)
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// exampleSeeds reads the bundled snapshots: every kind of change against
// the example manifests (creations, an adoption, updates, offboarding with
// credentials) next to unmanaged users.
func exampleSeeds(t testing.TB) map[string]*state.Account {
	t.Helper()
	out := map[string]*state.Account{}
	files, err := filepath.Glob(filepath.Join(exampleLiveDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example snapshots in %s: %v", exampleLiveDir, err)
	}
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := state.ReadSnapshot(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[snap.Account.AccountID] = snap.Account
	}
	return out
}

// loadExampleWithLeavers is the bundled example with a tombstone
// (absent: true) for the leaver mixedSeeds puts in every environment, so
// the plan offboards it.
func loadExampleWithLeavers(t *testing.T) *manifest.Repository {
	t.Helper()
	repo := loadExample(t)
	for _, env := range repo.Environments {
		env.Users = append(env.Users, &manifest.User{Kind: manifest.Person, Name: "leaver-" + env.Name, Path: "/", Absent: true})
	}
	return repo
}

// mixedSeeds turns the bundled snapshots into a mid-size plan with every
// kind of change: a third of the manifest users (people and service
// accounts) and one group per environment are missing and get created,
// another third drifted (a tag edited, a policy attached by hand) and get
// updated, the snapshots' own drift stays (an adoption, leavers), and one
// more leaver per environment holds every kind of credential to tear down.
func mixedSeeds(t testing.TB, repo *manifest.Repository) map[string]*state.Account {
	t.Helper()
	seeds := exampleSeeds(t)
	for _, env := range repo.Environments {
		live := seeds[env.AccountID]
		declared := map[string]bool{}
		for _, u := range env.Users {
			declared[u.Name] = true
		}
		if len(env.Groups) > 0 {
			gone := env.Groups[0].Name
			delete(live.Groups, gone)
			for _, u := range live.Users {
				u.Groups = slices.DeleteFunc(u.Groups, func(g string) bool { return g == gone })
			}
		}
		i := 0
		for _, name := range slices.Sorted(maps.Keys(live.Users)) {
			u := live.Users[name]
			if !declared[name] || u.Tags["roster:managed"] != "true" {
				continue
			}
			switch i % 3 {
			case 0:
				delete(live.Users, name)
			case 1:
				u.Tags["team"] = "reorganised"
				u.ManagedPolicies = append(u.ManagedPolicies, "arn:aws:iam::aws:policy/ReadOnlyAccess")
			}
			i++
		}
		leaver := &state.User{
			Name: "leaver-" + env.Name, Path: "/", Access: state.Access{
				Tags:            map[string]string{"roster:managed": "true", "team": "gone"},
				ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
				InlinePolicies:  map[string]string{"scratch": `{"Statement":[{"Action":"s3:*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`},
			},
			LoginProfile:               true,
			AccessKeys:                 []state.AccessKey{{ID: "AKIALEAVER" + env.AccountID[:8], Status: "Active"}},
			MFADevices:                 []string{"arn:aws:iam::" + env.AccountID + ":mfa/leaver-" + env.Name},
			SSHPublicKeys:              []string{"APKALEAVER" + env.AccountID[:8]},
			SigningCertificates:        []string{"CERTLEAVER" + env.AccountID},
			ServiceSpecificCredentials: []state.ServiceCredential{{ID: "ACCALEAVER" + env.AccountID[:8], ServiceName: "codecommit.amazonaws.com"}},
		}
		for _, g := range slices.Sorted(maps.Keys(live.Groups)) {
			leaver.Groups = []string{g}
			break
		}
		live.Users[leaver.Name] = leaver
	}
	return seeds
}

func (f *fakeAWS) source() Source { return &awsiam.Source{Base: f.base, Purpose: awsiam.ForApply} }

func (f *fakeAWS) apply(ctx context.Context, t testing.TB, envs []*manifest.Environment, opts ApplyOptions) *apply.Result {
	t.Helper()
	if envs == nil {
		envs = f.repo.Environments
	}
	res, err := Apply(ctx, f.repo, envs, f.source(), awsiam.Writers(f.base, awsiam.WriterOptions{}), exampleNow, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *fakeAWS) plan(t testing.TB, envs []*manifest.Environment) *plan.Plan {
	t.Helper()
	if envs == nil {
		envs = f.repo.Environments
	}
	p, err := Plan(context.Background(), f.repo, envs, f.source(), exampleNow)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// requireEmptyPlan is the convergence check: a fresh plan from live IAM has
// nothing to do.
func requireEmptyPlan(t testing.TB, f *fakeAWS, envs []*manifest.Environment) {
	t.Helper()
	for _, e := range f.plan(t, envs).Environments {
		if e.HasChanges() {
			var names []string
			for _, c := range e.Changes {
				names = append(names, fmt.Sprintf("%s %s %s (%d ops)", c.Action, c.Kind, c.Name, len(c.Ops)))
			}
			t.Errorf("%s: the plan after apply is not empty: %s", e.Name, strings.Join(names, "; "))
		}
	}
}

func statuses(r *apply.Result) []string {
	var out []string
	for _, e := range r.Environments {
		out = append(out, e.Name+"="+string(e.Status))
	}
	return out
}

func opsOf(p *plan.Plan) int {
	n := 0
	for _, e := range p.Environments {
		for _, c := range e.Changes {
			n += len(c.Ops)
		}
	}
	return n
}

// userView is what roster manages of a user, as read back from the fake.
type userView struct {
	Path, Boundary        string
	Groups, Policies      []string
	Inline, Tags          map[string]string
	Console, ResetPending bool
	AccessKeys, MFA       int
}

type groupView struct {
	Path             string
	Members, Managed []string
	Inline           map[string]string
}

// endState reads every account back from the fake, without IDs and dates.
func (f *fakeAWS) endState() map[string]any {
	out := map[string]any{}
	for _, env := range f.repo.Environments {
		snap := f.srv.Account(env.AccountID).Snapshot()
		users := map[string]userView{}
		for _, u := range snap.Users {
			tags := map[string]string{}
			for _, tg := range u.Tags {
				tags[tg.Key] = tg.Value
				// IAM picks key IDs: the record must name the user's key.
				if tg.Key == keys.DeliveredTag && len(u.AccessKeys) == 1 && tg.Value == u.AccessKeys[0].ID {
					tags[tg.Key] = "its one access key"
				}
			}
			v := userView{Path: u.Path, Boundary: u.PermissionsBoundary, Groups: u.Groups, Policies: u.ManagedPolicies,
				Inline: u.InlinePolicies, Tags: tags, AccessKeys: len(u.AccessKeys), MFA: len(u.MFADevices)}
			if u.LoginProfile != nil {
				v.Console, v.ResetPending = true, u.LoginProfile.PasswordResetRequired
			}
			users[u.Name] = v
		}
		groups := map[string]groupView{}
		for _, g := range snap.Groups {
			groups[g.Name] = groupView{Path: g.Path, Members: g.Members, Managed: g.ManagedPolicies, Inline: g.InlinePolicies}
		}
		out[env.Name] = map[string]any{"users": users, "groups": groups, "virtual_mfa": len(snap.VirtualMFADevices)}
	}
	return out
}

// unmanagedUsers returns the fake's full record of every user the plan
// leaves alone, to prove apply never touches them.
func (f *fakeAWS) unmanagedUsers(t testing.TB, p *plan.Plan) map[string]iamtest.User {
	t.Helper()
	out := map[string]iamtest.User{}
	for _, e := range p.Environments {
		env := f.repo.Environment(e.Name)
		acct := f.srv.Account(env.AccountID)
		for _, name := range acct.UserNames() {
			u, _ := acct.User(name)
			managed := slices.ContainsFunc(u.Tags, func(tg iamtest.Tag) bool { return tg.Key == manifest.DefaultOwnershipTag })
			named := slices.ContainsFunc(env.Users, func(m *manifest.User) bool { return strings.EqualFold(m.Name, name) })
			if !managed && !named {
				out[e.Name+"/"+name] = u
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the fixture has no unmanaged users to protect")
	}
	return out
}

// successfulWrites counts the writes IAM accepted per action and
// parameters (the clear password left out), to find duplicated effects.
func successfulWrites(srv *iamtest.Server) map[string]int {
	out := map[string]int{}
	for _, w := range srv.Writes() {
		if w.Error != "" {
			continue
		}
		params := slices.Sorted(maps.Keys(w.Params))
		var b strings.Builder
		b.WriteString(w.Account + " " + w.Action)
		for _, k := range params {
			if k != "Password" {
				fmt.Fprintf(&b, " %s=%s", k, w.Params[k])
			}
		}
		out[b.String()]++
	}
	return out
}

// TestApplyExampleUnderFaults applies the bundled example's plan (every
// kind of change, offboarding with credentials, unmanaged users) against
// the fake with each kind of fault injected: the end state is the same as
// without faults, a fresh plan is empty, and unmanaged users are untouched.
func TestApplyExampleUnderFaults(t *testing.T) {
	t.Parallel()
	repo := loadExampleWithLeavers(t)

	// The fault-free run is the reference end state.
	ref := newFakeAWS(t, repo, mixedSeeds(t, repo))
	p := ref.plan(t, nil)
	if opsOf(p) < 100 {
		t.Fatalf("the example plan has %d operations; want a mid-size plan", opsOf(p))
	}
	res := ref.apply(context.Background(), t, nil, ApplyOptions{})
	if diff := cmp.Diff([]string{"development=applied", "testing=applied", "staging=applied", "production=applied"}, statuses(res)); diff != "" {
		t.Fatalf("reference apply (-want +got):\n%s\n%v", diff, res.Environments)
	}
	if got, want := res.Tally(), (apply.Tally{Done: opsOf(p), KeySteps: p.Counts().KeySteps}); got != want {
		t.Errorf("reference apply tally %+v, want %+v", got, want)
	}
	requireEmptyPlan(t, ref, nil)
	want := ref.endState()

	tests := []struct {
		name   string
		faults iamtest.Faults
	}{
		{"throttling 30%", iamtest.Faults{Throttle: 0.3, Seed: 1}},
		{"server errors 5%", iamtest.Faults{ServerError: 0.05, Seed: 2}},
		{"dropped connections 5%", iamtest.Faults{Drop: 0.05, Seed: 3}},
		{"dropped after commit 5%", iamtest.Faults{Drop: 0.05, DropAfterCommit: true, Seed: 4}},
		// Every call has awsiam.MaxAttempts (10) attempts, so at a combined
		// fault rate p a call fails outright with probability p^10: at 40%
		// about 1e-4, a failed run in ~3% of runs of the ~300 calls here.
		// The mix keeps p at 25% (under 1e-3 of runs): this test is about
		// converging through every kind of fault, not about the limit.
		{"all at once", iamtest.Faults{Throttle: 0.15, ServerError: 0.05, Drop: 0.05, DropAfterCommit: true, Seed: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAWS(t, repo, mixedSeeds(t, repo))
			unmanaged := f.unmanagedUsers(t, p)
			f.srv.SetFaults(tt.faults)
			res := f.apply(context.Background(), t, nil, ApplyOptions{})
			f.srv.SetFaults(iamtest.Faults{})
			for _, e := range res.Environments {
				if e.Status != apply.EnvApplied {
					t.Errorf("%s: %s (%s)", e.Name, e.Status, e.Reason)
				}
				for _, c := range e.Changes {
					for _, o := range c.Ops {
						if o.Status == apply.Failed {
							t.Errorf("%s: %s %s %s failed: %s", e.Name, o.Op.Type, o.Op.User, o.Op.Group, o.Error)
						}
					}
				}
			}
			requireEmptyPlan(t, f, nil)
			if diff := cmp.Diff(want, f.endState()); diff != "" {
				t.Errorf("end state differs from the fault-free apply (-want +got):\n%s", diff)
			}
			after := map[string]iamtest.User{}
			for k := range unmanaged {
				env, name, _ := strings.Cut(k, "/")
				after[k], _ = f.srv.Account(repo.Environment(env).AccountID).User(name)
			}
			if diff := cmp.Diff(unmanaged, after); diff != "" {
				t.Errorf("unmanaged users changed (-before +after):\n%s", diff)
			}
		})
	}
}

// TestApplyEveryKindOfChange reads the example's end state back from the
// fake for each kind of change the plan carried.
func TestApplyEveryKindOfChange(t *testing.T) {
	t.Parallel()
	repo := loadExampleWithLeavers(t)
	f := newFakeAWS(t, repo, mixedSeeds(t, repo))
	p := f.plan(t, nil)
	kinds := map[string]bool{}
	for _, e := range p.Environments {
		for _, c := range e.Changes {
			kinds[string(c.Action)+" "+string(c.Kind)] = true
		}
	}
	res := f.apply(context.Background(), t, nil, ApplyOptions{})
	if res.Failed() {
		t.Fatalf("apply failed: %v", statuses(res))
	}
	requireEmptyPlan(t, f, nil)

	for _, e := range p.Environments {
		env := repo.Environment(e.Name)
		acct := f.srv.Account(env.AccountID)
		for _, c := range e.Changes {
			switch {
			case c.Kind == plan.KindGroup && c.Action == plan.Delete:
				if _, ok := acct.Group(c.Name); ok {
					t.Errorf("%s: group %s still exists after its delete", e.Name, c.Name)
				}
			case c.Kind == plan.KindGroup:
				g, ok := acct.Group(c.Name)
				if !ok {
					t.Errorf("%s: group %s missing after %s", e.Name, c.Name, c.Action)
					continue
				}
				if diff := cmp.Diff(c.After.ManagedPolicies, nilIfEmptySlice(g.ManagedPolicies)); diff != "" {
					t.Errorf("%s: group %s policies (-want +got):\n%s", e.Name, c.Name, diff)
				}
			case c.Action == plan.Delete:
				if _, ok := acct.User(c.Name); ok {
					t.Errorf("%s: user %s still exists after offboarding", e.Name, c.Name)
				}
			default:
				u, ok := acct.User(c.Name)
				if !ok {
					t.Errorf("%s: user %s missing after %s", e.Name, c.Name, c.Action)
					continue
				}
				tags := map[string]string{}
				for _, tg := range u.Tags {
					// The record of a delivered pgp key is the key steps'
					// (after the changes), not the change's.
					if tg.Key != keys.DeliveredTag {
						tags[tg.Key] = tg.Value
					}
				}
				if diff := cmp.Diff(c.After.Tags, tags); diff != "" {
					t.Errorf("%s: user %s tags (-want +got):\n%s", e.Name, c.Name, diff)
				}
				if diff := cmp.Diff(c.After.Groups, nilIfEmptySlice(u.Groups)); diff != "" {
					t.Errorf("%s: user %s groups (-want +got):\n%s", e.Name, c.Name, diff)
				}
				if got := u.LoginProfile != nil; got != c.After.Console {
					t.Errorf("%s: user %s console access %v, want %v", e.Name, c.Name, got, c.After.Console)
				}
				if c.Action == plan.Create && c.After.Console && !u.LoginProfile.PasswordResetRequired {
					t.Errorf("%s: new console user %s need not reset the initial password", e.Name, c.Name)
				}
			}
		}
	}
	for _, k := range []string{"create user", "create service_account", "update user", "adopt user", "delete user", "create group"} {
		if !kinds[k] {
			t.Errorf("the example plan has no %q change; the test covers less than it claims", k)
		}
	}
}

func nilIfEmptySlice(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// TestApplyCancelledConverges cancels the example's apply after K finished
// operations, for every K, then runs it again: it always converges, and no
// write took effect twice.
func TestApplyCancelledConverges(t *testing.T) {
	t.Parallel()
	repo := loadExampleWithLeavers(t)
	envs := []*manifest.Environment{repo.Environment("production"), repo.Environment("development")}
	probe := newFakeAWS(t, repo, mixedSeeds(t, repo))
	total := opsOf(probe.plan(t, envs))
	step := 1
	if testing.Short() {
		step = 7
	}
	for k := 1; k <= total; k += step {
		t.Run(fmt.Sprintf("after %d of %d", k, total), func(t *testing.T) {
			t.Parallel()
			f := newFakeAWS(t, repo, mixedSeeds(t, repo))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var finished atomic.Int64
			opts := ApplyOptions{Run: apply.Options{Progress: func(string, apply.OpResult) {
				if finished.Add(1) == int64(k) {
					cancel()
				}
			}}}
			first := f.apply(ctx, t, envs, opts)
			tally := first.Tally()
			if tally.Failed != 0 {
				t.Errorf("cancelled apply: %+v; want no failed operation", tally)
			}
			// Operations already in flight when the cancel fires still
			// finish, so a cancel late in the run may leave nothing undone;
			// what must never happen is a success with work left.
			if done := first.Tally().Done; !first.Failed() && done < total {
				t.Errorf("cancelled apply reports %v with %d of %d operations done; want a failure", statuses(first), done, total)
			}
			second := f.apply(context.Background(), t, envs, ApplyOptions{})
			if second.Failed() {
				t.Fatalf("re-run: %v", statuses(second))
			}
			requireEmptyPlan(t, f, envs)
			for w, n := range successfulWrites(f.srv) {
				// The undelivered-password record is written again before
				// each attempt to set a password; that is its purpose.
				if n > 1 && !strings.Contains(w, manifest.PasswordTag) {
					t.Errorf("%s took effect %d times, want once", w, n)
				}
			}
			if got := first.Tally().Done + second.Tally().Done; got > total {
				t.Errorf("%d operations done over both runs, more than the plan's %d", got, total)
			}
		})
	}
}

// TestApplyGuards: the guardrails and the promotion order.
func TestApplyGuards(t *testing.T) {
	t.Parallel()
	repo := loadExampleWithLeavers(t)
	notAttempted := "not attempted because development was refused; environments are applied in promotion order and stop at the first failure or refusal"

	t.Run("digest mismatch refuses the environment and stops the rest", func(t *testing.T) {
		t.Parallel()
		f := newFakeAWS(t, repo, mixedSeeds(t, repo))
		reviewed := "sha256:" + strings.Repeat("0", 64)
		res := f.apply(context.Background(), t, nil, ApplyOptions{ExpectDigests: map[string]string{"development": reviewed}})
		dev := res.Environments[0]
		fresh := f.plan(t, repo.Environments[:1]).Environments[0].Digest
		wantReason := fmt.Sprintf("the plan reviewed on the pull request (%s) differs from the plan of live IAM now (%s): live IAM or the manifests changed since review; re-run the plan", reviewed, fresh)
		if dev.Status != apply.EnvRefused || dev.Reason != wantReason {
			t.Errorf("development: %s %q\nwant refused %q", dev.Status, dev.Reason, wantReason)
		}
		if diff := cmp.Diff([]string{"development=refused", "testing=not_attempted", "staging=not_attempted", "production=not_attempted"}, statuses(res)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if res.Environments[1].Reason != notAttempted {
			t.Errorf("testing: reason %q, want %q", res.Environments[1].Reason, notAttempted)
		}
		if w := f.srv.Writes(); len(w) != 0 {
			t.Errorf("%d writes after a refusal, want none: %v", len(w), w[0])
		}
	})

	t.Run("matching digests apply", func(t *testing.T) {
		t.Parallel()
		f := newFakeAWS(t, repo, mixedSeeds(t, repo))
		expect := map[string]string{}
		for _, e := range f.plan(t, nil).Environments {
			expect[e.Name] = e.Digest
		}
		res := f.apply(context.Background(), t, nil, ApplyOptions{ExpectDigests: expect})
		if res.Failed() {
			t.Errorf("apply with the reviewed digests: %v", statuses(res))
		}
	})

	t.Run("expected digest for an environment not applied", func(t *testing.T) {
		t.Parallel()
		f := newFakeAWS(t, repo, nil)
		_, err := Apply(context.Background(), repo, repo.Environments[:1], f.source(), awsiam.Writers(f.base, awsiam.WriterOptions{}), exampleNow,
			ApplyOptions{ExpectDigests: map[string]string{"prod": "sha256:" + strings.Repeat("1", 64)}})
		if err == nil || !strings.Contains(err.Error(), "prod") {
			t.Errorf("error %v, want one naming prod", err)
		}
	})

	t.Run("max_deletions refuses the environment", func(t *testing.T) {
		t.Parallel()
		seeds := exampleSeeds(t)
		repo := loadExample(t)
		dev := repo.Environment("development")
		live := seeds[dev.AccountID]
		for i := range dev.Guardrails.MaxDeletions + 1 {
			name := fmt.Sprintf("leaver-%02d", i)
			live.Users[name] = &state.User{Name: name, Path: "/", Access: state.Access{Tags: map[string]string{"roster:managed": "true"}}}
			dev.Users = append(dev.Users, &manifest.User{Kind: manifest.Person, Name: name, Path: "/", Absent: true})
		}
		f := newFakeAWS(t, repo, seeds)
		res := f.apply(context.Background(), t, nil, ApplyOptions{})
		if d := res.Environments[0]; d.Status != apply.EnvRefused || !strings.Contains(d.Reason, "more than max_deletions") {
			t.Errorf("development: %s %q, want refused by max_deletions", d.Status, d.Reason)
		}
		if diff := cmp.Diff([]string{"development=refused", "testing=not_attempted", "staging=not_attempted", "production=not_attempted"}, statuses(res)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if w := f.srv.Writes(); len(w) != 0 {
			t.Errorf("%d writes after a refusal, want none", len(w))
		}
		if names := f.srv.Account(dev.AccountID).UserNames(); !slices.Contains(names, "leaver-00") {
			t.Error("a refused deletion happened")
		}
	})

	t.Run("promotion order, stop at the first failure", func(t *testing.T) {
		t.Parallel()
		f := newFakeAWS(t, repo, nil)
		testing := repo.Environment("testing")
		// The testing role may read and write, except create users.
		allow := append([]string{"iam:Get*", "iam:List*", "iam:GenerateCredentialReport", "iam:UpdateLoginProfile"}, writeActionsExcept(plan.OpCreateUser)...)
		f.srv.Account(testing.AccountID).AddRole(roleName(testing.RoleARN), allow...)

		reversed := slices.Clone(repo.Environments)
		slices.Reverse(reversed)
		res := f.apply(context.Background(), t, reversed, ApplyOptions{})
		if diff := cmp.Diff([]string{"development=applied", "testing=failed", "staging=not_attempted", "production=not_attempted"}, statuses(res)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		var failed []string
		for _, c := range res.Environments[1].Changes {
			for _, o := range c.Ops {
				if o.Status == apply.Failed {
					failed = append(failed, o.Error)
				}
			}
		}
		if len(failed) == 0 || !strings.Contains(failed[0], "iam:CreateUser") {
			t.Errorf("testing's failed operations %q; want AccessDenied naming iam:CreateUser", failed)
		}
		for _, name := range []string{"staging", "production"} {
			acct := repo.Environment(name).AccountID
			for _, w := range f.srv.Writes() {
				if w.Account == acct {
					t.Errorf("%s was not attempted, yet %s was written there", name, w.Action)
					break
				}
			}
			if want := "not attempted because testing failed; environments are applied in promotion order and stop at the first failure or refusal"; res.Environments[slices.IndexFunc(res.Environments, func(e *apply.EnvironmentResult) bool { return e.Name == name })].Reason != want {
				t.Errorf("%s: reason, want %q", name, want)
			}
		}
		requireEmptyPlan(t, f, repo.Environments[:1])
	})
}

// writeActionsExcept lists "iam:<Op>" for every operation type but one.
func writeActionsExcept(except plan.OpType) []string {
	var out []string
	for _, op := range plan.OpTypes {
		if op != except {
			out = append(out, "iam:"+string(op))
		}
	}
	return out
}

// TestApplyPartialFailureConverges: IAM refuses some writes outright (more
// failures than the retryer's attempts); the apply reports them and stops,
// and the next apply finishes the job without repeating what took effect.
func TestApplyPartialFailureConverges(t *testing.T) {
	t.Parallel()
	repo := loadExampleWithLeavers(t)
	for _, action := range []string{"CreateUser", "AddUserToGroup", "DeleteAccessKey", "CreateGroup", "TagUser", "CreateLoginProfile"} {
		t.Run(action, func(t *testing.T) {
			t.Parallel()
			f := newFakeAWS(t, repo, mixedSeeds(t, repo))
			// Serially, so that every scripted failure hits the same
			// operation, one attempt after the other.
			f.srv.FailNext(action, "ServiceFailure", awsiam.MaxAttempts)
			first := f.apply(context.Background(), t, nil, ApplyOptions{Run: apply.Options{Concurrency: 1}})
			if !first.Failed() || first.Tally().Failed != 1 {
				t.Fatalf("first apply: %v, %+v; want one failed operation", statuses(first), first.Tally())
			}
			second := f.apply(context.Background(), t, nil, ApplyOptions{})
			if second.Failed() {
				t.Fatalf("second apply: %v", statuses(second))
			}
			requireEmptyPlan(t, f, nil)
			for w, n := range successfulWrites(f.srv) {
				if n > 1 && !strings.Contains(w, manifest.PasswordTag) {
					t.Errorf("%s took effect %d times, want once", w, n)
				}
			}
		})
	}
}

// TestApplyAppliedBefore: a re-run of a reviewed apply counts an
// environment as done only when its fresh plan is empty and the earlier run
// applied exactly the reviewed digest; anything else is refused as before.
func TestApplyAppliedBefore(t *testing.T) {
	t.Parallel()
	repo := loadExampleWithLeavers(t)
	dev := repo.Environments[:1]
	for _, tc := range []struct {
		name       string
		applyFirst bool
		before     func(reviewed string) string
		want       apply.EnvStatus
	}{
		{"applied earlier, plan empty", true, func(d string) string { return d }, apply.EnvApplied},
		{"another digest applied earlier", true, func(string) string { return "sha256:" + strings.Repeat("9", 64) }, apply.EnvRefused},
		{"plan not empty", false, func(d string) string { return d }, apply.EnvApplied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAWS(t, repo, mixedSeeds(t, repo))
			reviewed := f.plan(t, dev).Environments[0].Digest
			if tc.applyFirst {
				f.apply(context.Background(), t, dev, ApplyOptions{})
			}
			f.srv.ResetCalls()
			writes := len(f.srv.Writes())
			res := f.apply(context.Background(), t, dev, ApplyOptions{
				ExpectDigests: map[string]string{"development": reviewed},
				AppliedBefore: map[string]string{"development": tc.before(reviewed)},
			})
			got := res.Environments[0]
			if got.Status != tc.want {
				t.Fatalf("status %s (%s), want %s", got.Status, got.Reason, tc.want)
			}
			if tc.applyFirst && tc.want == apply.EnvApplied {
				if got.Reason != AppliedEarlier || len(f.srv.Writes()) != writes {
					t.Errorf("reason %q, %d new writes; want %q and none", got.Reason, len(f.srv.Writes())-writes, AppliedEarlier)
				}
			}
		})
	}
}
