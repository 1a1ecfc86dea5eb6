package apply_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
	"github.com/roster-dev/roster/internal/testfixture"
)

var testNow = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

const (
	powerUser   = "arn:aws:iam::aws:policy/PowerUserAccess"
	readOnly    = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	billing     = "arn:aws:iam::aws:policy/job-function/Billing"
	denyBilling = `{"Statement":[{"Action":"aws-portal:*","Effect":"Deny","Resource":"*"}],"Version":"2012-10-17"}`
	oldDeny     = `{"Statement":[{"Action":"aws-portal:View*","Effect":"Deny","Resource":"*"}],"Version":"2012-10-17"}`
	scratch     = `{"Statement":[{"Action":"s3:*","Effect":"Allow","Resource":"arn:aws:s3:::scratch/*"}],"Version":"2012-10-17"}`
)

// scenario is an environment whose plan has every kind of change: a group
// create, a group update, an absent group deleted, a user create with
// console access, a service account create, an update, an adoption and the
// offboarding of an expired user, next to an unmanaged user that must stay
// untouched.
func scenario(t *testing.T) (manifest.Config, *manifest.Environment, *state.Account) {
	expired := manifest.EndOfDay(time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC))
	cfg := manifest.Config{}
	env := &manifest.Environment{
		Name:       "production",
		AccountID:  "444455556666",
		Production: true,
		Guardrails: manifest.Guardrails{MaxDeletions: 5, ConsoleRequiresMFA: true},
		Groups: []*manifest.Group{
			{Name: "auditors", ManagedPolicies: []string{readOnly}},
			{Name: "developers", ManagedPolicies: []string{powerUser}, InlinePolicies: map[string]string{"deny-billing": denyBilling}},
			{Name: "legacy", Absent: true},
		},
		Users: []*manifest.User{
			{Kind: manifest.Person, Name: "alice", Groups: []string{"auditors", "developers"}, Console: true, PGPKey: testfixture.PGPKey(t).Armored,
				Tags: manifest.TagsOf(map[string]string{"team": "payments"}), InlinePolicies: map[string]string{"scratch": scratch}},
			{Kind: manifest.Person, Name: "bob", Path: "/people/", Groups: []string{"developers"}, Tags: manifest.TagsOf(map[string]string{"team": "search"})},
			{Kind: manifest.Person, Name: "carol", Groups: []string{"auditors"}, Tags: manifest.TagsOf(map[string]string{"team": "security"})},
			{Kind: manifest.ServiceAccount, Name: "ci-deployer", Owner: "platform", ManagedPolicies: []string{powerUser}},
			{Kind: manifest.Person, Name: "dave", Expires: &expired},
		},
	}
	all := state.LoginProfile | state.Credentials
	live := &state.Account{
		AccountID: env.AccountID,
		Groups: map[string]*state.Group{
			"developers": {Name: "developers", Path: "/", ManagedPolicies: []string{powerUser},
				InlinePolicies: map[string]string{"deny-billing": oldDeny}, Members: []string{"bob", "dave"}},
			"legacy": {Name: "legacy", Path: "/", ManagedPolicies: []string{billing}, Members: []string{"bob", "dave"}},
		},
		Users: map[string]*state.User{
			"bob": {Name: "bob", Path: "/", Access: state.Access{
				Groups: []string{"developers", "legacy"},
				Tags:   map[string]string{"roster:managed": "true", "team": "payments"},
			}, Details: all},
			"carol": {Name: "carol", Path: "/", Details: all, LoginProfile: true, Access: state.Access{Tags: map[string]string{"team": "security"}}},
			"dave": {Name: "dave", Path: "/", Access: state.Access{
				Groups:          []string{"developers", "legacy"},
				ManagedPolicies: []string{billing},
				Tags:            map[string]string{"roster:managed": "true"},
			}, Details: all,
				LoginProfile: true,
				AccessKeys:   []state.AccessKey{{ID: "AKIADAVE1"}, {ID: "AKIADAVE2"}},
				MFADevices:   []string{"arn:aws:iam::444455556666:mfa/dave"}, SSHPublicKeys: []string{"APKADAVE"}},
			"break-glass-1": {Name: "break-glass-1", Path: "/", Details: all, LoginProfile: true,
				Access: state.Access{ManagedPolicies: []string{"arn:aws:iam::aws:policy/AdministratorAccess"}}},
		},
	}
	// carol keeps her console password; the manifest does not ask for one.
	env.Users[2].Console = false
	return cfg, env, live
}

