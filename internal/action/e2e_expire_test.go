package action_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/iamtest"
)

// expirePeople is production with alice's prod-operators membership ending
// at 18:00 on 2026-12-03.
const expirePeople = `groups:
  - name: operators
    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
  - name: prod-operators
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
users:
  - name: alice
    groups:
      - operators
      - name: prod-operators
        expires: 2026-12-03T18:00:00Z
    tags: { team: payments }
`

// runAt runs the binary with its clock at the RFC 3339 time now.
func (w *world) runAt(now, event string, payload map[string]any, inputs map[string]string) result {
	w.t.Helper()
	return w.runEnv(event, payload, inputs, map[string]string{"ROSTER_E2E_NOW": now})
}

// writes lists the IAM writes so far as "account Action Param=value...".
func (w *world) writes() []string {
	var out []string
	for _, c := range w.iam.Writes() {
		s := c.Account + " " + c.Action
		for _, k := range []string{"UserName", "GroupName", "PolicyArn", "SerialNumber"} {
			if v, ok := c.Params[k]; ok {
				s += " " + k + "=" + v
			}
		}
		out = append(out, s)
	}
	return out
}

// expireWorld is production with alice in prod-operators until 18:00, and
// live IAM as the manifests say except for AdministratorAccess someone
// attached to alice by hand: drift that only a reviewed apply may undo.
func expireWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	w.write(prdPeople, expirePeople)
	w.iam.Account(prdAccount).PutGroup(iamtest.Group{Name: "prod-operators", ManagedPolicies: []string{powerUser}})
	w.seedInSync(withAdmin, func(u *iamtest.User) { u.Groups = append(u.Groups, "prod-operators") })
	w.landReviewed(1, "octocat")
	return w
}

// landReviewed makes the workspace the default branch's head, sha(100): the
// merge (from baseSHA) of a pull request by author that changes both
// environments, planned on its final commit sha(n) — the trusted record —
// and approved there by approvers. The expire run traces the end dates it
// enforces to this merge.
func (w *world) landReviewed(n int, author string, approvers ...string) int {
	w.t.Helper()
	w.gh.SetBranch(repoName, "main", baseSHA)
	w.gh.AddCommitOn(repoName, "main", sha(100), w.tree())
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{
		Title: "Access change", User: author, HeadSHA: sha(n), BaseSHA: baseSHA,
		Files:  []githubtest.File{{Filename: devPeople}, {Filename: prdPeople}},
		Merged: true, MergeCommitSHA: sha(100),
	})
	w.run("pull_request", pullRequestPayload(pr, sha(n)), nil).mustSucceed(w.t)
	for _, a := range approvers {
		w.gh.AddReview(repoName, pr, githubtest.Review{User: a, State: githubtest.Approved, CommitID: sha(n)})
	}
	w.head = sha(100)
	return pr
}

func hourly() map[string]any {
	return map[string]any{"schedule": "17 * * * *", "repository": map[string]any{"full_name": repoName, "default_branch": "main"}}
}

