package action_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/render"
)

// refusedNothingWritten fails the test unless the run was refused, wrote
// nothing to IAM, and said want in its log.
func (w *world) refusedNothingWritten(res result, want string) {
	w.t.Helper()
	if res.code != 1 || res.outputs["result"] != "refused" {
		w.t.Fatalf("exit code %d, result %q; want 1, refused; log:\n%s", res.code, res.outputs["result"], res.log)
	}
	if writes := w.iam.Writes(); len(writes) != 0 {
		w.t.Errorf("refused run wrote to IAM: %v", writes)
	}
	if !strings.Contains(res.log, want) {
		w.t.Errorf("log does not say %q:\n%s", want, res.log)
	}
}

// mergedPR seeds a merged pull request by author changing both
// environments, with final head head and merge commit sha(100).
func (w *world) mergedPR(author, head string, files ...string) int {
	w.t.Helper()
	if len(files) == 0 {
		files = []string{devPeople, prdPeople}
	}
	var fs []githubtest.File
	for _, f := range files {
		fs = append(fs, githubtest.File{Filename: f})
	}
	return w.gh.AddPullRequest(repoName, githubtest.PullRequest{
		Title: "Access change", User: author, HeadSHA: head, Files: fs, Merged: true, MergeCommitSHA: sha(100),
	})
}

// A merge nobody planned (a fork's pull request, which only validates, or
// a plan job that failed before recording) is refused: no record, no apply.
func TestMergeWithoutRecordRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.mergedPR("mallory", sha(1))
	res := w.run("push", pushPayload(sha(100)), nil)
	w.refusedNothingWritten(res, "no trusted reviewed-plan record")
	if !strings.Contains(res.log, "re-run the plan on the pull request") {
		t.Errorf("the refusal does not say how to proceed:\n%s", res.log)
	}
}

// A record written on an older head commit does not cover the final one.
func TestMergeOfUnplannedFinalCommitRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.mergedPR("mallory", sha(1))
	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)
	w.gh.PushToPullRequest(repoName, pr, sha(2)) // its plan job failed before recording
	w.refusedNothingWritten(w.run("push", pushPayload(sha(100)), nil), "no trusted reviewed-plan record")
}

// An invalid last push replaces the record with one without digests: the
// merge applies nothing.
func TestMergeAfterFailedPlanRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.mergedPR("mallory", sha(1))
	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)
	good := w.read(devPeople)
	w.write(devPeople, "users: [")
	w.gh.PushToPullRequest(repoName, pr, sha(2))
	if res := w.run("pull_request", pullRequestPayload(pr, sha(2)), nil); res.code != 1 {
		t.Fatalf("invalid push: exit %d, want 1", res.code)
	}
	w.write(devPeople, good)
	w.refusedNothingWritten(w.run("push", pushPayload(sha(100)), nil), "failed on its final commit")
}

// A check run named like the record but created by another app is not the
// record.
func TestRecordFromAnotherAppRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.mergedPR("mallory", sha(1))
	plan := w.run("workflow_dispatch", schedule(), map[string]string{"command": "plan"}).mustSucceed(t)
	w.iam.ResetCalls()
	text := "```json\n{\n  \"roster_plan_record\": 1,\n  \"pull_request\": " + itoa(pr) + ",\n  \"head_sha\": \"" + sha(1) + "\",\n  \"digests\": " + plan.outputs["digests"] + "\n}\n```"
	w.gh.AddCheckRun(repoName, githubtest.CheckRun{Name: "roster/plan", HeadSHA: sha(1), App: githubtest.App{ID: 4242, Slug: "evil-app", Owner: "mallory"}, Text: text})
	res := w.run("push", pushPayload(sha(100)), nil)
	w.refusedNothingWritten(res, "not the trusted app")
}

// A pull request that changes a workflow together with the access folder
// could have written its own record with the workflow's token: refused even
// with a record.
func TestMergeChangingWorkflowsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.mergedPR("mallory", sha(1), devPeople, prdPeople, ".github/workflows/forge.yml")
	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)
	w.refusedNothingWritten(w.run("push", pushPayload(sha(100)), nil), "changes .github/workflows/forge.yml together with access")
}