func opCount(e *plan.Environment) int {
	n := 0
	for _, ch := range e.Changes {
		n += len(ch.Ops)
	}
	return n
}

// summary is each change's operations with their status, for comparisons
// that read like the apply report.
func summary(r *apply.EnvironmentResult) []string {
	var out []string
	for _, c := range r.Changes {
		var ops []string
		for _, o := range c.Ops {
			s := string(o.Op.Type) + " " + string(o.Status)
			if o.Status == apply.Skipped {
				s += " (" + o.Reason + ")"
			}
			ops = append(ops, s)
		}
		out = append(out, fmt.Sprintf("%s %s %s: %s", c.Change.Action, c.Change.Kind, c.Change.Name, strings.Join(ops, ", ")))
	}
	return out
}

func TestRunConverges(t *testing.T) {
	t.Parallel()
	for _, conc := range []int{1, 3, 0} {
		t.Run(fmt.Sprintf("concurrency=%d", conc), func(t *testing.T) {
			t.Parallel()
			cfg, env, live := scenario(t)
			iam := newFakeIAM(t, cfg, env, live)
			unmanagedBefore := iam.user(t, "break-glass-1")
			p := iam.plan(t)
			if p.Refused != "" || len(p.Changes) != 8 {
				t.Fatalf("scenario plan: refused %q, %d changes; want 8 changes of every kind", p.Refused, len(p.Changes))
			}

			res := apply.Run(context.Background(), p, iam.writer, apply.Options{Concurrency: conc})
			peak, writes, written := iam.srv.PeakInFlight(), len(iam.writes()), iam.written()
			var record []string
			for _, c := range iam.recordWrites() {
				record = append(record, c.Action+" "+c.Params["UserName"])
			}

			if res.Status != apply.EnvApplied || res.Reason != "" {
				t.Errorf("status %s (%s), want applied:\n%s", res.Status, res.Reason, strings.Join(summary(res), "\n"))
			}
			if got, want := res.Tally(), (apply.Tally{Done: opCount(p)}); got != want {
				t.Errorf("tally %+v, want %+v", got, want)
			}
			if want := opCount(p); writes != want || len(written) != want {
				t.Errorf("%d writes, %d of them successful, want one successful write per operation (%d)", writes, len(written), want)
			}
			for _, c := range written {
				if c.NoOp {
					t.Errorf("%s found nothing to do", callKey(c))
				}
			}
			again := iam.plan(t)
			if len(again.Changes) != 0 {
				t.Errorf("plan after apply has %d changes, want none: %+v", len(again.Changes), again.Changes)
			}
			if diff := cmp.Diff(unmanagedBefore, iam.user(t, "break-glass-1")); diff != "" {
				t.Errorf("unmanaged user changed (-before +after):\n%s", diff)
			}
			if peak > max(conc, 1) && conc > 0 {
				t.Errorf("%d writes in flight at once, want at most %d", peak, conc)
			}
			var pw []string
			for _, c := range res.Changes {
				for _, o := range c.Ops {
					if o.Outcome.EncryptedPassword != "" {
						pw = append(pw, o.Op.User)
					}
				}
			}
			if diff := cmp.Diff([]string{"alice"}, pw); diff != "" {
				t.Errorf("encrypted passwords in the result (-want +got):\n%s", diff)
			}
			// The password was recorded as undelivered before IAM set it,
			// and the record cleared once it was delivered.
			if diff := cmp.Diff([]string{"TagUser alice", "UntagUser alice"}, record); diff != "" {
				t.Errorf("undelivered-password record writes (-want +got):\n%s", diff)
			}
			checkOrder(t, written)
		})
	}
}