// The issue's test: a membership that ends at 18:00 is in the plan at 17:59
// (shown with its end) and untouched by the 17:59 scheduled run; the 18:00
// scheduled run removes it, and nothing else changes (alice's hand-attached
// AdministratorAccess stays for a reviewed apply). The run reports in the
// log, the job summary, the outputs and the roster:expired issue.
func TestExpireMembershipEndsAt1800(t *testing.T) {
	t.Parallel()
	w := expireWorld(t)
	w.binary = true // the built binary, as the runner runs it (see runEnv)
	expire := map[string]string{"command": "expire"}

	plan := w.runAt("2026-12-03T17:59:00Z", "workflow_dispatch", schedule(), map[string]string{"command": "plan", "environments": "production"}).mustSucceed(t)
	if !strings.Contains(plan.summary, "prod\\-operators") || !strings.Contains(plan.summary, "2026\\-12\\-03 18:00 UTC") {
		t.Errorf("the plan at 17:59 does not show alice's prod-operators membership with its end:\n%s", plan.summary)
	}
	if strings.Contains(plan.summary, "RemoveUserFromGroup") {
		t.Errorf("the plan at 17:59 removes the membership:\n%s", plan.summary)
	}

	at1759 := w.runAt("2026-12-03T17:59:00Z", "schedule", hourly(), expire).mustSucceed(t)
	if diff := cmp.Diff(map[string]string{"command": "expire", "result": "no-changes", "has-changes": "false", "expired": "[]"},
		pick(at1759.outputs, "command", "result", "has-changes", "expired")); diff != "" {
		t.Errorf("17:59 outputs (-want +got):\n%s", diff)
	}
	if got := w.writes(); len(got) != 0 {
		t.Errorf("17:59 wrote to IAM: %v", got)
	}
	if got := w.issues("roster:expired"); len(got) != 0 {
		t.Errorf("17:59 opened an issue: %+v", got)
	}

	at1800 := w.runAt("2026-12-03T18:00:00Z", "schedule", hourly(), expire).mustSucceed(t)
	if diff := cmp.Diff([]string{prdAccount + " RemoveUserFromGroup UserName=alice GroupName=prod-operators"}, w.writes()); diff != "" {
		t.Errorf("18:00 IAM writes (-want +got):\n%s", diff)
	}
	u, _ := w.iam.Account(prdAccount).User("alice")
	if diff := cmp.Diff([]string{"operators"}, u.Groups); diff != "" {
		t.Errorf("alice's groups after 18:00 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{adminPolicy}, u.ManagedPolicies); diff != "" {
		t.Errorf("alice's hand-attached policy changed (-want +got):\n%s", diff)
	}
	var expired []map[string]any
	if err := json.Unmarshal([]byte(at1800.outputs["expired"]), &expired); err != nil {
		t.Fatalf("expired output %q: %v", at1800.outputs["expired"], err)
	}
	want := []map[string]any{{"environment": "production", "kind": "user", "name": "alice", "groups": []any{"prod-operators"},
		"reason": "membership of prod-operators ended at 2026-12-03 18:00 UTC", "status": "done"}}
	if diff := cmp.Diff(want, expired); diff != "" {
		t.Errorf("expired output (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"result": "applied", "has-changes": "true"}, pick(at1800.outputs, "result", "has-changes")); diff != "" {
		t.Errorf("18:00 outputs (-want +got):\n%s", diff)
	}
	for _, s := range []string{"update user alice (membership of prod-operators ended at 2026-12-03 18:00 UTC)", "done    RemoveUserFromGroup alice prod-operators",
		"production: 1 change left for a reviewed apply"} {
		if !strings.Contains(at1800.log, s) {
			t.Errorf("18:00 log lacks %q:\n%s", s, at1800.log)
		}
	}
	if !strings.Contains(at1800.summary, "## roster expire") || !strings.Contains(at1800.summary, "RemoveUserFromGroup alice prod\\-operators") {
		t.Errorf("18:00 job summary:\n%s", at1800.summary)
	}
	issues := w.issues("roster:expired")
	if len(issues) != 1 || issues[0].State != "open" {
		t.Fatalf("roster:expired issues after 18:00: %+v, want one open", issues)
	}
	comments := w.gh.Comments(repoName, issues[0].Number)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "production: user **alice** left prod\\-operators") {
		t.Errorf("comments on the expired issue: %+v", comments)
	}

	again := w.runAt("2026-12-03T19:00:00Z", "schedule", hourly(), expire).mustSucceed(t)
	if again.outputs["result"] != "no-changes" || len(w.writes()) != 1 || len(w.gh.Comments(repoName, issues[0].Number)) != 1 {
		t.Errorf("19:00: result %q, %d writes, %d comments; want no-changes, nothing new", again.outputs["result"], len(w.writes()), len(w.gh.Comments(repoName, issues[0].Number)))
	}
	t.Logf("hourly run at 17:59:\n%s\nhourly run at 18:00:\n%s\nits job summary:\n%s\ncomment on issue #%d:\n%s",
		at1759.log, at1800.log, at1800.summary, issues[0].Number, comments[0].Body)
}

// pick returns the named outputs.
func pick(outputs map[string]string, names ...string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		out[n] = outputs[n]
	}
	return out
}

// A user whose expires date has passed is offboarded by the schedule, with
// every credential IAM requires removed first, and no pull request of its
// own (it only reads the merge that wrote the date).
func TestExpireOffboardsExpiredUserWithoutPullRequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.write(devPeople, `groups:
  - name: developers
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
users:
  - name: alice
    groups: [developers]
    tags: { team: payments }
  - name: carol
    groups: [developers]
    expires: 2026-11-30
`)
	w.seedInSync()
	carol := iamtest.User{Name: "carol", Groups: []string{"developers"}, Tags: []iamtest.Tag{{Key: "roster:managed", Value: "true"}},
		LoginProfile: &iamtest.LoginProfile{Password: "Carol-Passw0rd!"}, AccessKeys: []iamtest.AccessKey{{}}, MFADevices: []iamtest.MFADevice{{}}}
	w.iam.Account(devAccount).PutUser(carol)
	w.landReviewed(1, "octocat")
	calls := w.gh.Count("POST", "/repos/*/*/pulls")

	res := w.runAt("2026-12-01T00:17:00Z", "schedule", hourly(), map[string]string{"command": "expire"}).mustSucceed(t)
	if _, ok := w.iam.Account(devAccount).User("carol"); ok {
		t.Fatalf("carol is still in development; log:\n%s", res.log)
	}
	got := w.writes()
	if len(got) == 0 || got[len(got)-1] != devAccount+" DeleteUser UserName=carol" {
		t.Errorf("writes %v, want carol's teardown ending in DeleteUser", got)
	}
	for _, c := range got {
		if !strings.Contains(c, "UserName=carol") && !strings.HasSuffix(c, ":mfa/carol") {
			t.Errorf("a write that is not carol's offboarding: %s", c)
		}
	}
	if n := w.gh.Count("POST", "/repos/*/*/pulls") - calls; n != 0 {
		t.Errorf("the expire run opened %d pull requests; it needs none", n)
	}
	if !strings.Contains(res.log, "delete user carol (expired on 2026-11-30)") {
		t.Errorf("log does not say why carol went:\n%s", res.log)
	}
}