// Events that run with the base repository's token on input others control
// are refused for every command; apply runs only on the default branch.
func TestEventsAndRefsRefused(t *testing.T) {
	t.Parallel()
	prPayload := pullRequestPayload(1, sha(1))
	cases := []struct {
		event, command string
		payload        map[string]any
		want           string
	}{
		{"pull_request_target", "auto", prPayload, "does not run on pull_request_target"},
		{"pull_request_target", "plan", prPayload, "does not run on pull_request_target"},
		{"pull_request_target", "apply", prPayload, "does not run on pull_request_target"},
		{"issue_comment", "plan", prPayload, "does not run on issue_comment"},
		{"issue_comment", "apply", prPayload, "does not run on issue_comment"},
		{"workflow_run", "plan", schedule(), "does not run on workflow_run"},
		{"workflow_run", "apply", schedule(), "does not run on workflow_run"},
		{"push", "apply", map[string]any{"ref": "refs/heads/feature", "before": sha(98), "after": sha(100), "repository": map[string]any{"full_name": repoName, "default_branch": "main"}}, "only on a push to the default branch"},
		{"pull_request", "apply", prPayload, "only on a push to the default branch"},
	}
	for _, tc := range cases {
		t.Run(tc.event+"/"+tc.command, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(1), Files: []githubtest.File{{Filename: devPeople}}, Merged: true, MergeCommitSHA: sha(100)})
			res := w.run(tc.event, tc.payload, map[string]string{"command": tc.command})
			w.refusedNothingWritten(res, tc.want)
			if n := w.iam.TotalCalls(devAccount) + w.iam.TotalCalls(prdAccount); n != 0 {
				t.Errorf("a refused event made %d AWS calls", n)
			}
			if n := len(w.gh.Comments(repoName, 1)) + len(w.gh.CheckRuns(repoName)); n != 0 {
				t.Errorf("a refused event wrote %d comments or check runs", n)
			}
		})
	}
}

// read returns a workspace file.
func (w *world) read(name string) string {
	w.t.Helper()
	b, err := os.ReadFile(filepath.Join(w.ws, filepath.FromSlash(name)))
	if err != nil {
		w.t.Fatal(err)
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }

const prdEnv = "access/production/environment.yaml"

// withProductionApprovals gives production approvals in the default
// branch before the merge (and in the workspace).
func (w *world) withProductionApprovals(approvals string) {
	w.t.Helper()
	w.write(prdEnv, w.read(prdEnv)+approvals)
	w.commit(baseSHA)
}

// The approvals of production are met only by the latest approving review,
// on the final head commit, of a listed reviewer who is not the author.
func TestProductionApprovals(t *testing.T) {
	t.Parallel()
	rule := "approvals:\n  required: 1\n  reviewers: [alice-admin, mallory, example-corp/iam-admins]\n"
	cases := []struct {
		name       string
		reviews    []githubtest.Review
		orgToken   bool
		wantApply  bool
		wantReason string
	}{
		{name: "by nobody", wantReason: "needs 1 approval"},
		{name: "by a non-reviewer", reviews: []githubtest.Review{{User: "bob", State: githubtest.Approved}}, orgToken: true, wantReason: "not a listed reviewer"},
		{name: "by the author", reviews: []githubtest.Review{{User: "mallory", State: githubtest.Approved}}, wantReason: "the pull request's author"},
		{name: "on an old commit", reviews: []githubtest.Review{{User: "alice-admin", State: githubtest.Approved, CommitID: sha(1)}}, wantReason: "given on an older commit"},
		{name: "then changes requested", reviews: []githubtest.Review{{User: "alice-admin", State: githubtest.Approved}, {User: "alice-admin", State: githubtest.ChangesRequested}}, wantReason: "needs 1 approval"},
		{name: "by a team member, token without org read", reviews: []githubtest.Review{{User: "carol", State: githubtest.Approved}}, wantReason: "approvals-token"},
		{name: "by a listed reviewer", reviews: []githubtest.Review{{User: "alice-admin", State: githubtest.Approved}}, wantApply: true},
		{name: "approved then commented", reviews: []githubtest.Review{{User: "alice-admin", State: githubtest.Approved}, {User: "alice-admin", State: githubtest.Commented}}, wantApply: true},
		{name: "by a team member, token with org read", reviews: []githubtest.Review{{User: "carol", State: githubtest.Approved}}, orgToken: true, wantApply: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.withProductionApprovals(rule)
			w.gh.AddTeamMember("example-corp", "iam-admins", githubtest.TeamMember{Login: "carol"})
			pr := w.mergedPR("mallory", sha(1))
			w.gh.PushToPullRequest(repoName, pr, sha(2))
			for _, rv := range tc.reviews {
				if rv.CommitID == "" {
					rv.CommitID = sha(2)
				}
				w.gh.AddReview(repoName, pr, rv)
			}
			w.run("pull_request", pullRequestPayload(pr, sha(2)), nil).mustSucceed(t)
			inputs := map[string]string{}
			if tc.orgToken {
				app := githubtest.GitHubActions
				w.gh.AddIdentity(token, githubtest.Identity{Login: "github-actions[bot]", App: &app})
				w.gh.AddIdentity("ghp_orgreader", githubtest.Identity{Login: "org-reader", OrgRead: true})
				inputs["approvals-token"] = "ghp_orgreader"
			}
			res := w.run("push", pushPayload(sha(100)), inputs)
			_, prdApplied := w.iam.Account(prdAccount).User("alice")
			if tc.wantApply {
				res.mustSucceed(t)
				if !prdApplied {
					t.Errorf("production was not applied:\n%s", res.log)
				}
				return
			}
			if res.code != 1 || res.outputs["result"] != "refused" {
				t.Fatalf("exit %d, result %q; want 1, refused; log:\n%s", res.code, res.outputs["result"], res.log)
			}
			if prdApplied {
				t.Errorf("production was applied without its approvals")
			}
			if !strings.Contains(res.log, tc.wantReason) {
				t.Errorf("log does not say %q:\n%s", tc.wantReason, res.log)
			}
		})
	}
}