// checkOrder verifies dependency order in a write log: a group is created
// before anyone joins it, users leave a group before it is deleted, and a
// user's teardown comes before DeleteUser.
func checkOrder(t *testing.T, log []iamtest.Call) {
	t.Helper()
	created := map[string]int{}
	deleted := map[string]int{}
	userDeleted := map[string]int{}
	for i, c := range log {
		switch c.Action {
		case "CreateGroup":
			created[c.Params["GroupName"]] = i
		case "DeleteGroup":
			deleted[c.Params["GroupName"]] = i
		case "DeleteUser":
			userDeleted[c.Params["UserName"]] = i
		}
	}
	for i, c := range log {
		user, group := c.Params["UserName"], c.Params["GroupName"]
		if c.Action == "AddUserToGroup" {
			if cr, ok := created[group]; ok && cr > i {
				t.Errorf("%s joined %s (write %d) before the group was created (write %d)", user, group, i, cr)
			}
		}
		if group != "" && c.Action != "DeleteGroup" {
			if d, ok := deleted[group]; ok && d < i {
				t.Errorf("%s on group %s (write %d) after the group was deleted (write %d)", c.Action, group, i, d)
			}
		}
		if user != "" && c.Action != "DeleteUser" {
			if d, ok := userDeleted[user]; ok && d < i {
				t.Errorf("%s on user %s (write %d) after DeleteUser (write %d)", c.Action, user, i, d)
			}
		}
	}
}