// Expiry enforces, without review, the end dates of the manifests it runs
// on, so it runs only on a schedule or a manual run of the default branch:
// a branch where someone wrote an end date in the past, or any other
// event, is refused before anything is read or written.
func TestExpireRefusedOffTheDefaultBranch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, event string
		payload     map[string]any
		want        string
	}{
		{"workflow_dispatch on a branch", "workflow_dispatch", map[string]any{"ref": "refs/heads/revoke-bob", "repository": map[string]any{"full_name": repoName, "default_branch": "main"}},
			"command expire runs only on a schedule or a workflow_dispatch of the default branch, not on workflow_dispatch of refs/heads/revoke-bob"},
		{"push to the default branch", "push", pushPayload(sha(100)), "command expire runs only on a schedule or a workflow_dispatch of the default branch, not on push"},
		{"pull_request", "pull_request", pullRequestPayload(7, sha(7)), "command expire runs only on a schedule or a workflow_dispatch of the default branch, not on pull_request"},
		{"issue_comment", "issue_comment", schedule(), "roster does not run on issue_comment events"},
		{"workflow_run", "workflow_run", schedule(), "roster does not run on workflow_run events"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.write(devPeople, "users:\n  - name: alice\n    expires: 2026-01-01\n")
			w.seedInSync()
			res := w.runAt("2026-12-03T18:00:00Z", tt.event, tt.payload, map[string]string{"command": "expire"})
			w.refusedNothingWritten(res, tt.want)
			if n := len(w.iam.Calls()); n != 0 {
				t.Errorf("a refused run called IAM in %d accounts", n)
			}
		})
	}
}

// movedEndWorld is production with approvals by alice-admin and alice in
// prod-operators, live and in the workspace, where mallory's change has
// moved her end from 18:00 to 09:00 (not committed yet).
func movedEndWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	w.withProductionApprovals("approvals:\n  required: 1\n  reviewers: [alice-admin]\n")
	w.write(prdPeople, expirePeople)
	w.iam.Account(prdAccount).PutGroup(iamtest.Group{Name: "prod-operators", ManagedPolicies: []string{powerUser}})
	w.seedInSync(func(u *iamtest.User) { u.Groups = append(u.Groups, "prod-operators") })
	moveEnd(t, w)
	return w
}

// moveEnd is a pull request by mallory that moves alice's prod-operators
// end from 18:00 to 09:00: merged without production's approvals, its
// apply was refused, but the end date stays on the default branch.
func moveEnd(t *testing.T, w *world) {
	t.Helper()
	people := w.read(prdPeople)
	moved := strings.Replace(people, "expires: 2026-12-03T18:00:00Z", "expires: 2026-12-03T09:00:00Z", 1)
	if moved == people {
		t.Fatalf("no end to move in %s:\n%s", prdPeople, people)
	}
	w.write(prdPeople, moved)
}