// A pull request cannot lower its own bar: removing production's approvals
// needs production's approvals as they stood before the merge, although it
// changes nothing in IAM.
func TestPullRequestLoweringItsOwnBarRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	before := w.read(prdEnv)
	w.withProductionApprovals("approvals:\n  required: 1\n  reviewers: [alice-admin]\n")
	w.write(prdEnv, before) // the pull request removes the approvals
	pr := w.mergedPR("mallory", sha(1), prdEnv)
	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)
	res := w.run("push", pushPayload(sha(100)), map[string]string{"environments": "production"})
	if res.code != 1 || res.outputs["result"] != "refused" || !strings.Contains(res.log, "changes the approvals themselves") {
		t.Fatalf("exit %d, result %q; want 1, refused, saying the approvals changed; log:\n%s", res.code, res.outputs["result"], res.log)
	}
}

// A manual apply of an environment with approvals is allowed only to its
// reviewers, and says it ran without a reviewed plan.
func TestManualApplyOnlyByReviewers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		actor string
		allow bool
	}{{"mallory", false}, {"alice-admin", true}} {
		t.Run(tc.actor, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.binary = true // the built binary, as the runner runs it (see runEnv)
			w.withProductionApprovals("approvals:\n  required: 2\n  reviewers: [alice-admin, example-corp/iam-admins]\n")
			res := w.runEnv("workflow_dispatch", schedule(), map[string]string{"command": "apply", "environments": "production"},
				map[string]string{"GITHUB_ACTOR": "someone", "GITHUB_TRIGGERING_ACTOR": tc.actor})
			_, applied := w.iam.Account(prdAccount).User("alice")
			if !tc.allow {
				w.refusedNothingWritten(res, "allowed only to its reviewers")
				return
			}
			res.mustSucceed(t)
			if !applied || !strings.Contains(res.summary, "without a reviewed plan") {
				t.Errorf("applied = %v, summary:\n%s", applied, res.summary)
			}
		})
	}
}