func TestRunFailures(t *testing.T) {
	t.Parallel()
	// Each case makes IAM refuse one request with AccessDenied.
	tests := []struct {
		name   string
		action string
		match  map[string]string
		want   []string
	}{
		{
			name:   "a failed group create skips the users that join it",
			action: "CreateGroup", match: map[string]string{"GroupName": "auditors"},
			want: []string{
				"create group auditors: CreateGroup failed, AttachGroupPolicy skipped (an earlier operation of this change failed)",
				"adopt user carol: TagUser skipped (the change to group auditors did not complete, so the user does not join it), AddUserToGroup skipped (the change to group auditors did not complete, so the user does not join it), DeleteLoginProfile skipped (the change to group auditors did not complete, so the user does not join it)",
				"update group developers: PutGroupPolicy done",
				"create user alice: CreateUser skipped (the change to group auditors did not complete, so the user does not join it), AddUserToGroup skipped (the change to group auditors did not complete, so the user does not join it), AddUserToGroup skipped (the change to group auditors did not complete, so the user does not join it), PutUserPolicy skipped (the change to group auditors did not complete, so the user does not join it), PutUserPolicy skipped (the change to group auditors did not complete, so the user does not join it), CreateLoginProfile skipped (the change to group auditors did not complete, so the user does not join it)",
				"update user bob: UpdateUser done, TagUser done",
				"create service_account ci-deployer: CreateUser done, AttachUserPolicy done",
				"delete user dave: DeleteLoginProfile done, DeleteAccessKey done, DeleteAccessKey done, DeactivateMFADevice done, DeleteVirtualMFADevice done, DeleteSSHPublicKey done, RemoveUserFromGroup done, RemoveUserFromGroup done, DetachUserPolicy done, DeleteUser done",
				"delete group legacy: RemoveUserFromGroup done, DetachGroupPolicy done, DeleteGroup done",
			},
		},
		{
			name:   "the first failed operation skips the rest of its change only",
			action: "PutUserPolicy", match: map[string]string{"PolicyName": "scratch"},
			want: []string{
				"create group auditors: CreateGroup done, AttachGroupPolicy done",
				"adopt user carol: TagUser done, AddUserToGroup done, DeleteLoginProfile done",
				"update group developers: PutGroupPolicy done",
				"create user alice: CreateUser done, AddUserToGroup done, AddUserToGroup done, PutUserPolicy done, PutUserPolicy failed, CreateLoginProfile skipped (an earlier operation of this change failed)",
				"update user bob: UpdateUser done, TagUser done",
				"create service_account ci-deployer: CreateUser done, AttachUserPolicy done",
				"delete user dave: DeleteLoginProfile done, DeleteAccessKey done, DeleteAccessKey done, DeactivateMFADevice done, DeleteVirtualMFADevice done, DeleteSSHPublicKey done, RemoveUserFromGroup done, RemoveUserFromGroup done, DetachUserPolicy done, DeleteUser done",
				"delete group legacy: RemoveUserFromGroup done, DetachGroupPolicy done, DeleteGroup done",
			},
		},
		{
			name:   "a group is not deleted while a change touching it did not complete",
			action: "DeleteAccessKey", match: map[string]string{"AccessKeyId": "AKIADAVE2"},
			want: []string{
				"create group auditors: CreateGroup done, AttachGroupPolicy done",
				"adopt user carol: TagUser done, AddUserToGroup done, DeleteLoginProfile done",
				"update group developers: PutGroupPolicy done",
				"create user alice: CreateUser done, AddUserToGroup done, AddUserToGroup done, PutUserPolicy done, PutUserPolicy done, CreateLoginProfile done",
				"update user bob: UpdateUser done, TagUser done",
				"create service_account ci-deployer: CreateUser done, AttachUserPolicy done",
				"delete user dave: DeleteLoginProfile done, DeleteAccessKey done, DeleteAccessKey failed, DeactivateMFADevice skipped (an earlier operation of this change failed), DeleteVirtualMFADevice skipped (an earlier operation of this change failed), DeleteSSHPublicKey skipped (an earlier operation of this change failed), RemoveUserFromGroup skipped (an earlier operation of this change failed), RemoveUserFromGroup skipped (an earlier operation of this change failed), DetachUserPolicy skipped (an earlier operation of this change failed), DeleteUser skipped (an earlier operation of this change failed)",
				"delete group legacy: RemoveUserFromGroup skipped (the change to user dave did not complete, so the group is not deleted), DetachGroupPolicy skipped (the change to user dave did not complete, so the group is not deleted), DeleteGroup skipped (the change to user dave did not complete, so the group is not deleted)",
			},
		},
		{
			name:   "a failed group update holds back the users joining it, not its members",
			action: "PutGroupPolicy", match: map[string]string{"GroupName": "developers"},
			want: []string{
				"create group auditors: CreateGroup done, AttachGroupPolicy done",
				"adopt user carol: TagUser done, AddUserToGroup done, DeleteLoginProfile done",
				"update group developers: PutGroupPolicy failed",
				"create user alice: CreateUser skipped (the change to group developers did not complete, so the user does not join it), AddUserToGroup skipped (the change to group developers did not complete, so the user does not join it), AddUserToGroup skipped (the change to group developers did not complete, so the user does not join it), PutUserPolicy skipped (the change to group developers did not complete, so the user does not join it), PutUserPolicy skipped (the change to group developers did not complete, so the user does not join it), CreateLoginProfile skipped (the change to group developers did not complete, so the user does not join it)",
				"update user bob: UpdateUser done, TagUser done",
				"create service_account ci-deployer: CreateUser done, AttachUserPolicy done",
				"delete user dave: DeleteLoginProfile done, DeleteAccessKey done, DeleteAccessKey done, DeactivateMFADevice done, DeleteVirtualMFADevice done, DeleteSSHPublicKey done, RemoveUserFromGroup done, RemoveUserFromGroup done, DetachUserPolicy done, DeleteUser done",
				"delete group legacy: RemoveUserFromGroup done, DetachGroupPolicy done, DeleteGroup done",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, env, live := scenario(t)
			iam := newFakeIAM(t, cfg, env, live)
			iam.srv.FailNextMatching(tt.action, tt.match, "AccessDenied", 1)
			p := iam.plan(t)
			res := apply.Run(context.Background(), p, iam.writer, apply.Options{})
			if diff := cmp.Diff(tt.want, summary(res)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if res.Status != apply.EnvFailed || !strings.Contains(res.Reason, "1 of ") {
				t.Errorf("status %s (%s), want failed with one failed operation", res.Status, res.Reason)
			}
			for _, c := range res.Changes {
				for _, o := range c.Ops {
					if want := "not allowed to call iam:" + tt.action; o.Status == apply.Failed && !strings.Contains(o.Error, want) {
						t.Errorf("%s failed with %q, want the writer's error (%q)", o.Op.Type, o.Error, want)
					}
				}
			}

			// A second run after fixing the cause converges.
			p = iam.plan(t)
			if res := apply.Run(context.Background(), p, iam.writer, apply.Options{}); res.Status != apply.EnvApplied {
				t.Fatalf("re-run: %s (%s)", res.Status, res.Reason)
			}
			if again := iam.plan(t); len(again.Changes) != 0 {
				t.Errorf("plan after the re-run has %d changes, want none", len(again.Changes))
			}
		})
	}
}

func TestRunRefusedAndEmpty(t *testing.T) {
	t.Parallel()
	cfg, env, live := scenario(t)
	env.Guardrails.MaxDeletions = 0
	iam := newFakeIAM(t, cfg, env, live)
	p := iam.plan(t)
	if p.Refused == "" {
		t.Fatal("scenario with max_deletions 0 is not refused")
	}
	res := apply.Run(context.Background(), p, iam.writer, apply.Options{})
	if res.Status != apply.EnvRefused || res.Reason != p.Refused {
		t.Errorf("refused plan: status %s, reason %q; want refused with the refusal %q", res.Status, res.Reason, p.Refused)
	}
	if got, want := res.Tally(), (apply.Tally{Skipped: opCount(p)}); got != want {
		t.Errorf("refused plan tally %+v, want %+v", got, want)
	}
	if n := len(iam.writes()); n != 0 {
		t.Errorf("refused plan made %d writes, want none", n)
	}

	empty := &plan.Environment{Name: "development", AccountID: "111122223333", Changes: []plan.Change{}}
	res = apply.Run(context.Background(), empty, iam.writer, apply.Options{})
	if res.Status != apply.EnvNoChanges || len(res.Changes) != 0 {
		t.Errorf("empty plan: status %s with %d changes, want no_changes", res.Status, len(res.Changes))
	}
}

// TestRunCancelled cancels after every possible number of finished
// operations: every operation gets a result, only operations that started
// were written, and a fresh plan and run then converge without writing
// anything twice.
func TestRunCancelled(t *testing.T) {
	t.Parallel()
	cfg, env, live := scenario(t)
	total := opCount(newFakeIAM(t, cfg, env, live).plan(t))
	for k := 1; k <= total; k++ {
		for _, conc := range []int{1, 4} {
			t.Run(fmt.Sprintf("after=%d/concurrency=%d", k, conc), func(t *testing.T) {
				t.Parallel()
				cfg, env, live := scenario(t)
				iam := newFakeIAM(t, cfg, env, live)
				p := iam.plan(t)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var finished atomic.Int64
				res := apply.Run(ctx, p, iam.writer, apply.Options{Concurrency: conc, Progress: func(string, apply.OpResult) {
					if finished.Add(1) == int64(k) {
						cancel()
					}
				}})
				tally, writes := res.Tally(), len(iam.writes())
				if tally.Done+tally.Failed+tally.Skipped != total {
					t.Fatalf("%+v: %d results, want one per operation (%d)", tally, tally.Done+tally.Failed+tally.Skipped, total)
				}
				if tally.Done != writes || tally.Failed != 0 {
					t.Errorf("%+v with %d writes: want every started operation done", tally, writes)
				}
				if tally.Done < k {
					t.Errorf("%d operations done, want at least the %d before the cancellation", tally.Done, k)
				}
				if k < total && conc == 1 && (tally.Skipped == 0 || res.Status != apply.EnvFailed) {
					t.Errorf("cancelled run: status %s, %+v; want failed with skipped operations", res.Status, tally)
				}

				first := iam.written()
				p2 := iam.plan(t)
				if res := apply.Run(context.Background(), p2, iam.writer, apply.Options{Concurrency: conc}); res.Status == apply.EnvFailed {
					t.Fatalf("re-run: %s (%s)", res.Status, res.Reason)
				}
				both := append(first, iam.written()...)
				if again := iam.plan(t); len(again.Changes) != 0 {
					t.Errorf("plan after the re-run has %d changes, want none", len(again.Changes))
				}
				seen := map[string]int{}
				for _, c := range both {
					seen[callKey(c)]++
				}
				for key, n := range seen {
					if n > 1 && !strings.HasPrefix(key, "TagUser") {
						t.Errorf("%s written %d times, want once", key, n)
					}
				}
				// At most the plan's operations: a cancellation between
				// DeactivateMFADevice and DeleteVirtualMFADevice leaves a
				// device the second plan no longer sees.
				if got := len(both); got > total {
					t.Errorf("%d writes over both runs, want at most the %d operations of the plan", got, total)
				}
			})
		}
	}
}

// TestRunConcurrent proves changes of one phase run at once, up to the
// limit: IAM holds every CreateUser until limit of them are being answered.
func TestRunConcurrent(t *testing.T) {
	t.Parallel()
	const limit = 4
	env := &manifest.Environment{Name: "development", AccountID: "111122223333", Guardrails: manifest.Guardrails{MaxDeletions: 5}}
	for i := range 12 {
		env.Users = append(env.Users, &manifest.User{Kind: manifest.Person, Name: fmt.Sprintf("user%02d", i)})
	}
	iam := newFakeIAM(t, manifest.Config{}, env, &state.Account{AccountID: env.AccountID})
	p := iam.plan(t)
	iam.srv.Gather("CreateUser", limit, 10*time.Second)
	res := apply.Run(context.Background(), p, iam.writer, apply.Options{Concurrency: limit})
	if res.Status != apply.EnvApplied {
		t.Fatalf("status %s (%s)", res.Status, res.Reason)
	}
	if !iam.srv.Gathered("CreateUser") {
		t.Errorf("never had %d writes in flight at once", limit)
	}
	if peak := iam.srv.PeakInFlight(); peak > limit {
		t.Errorf("%d writes in flight at once, want at most %d", peak, limit)
	}
}

// writerFunc adapts a function to Writer.
type writerFunc func(ctx context.Context, op plan.Op) (apply.Outcome, error)

func (f writerFunc) Write(ctx context.Context, op plan.Op) (apply.Outcome, error) { return f(ctx, op) }

// TestRunFollowsPlanOrder: Run takes phases and dependencies from the plan
// as given and works nothing out again from the operations: a change waits
// for exactly what its DependsOn names, and a plan that breaks the ordering
// contract is not run.
func TestRunFollowsPlanOrder(t *testing.T) {
	t.Parallel()
	groupCreate := plan.Change{Action: plan.Create, Kind: plan.KindGroup, Name: "ops", Phase: plan.PhaseGroupCreate,
		Ops: []plan.Op{{Type: plan.OpCreateGroup, Group: "ops"}}}
	user := func(name string, phase plan.Phase, deps ...int) plan.Change {
		return plan.Change{Action: plan.Create, Kind: plan.KindUser, Name: name, Phase: phase, DependsOn: deps,
			Ops: []plan.Op{{Type: plan.OpCreateUser, User: name}, {Type: plan.OpAddUserToGroup, User: name, Group: "ops"}}}
	}
	tests := []struct {
		name    string
		changes []plan.Change
		want    []string
	}{
		{
			name:    "a dependency named by the plan holds the change back",
			changes: []plan.Change{groupCreate, user("amy", plan.PhaseUserChange, 0)},
			want: []string{
				"create group ops: CreateGroup failed",
				"create user amy: CreateUser skipped (the change to group ops did not complete, so the user does not join it), AddUserToGroup skipped (the change to group ops did not complete, so the user does not join it)",
			},
		},
		{
			name:    "without a dependency in the plan the change runs",
			changes: []plan.Change{groupCreate, user("amy", plan.PhaseUserChange)},
			want: []string{
				"create group ops: CreateGroup failed",
				"create user amy: CreateUser done, AddUserToGroup done",
			},
		},
		{
			name:    "a dependency on a change of the same phase is refused",
			changes: []plan.Change{groupCreate, user("amy", plan.PhaseUserChange), user("bob", plan.PhaseUserChange, 1)},
			want: []string{
				"create group ops: CreateGroup failed",
				"create user amy: CreateUser done, AddUserToGroup done",
				"create user bob: CreateUser skipped (the plan lists an invalid dependency (1) for this change), AddUserToGroup skipped (the plan lists an invalid dependency (1) for this change)",
			},
		},
		{
			name:    "a phase out of range is refused",
			changes: []plan.Change{groupCreate, user("amy", plan.Phase(plan.PhaseCount))},
			want: []string{
				"create group ops: CreateGroup failed",
				"create user amy: CreateUser skipped (the plan lists an invalid phase (6) for this change), AddUserToGroup skipped (the plan lists an invalid phase (6) for this change)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := &plan.Environment{Name: "development", AccountID: "111122223333", Changes: tt.changes}
			w := writerFunc(func(_ context.Context, op plan.Op) (apply.Outcome, error) {
				if op.Type == plan.OpCreateGroup {
					return apply.Outcome{}, errors.New("AccessDenied: not allowed")
				}
				return apply.Outcome{}, nil
			})
			res := apply.Run(context.Background(), env, w, apply.Options{Concurrency: 1})
			if diff := cmp.Diff(tt.want, summary(res)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if res.Status != apply.EnvFailed {
				t.Errorf("status %s, want failed", res.Status)
			}
		})
	}
}

// TestRunPauseGivesBackTheSlot: an operation waiting in apply.Pause (the
// writer waiting out IAM's propagation) does not hold its concurrency slot:
// with one slot, the other change of the phase runs during the wait, and
// never more operations than the limit run outside a pause.
func TestRunPauseGivesBackTheSlot(t *testing.T) {
	t.Parallel()
	user := func(name string) plan.Change {
		return plan.Change{Action: plan.Create, Kind: plan.KindUser, Name: name, Phase: plan.PhaseUserChange,
			Ops: []plan.Op{{Type: plan.OpCreateUser, User: name}}}
	}
	env := &plan.Environment{Name: "development", AccountID: "111122223333", Changes: []plan.Change{user("amy"), user("ben")}}
	var (
		mu              sync.Mutex
		calls, running  int
		peak            int
		othersRanDuring bool
	)
	second := make(chan struct{})
	enter := func() int {
		mu.Lock()
		defer mu.Unlock()
		calls++
		running++
		peak = max(peak, running)
		return calls
	}
	leave := func() {
		mu.Lock()
		defer mu.Unlock()
		running--
	}
	// The first operation waits, paused, for the second to run.
	w := writerFunc(func(ctx context.Context, _ plan.Op) (apply.Outcome, error) {
		n := enter()
		defer leave()
		if n > 1 {
			close(second)
			return apply.Outcome{}, nil
		}
		leave()
		err := apply.Pause(ctx, func() error {
			select {
			case <-second:
				othersRanDuring = true
			case <-time.After(30 * time.Second): // a deadlock guard, not a timing
			}
			return nil
		})
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		return apply.Outcome{}, err
	})
	res := apply.Run(context.Background(), env, w, apply.Options{Concurrency: 1})
	if res.Status != apply.EnvApplied {
		t.Fatalf("status %s (%s)", res.Status, res.Reason)
	}
	if !othersRanDuring {
		t.Error("the second change did not run while the first operation paused: the pause held the only slot")
	}
	if peak > 1 {
		t.Errorf("%d operations ran at once outside a pause, want at most 1", peak)
	}
}