// The attack: a writer without production's approvals merges a pull
// request that moves someone's end into the past. The merge's apply
// refuses it (TestPullRequestMovingAnEndNeedsApprovals), so the hourly
// expire run must not carry it out either: it traces production's folder
// to that merge, finds its approvals missing, writes nothing and says so.
// The same end merged with the approvals is enforced.
func TestExpireEnforcesOnlyEndsThatPassedTheGate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		approvers []string
		removed   bool
		want      string
	}{
		{name: "merged without approvals", approvers: nil, want: "was merged without production's approvals on its final commit"},
		{name: "approved by the author only", approvers: []string{"mallory"}, want: "was merged without production's approvals on its final commit"},
		{name: "approved by a reviewer", approvers: []string{"alice-admin"}, removed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := movedEndWorld(t)
			w.landReviewed(1, "mallory", tc.approvers...)

			res := w.runAt("2026-12-03T12:17:00Z", "schedule", hourly(), map[string]string{"command": "expire"})
			u, _ := w.iam.Account(prdAccount).User("alice")
			if got := slices.Contains(u.Groups, "prod-operators"); got == tc.removed {
				t.Fatalf("alice in prod-operators after the 12:17 run: %v; log:\n%s", got, res.log)
			}
			if tc.removed {
				res.mustSucceed(t)
				return
			}
			if res.code != 1 || len(w.writes()) != 0 {
				t.Errorf("exit code %d, writes %v; want 1 and none", res.code, w.writes())
			}
			if !strings.Contains(res.log, tc.want) || !strings.Contains(res.log, "a reviewer of production can run the expire workflow by hand") {
				t.Errorf("log does not say why expiry waits:\n%s", res.log)
			}
			issues := w.issues("roster:expired")
			if len(issues) != 1 || !strings.Contains(strings.Join(w.comments(issues[0].Number, ""), "\n"), "production refused") {
				t.Errorf("the roster:expired issue does not record the refusal: %+v", issues)
			}
		})
	}
}

// An end date pushed to the default branch without a pull request was never
// reviewed: the schedule refuses it, and a reviewer of the environment may
// enforce it by hand (as for a manual apply); anyone else may not.
func TestExpireOfAnUnreviewedPush(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, event, actor string
		removed            bool
		want               string
	}{
		{name: "schedule", event: "schedule", want: "without a pull request, so its end dates were never reviewed"},
		{name: "manual run by a non-reviewer", event: "workflow_dispatch", actor: "mallory", want: "allowed only to its reviewers"},
		{name: "manual run by a reviewer", event: "workflow_dispatch", actor: "alice-admin", removed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := movedEndWorld(t)
			w.gh.SetBranch(repoName, "main", baseSHA)
			w.gh.AddCommitOn(repoName, "main", sha(100), w.tree()) // a push, no pull request
			w.head = sha(100)

			payload := hourly()
			if tc.event == "workflow_dispatch" {
				payload = schedule()
			}
			res := w.runEnv(tc.event, payload, map[string]string{"command": "expire"},
				map[string]string{"ROSTER_E2E_NOW": "2026-12-03T12:17:00Z", "GITHUB_ACTOR": tc.actor})
			u, _ := w.iam.Account(prdAccount).User("alice")
			if got := slices.Contains(u.Groups, "prod-operators"); got == tc.removed {
				t.Fatalf("alice in prod-operators after the run: %v; log:\n%s", got, res.log)
			}
			if tc.removed {
				res.mustSucceed(t)
				return
			}
			if res.code != 1 || len(w.writes()) != 0 || !strings.Contains(res.log, tc.want) {
				t.Errorf("exit code %d, writes %v; want 1, none, and %q in the log:\n%s", res.code, w.writes(), tc.want, res.log)
			}
		})
	}
}

// One merge that changed both folders is read and judged once, however many
// environments trace their end dates to it; and its verdict is each
// environment's own: development (no approvals) expires carol, production
// (approvals missing) is refused.
func TestExpireJudgesASharedMergeOnce(t *testing.T) {
	t.Parallel()
	w := movedEndWorld(t)
	w.write(devPeople, `groups:
  - name: developers
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
users:
  - name: alice
    groups: [developers]
    tags: { team: payments }
  - name: carol
    groups: [developers]
    expires: 2026-12-01
`)
	w.iam.Account(devAccount).PutUser(iamtest.User{Name: "carol", Groups: []string{"developers"}, Tags: []iamtest.Tag{{Key: "roster:managed", Value: "true"}}})
	w.landReviewed(1, "mallory")
	before := map[string]int{}
	for _, p := range []string{"/repos/*/*/commits/*/pulls", "/repos/*/*/pulls/*/files", "/repos/*/*/pulls/*/reviews"} {
		before[p] = w.gh.Count("GET", p)
	}

	res := w.runAt("2026-12-03T12:17:00Z", "schedule", hourly(), map[string]string{"command": "expire"})
	if _, ok := w.iam.Account(devAccount).User("carol"); ok {
		t.Errorf("carol is still in development; log:\n%s", res.log)
	}
	if u, _ := w.iam.Account(prdAccount).User("alice"); !slices.Contains(u.Groups, "prod-operators") {
		t.Errorf("production removed alice's membership although its approvals are missing; log:\n%s", res.log)
	}
	if res.code != 1 || !strings.Contains(res.log, "was merged without production's approvals") {
		t.Errorf("exit code %d; want 1 and production's refusal in the log:\n%s", res.code, res.log)
	}
	for p, n := range before {
		if got := w.gh.Count("GET", p) - n; got != 1 {
			t.Errorf("the run read %s %d times for one merge, want 1", p, got)
		}
	}
}