// The trusted-app input names the one app whose roster/plan check run is the
// record: a record of any other app, the workflow's own GitHub Actions app or
// an app with the trusted slug and another ID, is refused; the named app's
// record is applied.
func TestTrustedAppInput(t *testing.T) {
	t.Parallel()
	const botToken, botLogin = "ghs_rosterbot", "roster-bot[bot]"
	cases := []struct {
		name string
		// writer is the app whose token the plan job used; "" is the
		// workflow's token (the GitHub Actions app).
		writer     *githubtest.App
		trusted    string
		wantApply  bool
		wantReason string
	}{
		{name: "the workflow's record, another app trusted", trusted: "roster-bot:777", wantReason: "not the trusted app"},
		{name: "a lookalike with the trusted slug", writer: &githubtest.App{ID: 666, Slug: "roster-bot", Owner: "mallory"}, trusted: "roster-bot:777", wantReason: "not the trusted app"},
		{name: "the trusted app's record", writer: &githubtest.App{ID: 777, Slug: "roster-bot", Owner: "acme"}, trusted: "roster-bot:777", wantApply: true},
		{name: "the trusted app by slug", writer: &githubtest.App{ID: 777, Slug: "roster-bot", Owner: "acme"}, trusted: "roster-bot", wantApply: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			pr := w.mergedPR("mallory", sha(1))
			planInputs := map[string]string{}
			if tc.writer != nil {
				w.gh.AddIdentity(botToken, githubtest.Identity{Login: botLogin, App: tc.writer})
				// The plan job's own inputs trust its writer, as a workflow
				// of the attacker's branch would.
				planInputs = map[string]string{"github-token": botToken, "trusted-author": botLogin, "trusted-app": tc.writer.Slug + ":" + itoa(int(tc.writer.ID))}
			}
			w.run("pull_request", pullRequestPayload(pr, sha(1)), planInputs).mustSucceed(t)
			w.gh.AddIdentity(botToken, githubtest.Identity{Login: botLogin, App: &githubtest.App{ID: 777, Slug: "roster-bot", Owner: "acme"}})
			res := w.run("push", pushPayload(sha(100)), map[string]string{"github-token": botToken, "trusted-author": botLogin, "trusted-app": tc.trusted})
			if !tc.wantApply {
				w.refusedNothingWritten(res, tc.wantReason)
				return
			}
			res.mustSucceed(t)
			if _, ok := w.iam.Account(prdAccount).User("alice"); !ok {
				t.Errorf("production was not applied:\n%s", res.log)
			}
		})
	}
}

// The plan job fails at once when its token is not the trusted app's,
// rather than leaving a record no merge will accept.
func TestTrustedAppInputPlanWithAnotherAppFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.mergedPR("mallory", sha(1))
	res := w.run("pull_request", pullRequestPayload(pr, sha(1)), map[string]string{"trusted-app": "roster-bot:777"})
	if res.code != 1 || !strings.Contains(res.log, "records are trusted only from roster-bot (app 777)") {
		t.Fatalf("exit %d; want 1 naming the trusted app; log:\n%s", res.code, res.log)
	}
}

// The expect-digests input only narrows what may be applied: it never stands
// in for the reviewed-plan record, the approvals, or the manual-apply actor
// rule, so a workflow that passes digests from a workflow_dispatch input
// gives nobody a way around them.
func TestExpectDigestsNeverReplaceTheGate(t *testing.T) {
	t.Parallel()
	const rule = "approvals:\n  required: 1\n  reviewers: [alice-admin]\n"
	wrong := `{"production":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}`
	cases := []struct {
		name string
		// event is push (the merge of a pull request, when reviewed is
		// set) or workflow_dispatch by actor.
		event, actor string
		reviewed     bool
		// pin is "right" for the fresh plan's digests, else the wrong ones.
		pin        string
		wantApply  bool
		wantReason string
	}{
		{name: "push without a pull request", event: "push", pin: "right", wantReason: "pushed without a pull request"},
		{name: "merge without approvals", event: "push", reviewed: true, pin: "right", wantReason: "approvals not met"},
		{name: "manual apply by a non-reviewer", event: "workflow_dispatch", actor: "mallory", pin: "right", wantReason: "allowed only to its reviewers"},
		{name: "manual apply by a reviewer, wrong digest", event: "workflow_dispatch", actor: "alice-admin", pin: "wrong", wantReason: "differs from the expect-digests input"},
		{name: "approved merge, wrong digest", event: "push", reviewed: true, actor: "alice-admin", pin: "wrong", wantReason: "differs from the expect-digests input"},
		{name: "approved merge, right digest", event: "push", reviewed: true, actor: "alice-admin", pin: "right", wantApply: true},
		{name: "manual apply by a reviewer, right digest", event: "workflow_dispatch", actor: "alice-admin", pin: "right", wantApply: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.withProductionApprovals(rule)
			pinned := wrong
			if tc.pin == "right" {
				pinned = w.run("workflow_dispatch", schedule(), map[string]string{"command": "plan", "environments": "production"}).mustSucceed(t).outputs["digests"]
			}
			inputs := map[string]string{"environments": "production", "expect-digests": pinned}
			var res result
			switch tc.event {
			case "push":
				if tc.reviewed {
					pr := w.mergedPR("mallory", sha(1), prdPeople)
					if tc.actor != "" {
						w.gh.AddReview(repoName, pr, githubtest.Review{User: tc.actor, State: githubtest.Approved, CommitID: sha(1)})
					}
					w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)
				}
				res = w.run("push", pushPayload(sha(100)), inputs)
			default:
				inputs["command"] = "apply"
				res = w.runEnv("workflow_dispatch", schedule(), inputs, map[string]string{"GITHUB_ACTOR": tc.actor})
			}
			if !tc.wantApply {
				w.refusedNothingWritten(res, tc.wantReason)
				return
			}
			res.mustSucceed(t)
			if _, ok := w.iam.Account(prdAccount).User("alice"); !ok {
				t.Errorf("production was not applied:\n%s", res.log)
			}
		})
	}
}

// reviewPayload is a pull_request (or pull_request_review) payload as GitHub
// sends it: with the base commit and the author.
func reviewPayload(number int, head, author string) map[string]any {
	p := pullRequestPayload(number, head)
	pr := p["pull_request"].(map[string]any)
	pr["base"] = map[string]any{"ref": "main", "sha": baseSHA}
	pr["user"] = map[string]any{"login": author}
	return p
}

// approvalsSection returns the approvals section of the pull request's
// plan comment.
func (w *world) approvalsSection(pr int) string {
	w.t.Helper()
	bodies := w.comments(pr, render.PlanMarker)
	if len(bodies) != 1 {
		w.t.Fatalf("%d plan comments, want 1", len(bodies))
	}
	body := bodies[0]
	start := strings.Index(body, "### Approvals")
	if start < 0 {
		w.t.Fatalf("the plan comment has no approvals section:\n%s", body)
	}
	end := strings.Index(body[start:], "\n<details")
	if end < 0 {
		end = len(body) - start
	}
	return body[start : start+end]
}

// The plan comment shows, per environment with changes, who must approve
// and who has, under the base branch's approvals; each review re-plans
// (pull_request_review) and updates the count. A team member's approval
// needs approvals-token, and the comment says so.
func TestPlanCommentShowsApprovals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.withProductionApprovals("approvals:\n  required: 2\n  reviewers: [alice-admin, example-corp/iam-admins]\n")
	w.gh.AddTeamMember("example-corp", "iam-admins", githubtest.TeamMember{Login: "carol"})
	pr := w.mergedPR("mallory", sha(1))
	w.gh.AddReview(repoName, pr, githubtest.Review{User: "mallory", State: githubtest.Approved, CommitID: sha(1)})
	w.gh.AddReview(repoName, pr, githubtest.Review{User: "alice-admin", State: githubtest.Approved, CommitID: sha(1)})
	w.run("pull_request", reviewPayload(pr, sha(1), "mallory"), nil).mustSucceed(t)

	got := w.approvalsSection(pr)
	for _, want := range []string{
		"- ⏳ **production**: needs 2 approvals from &#64;&#8203;alice\\-admin or &#64;&#8203;example\\-corp/iam\\-admins — 1 so far (&#64;&#8203;alice\\-admin)",
		"not counted: &#64;&#8203;mallory (the pull request&#39;s author)",
		"- ➖ **development**: no approvals in its environment.yaml",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("approvals section lacks %q:\n%s", want, got)
		}
	}

	w.gh.AddReview(repoName, pr, githubtest.Review{User: "carol", State: githubtest.Approved, CommitID: sha(1)})
	w.run("pull_request_review", reviewPayload(pr, sha(1), "mallory"), nil).mustSucceed(t)
	if got := w.approvalsSection(pr); !strings.Contains(got, "— 1 so far") || !strings.Contains(got, "set the approvals\\-token input") {
		t.Errorf("a team member's approval without approvals-token: want 1 so far and the input named:\n%s", got)
	}

	app := githubtest.GitHubActions
	w.gh.AddIdentity(token, githubtest.Identity{Login: "github-actions[bot]", App: &app})
	w.gh.AddIdentity("ghp_orgreader", githubtest.Identity{Login: "org-reader", OrgRead: true})
	w.run("pull_request_review", reviewPayload(pr, sha(1), "mallory"), map[string]string{"approvals-token": "ghp_orgreader"}).mustSucceed(t)
	if got := w.approvalsSection(pr); !strings.Contains(got, "- ✅ **production**: needs 2 approvals") || !strings.Contains(got, "— 2 so far (&#64;&#8203;alice\\-admin, &#64;&#8203;carol)") {
		t.Errorf("after the team member's approval, with approvals-token:\n%s", got)
	}

	// A push makes the approvals stale: the count starts again.
	w.gh.PushToPullRequest(repoName, pr, sha(2))
	w.run("pull_request", reviewPayload(pr, sha(2), "mallory"), map[string]string{"approvals-token": "ghp_orgreader"}).mustSucceed(t)
	if got := w.approvalsSection(pr); !strings.Contains(got, "— 0 so far") || !strings.Contains(got, "given on an older commit") {
		t.Errorf("after a new push:\n%s", got)
	}
}

// The comment shows the approvals of the base branch, not those the pull
// request brings: removing production's approvals still shows them.
func TestPlanCommentApprovalsComeFromTheBase(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	before := w.read(prdEnv)
	w.withProductionApprovals("approvals:\n  required: 1\n  reviewers: [alice-admin]\n")
	w.write(prdEnv, before) // the pull request removes the approvals
	pr := w.mergedPR("mallory", sha(1))
	w.run("pull_request", reviewPayload(pr, sha(1), "mallory"), nil).mustSucceed(t)
	got := w.approvalsSection(pr)
	for _, want := range []string{
		"- ⏳ **production**: needs 1 approval from &#64;&#8203;alice\\-admin — 0 so far",
		"this pull request changes these approvals",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("approvals section lacks %q:\n%s", want, got)
		}
	}
}

// An approver of one environment approves only there: development's
// reviewer approving the merge applies development and refuses production,
// and cannot start a manual apply of production either.
func TestApproverOfOneEnvironmentOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const devEnv = "access/development/environment.yaml"
	w.write(devEnv, w.read(devEnv)+"approvals:\n  required: 1\n  reviewers: [dev-lead]\n")
	w.withProductionApprovals("approvals:\n  required: 1\n  reviewers: [alice-admin]\n")
	pr := w.mergedPR("mallory", sha(1))
	w.gh.AddReview(repoName, pr, githubtest.Review{User: "dev-lead", State: githubtest.Approved, CommitID: sha(1)})
	w.run("pull_request", reviewPayload(pr, sha(1), "mallory"), nil).mustSucceed(t)

	res := w.run("push", pushPayload(sha(100)), nil)
	if res.code != 1 || res.outputs["result"] != "refused" || !strings.Contains(res.log, "approvals not met") {
		t.Fatalf("exit %d, result %q; want 1, refused for production's approvals; log:\n%s", res.code, res.outputs["result"], res.log)
	}
	if _, ok := w.iam.Account(devAccount).User("alice"); !ok {
		t.Errorf("development, approved by its reviewer, was not applied")
	}
	if _, ok := w.iam.Account(prdAccount).User("alice"); ok {
		t.Errorf("production was applied on the approval of development's reviewer")
	}

	manual := w.runEnv("workflow_dispatch", schedule(), map[string]string{"command": "apply", "environments": "production"}, map[string]string{"GITHUB_ACTOR": "dev-lead"})
	if manual.code != 1 || !strings.Contains(manual.log, "allowed only to its reviewers") {
		t.Fatalf("manual apply of production by development's reviewer: exit %d; log:\n%s", manual.code, manual.log)
	}
	if _, ok := w.iam.Account(prdAccount).User("alice"); ok {
		t.Errorf("production was applied by development's reviewer")
	}
}

// A pull request that only moves when someone's access ends changes nothing
// in IAM today, but it decides a removal the expire schedule makes later
// without review: like any change to an environment's folder, it needs that
// environment's approvals, and the merge's apply refuses it without them.
func TestPullRequestMovingAnEndNeedsApprovals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.withProductionApprovals("approvals:\n  required: 1\n  reviewers: [alice-admin]\n")
	w.seedInSync()
	people := w.read(prdPeople)
	moved := strings.Replace(people, "  - name: alice\n", "  - name: alice\n    expires: 2026-12-05\n", 1)
	if moved == people {
		t.Fatalf("no entry for alice in %s:\n%s", prdPeople, people)
	}
	w.write(prdPeople, moved)
	pr := w.mergedPR("mallory", sha(1), prdPeople)
	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)
	res := w.run("push", pushPayload(sha(100)), nil)
	w.refusedNothingWritten(res, "approvals not met")
}
