package action_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/render"
)

const prdPeople = "access/production/people.yaml"

// reviewAndMerge plans a pull request that changes both environments (as
// the plan workflow does on its last push) and seeds it merged with
// mergeSHA, so the push of mergeSHA finds it. It returns its number.
func (w *world) reviewAndMerge(n int, mergeSHA string) int {
	w.t.Helper()
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{
		Title: "Access change", HeadSHA: sha(n),
		Files:  []githubtest.File{{Filename: devPeople}, {Filename: prdPeople}},
		Merged: true, MergeCommitSHA: mergeSHA,
	})
	w.run("pull_request", pullRequestPayload(pr, sha(n)), nil).mustSucceed(w.t)
	return pr
}

// comments returns the bodies of the comments holding marker.
func (w *world) comments(number int, marker string) []string {
	var out []string
	for _, c := range w.gh.Comments(repoName, number) {
		if strings.HasPrefix(c.Body, marker) {
			out = append(out, c.Body)
		}
	}
	return out
}

// issues returns the issues carrying label.
func (w *world) issues(label string) []githubtest.Issue {
	var out []githubtest.Issue
	for _, is := range w.gh.Issues(repoName) {
		if slices.Contains(is.Labels, label) {
			out = append(out, is)
		}
	}
	return out
}

// A merge applies what was reviewed, in promotion order, and reports on the
// merged pull request.
func TestMergeAppliesAndReports(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.binary = true // the built binary, as the runner runs it (see runEnv)
	pr := w.reviewAndMerge(1, sha(100))

	res := w.run("push", pushPayload(sha(100)), nil).mustSucceed(t)

	for _, acct := range []string{devAccount, prdAccount} {
		u, ok := w.iam.Account(acct).User("alice")
		if !ok {
			t.Fatalf("account %s: alice was not created", acct)
		}
		if !slices.Contains(u.Tags, iamtest.Tag{Key: "roster:managed", Value: "true"}) {
			t.Errorf("account %s: alice lacks the ownership tag: %v", acct, u.Tags)
		}
	}
	if got := res.outputs["result"]; got != "applied" {
		t.Errorf("output result = %q, want applied", got)
	}
	if got := res.outputs["has-changes"]; got != "true" {
		t.Errorf("output has-changes = %q, want true", got)
	}
	reports := w.comments(pr, render.ApplyMarker)
	if len(reports) != 1 {
		t.Fatalf("%d apply reports on pull request #%d, want 1", len(reports), pr)
	}
	if !strings.Contains(reports[0], "Applied") {
		t.Errorf("apply report does not say it applied:\n%s", reports[0])
	}
	if !strings.Contains(res.summary, render.ApplyMarker) {
		t.Errorf("job summary lacks the apply report:\n%s", res.summary)
	}
	if is := w.issues("roster:apply-failed"); len(is) != 0 {
		t.Errorf("a good apply opened apply-failed issues: %+v", is)
	}
	if !strings.Contains(res.log, "merged pull request #") {
		t.Errorf("log does not name the merged pull request:\n%s", res.log)
	}

	// A plan right after the apply is empty: the run converged.
	pr2 := w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(2), Files: []githubtest.File{{Filename: devPeople}}})
	again := w.run("pull_request", pullRequestPayload(pr2, sha(2)), nil).mustSucceed(t)
	if got := again.outputs["has-changes"]; got != "false" {
		t.Errorf("plan after apply: has-changes = %q, want false", got)
	}
	if n := len(w.gh.Comments(repoName, pr2)); n != 0 {
		t.Errorf("a plan without changes created %d comments, want none", n)
	}
}

// A merge whose live state changed after review is refused before anything
// is written; an apply-failed issue is opened, and the next good apply
// closes it.
func TestMergeRefusedWhenLiveStateChangedAfterReview(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.reviewAndMerge(1, sha(100))

	// Someone creates the group by hand, with another policy, after review.
	w.iam.Account(devAccount).PutGroup(iamtest.Group{Name: "developers", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})

	res := w.run("push", pushPayload(sha(100)), nil)
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1; log:\n%s", res.code, res.log)
	}
	if got := res.outputs["result"]; got != "refused" {
		t.Errorf("output result = %q, want refused", got)
	}
	if writes := w.iam.Writes(); len(writes) != 0 {
		t.Errorf("a refused apply wrote to IAM: %v", writes)
	}
	issues := w.issues("roster:apply-failed")
	if len(issues) != 1 || issues[0].State != "open" {
		t.Fatalf("apply-failed issues = %+v, want one open", issues)
	}
	if body := issues[0].Body; !strings.Contains(body, "development") || !strings.Contains(body, "differs") {
		t.Errorf("apply-failed issue does not explain the refusal:\n%s", body)
	}
	if !strings.Contains(res.log, "::error") {
		t.Errorf("the failure is not annotated:\n%s", res.log)
	}

	// The next pull request is planned against the new live state and
	// merged; its apply succeeds and closes the issue.
	w.reviewAndMerge(2, sha(200))
	w.run("push", pushPayload(sha(200)), nil).mustSucceed(t)
	issues = w.issues("roster:apply-failed")
	if len(issues) != 1 || issues[0].State != "closed" {
		t.Fatalf("apply-failed issues after a good apply = %+v, want the one, closed", issues)
	}
	comments := w.gh.Comments(repoName, issues[0].Number)
	if len(comments) == 0 || !strings.Contains(comments[len(comments)-1].Body, "applied cleanly") {
		t.Errorf("the closed issue does not say why: %+v", comments)
	}
}

// A push without a pull request applies everything, with a warning in the
// job summary.
func TestPushWithoutPullRequestRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(1)}) // unrelated, open
	res := w.run("push", pushPayload(sha(300)), nil)
	w.refusedNothingWritten(res, "without a pull request")
}

// A plan comment whose digest block was edited proves no review: nothing is
// applied, and the apply-failed issue says why.
func TestMergeRefusedWhenDigestsEdited(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(1), Merged: true, MergeCommitSHA: sha(100)})
	w.gh.AddComment(repoName, pr, githubtest.DefaultLogin, render.PlanMarker+"\n## roster plan\n\n<!-- roster:digests { \"development\": \"sha256:0\" } -->\n")

	res := w.run("push", pushPayload(sha(100)), nil)
	if res.code != 1 || res.outputs["result"] != "refused" {
		t.Fatalf("exit code %d, result %q; want 1, refused; log:\n%s", res.code, res.outputs["result"], res.log)
	}
	if writes := w.iam.Writes(); len(writes) != 0 {
		t.Errorf("wrote to IAM without a readable review: %v", writes)
	}
	issues := w.issues("roster:apply-failed")
	if len(issues) != 1 || !strings.Contains(issues[0].Body, "no trusted reviewed") {
		t.Errorf("apply-failed issues = %+v, want one saying the review cannot be read", issues)
	}
}

// On a manual apply, the expect-digests input pins the plan: an apply whose
// fresh plan differs from it is refused, one that matches is applied.
func TestApplyWithExpectDigestsInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	plan := w.run("workflow_dispatch", schedule(), map[string]string{"command": "plan", "environments": "development"}).mustSucceed(t)
	digests := plan.outputs["digests"]

	wrong := `{"development":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}`
	res := w.run("workflow_dispatch", schedule(), map[string]string{"command": "apply", "environments": "development", "expect-digests": wrong})
	if res.code != 1 || res.outputs["result"] != "refused" || !strings.Contains(res.log, "the expect-digests input") {
		t.Fatalf("wrong digest: exit %d, result %q; want 1, refused, naming the input; log:\n%s", res.code, res.outputs["result"], res.log)
	}
	if n := w.gh.Count("GET", "/repos/*/*/commits/*/pulls"); n != 0 {
		t.Errorf("looked up a pull request %d times although expect-digests was given", n)
	}

	res = w.run("workflow_dispatch", schedule(), map[string]string{"command": "apply", "environments": "development", "expect-digests": digests}).mustSucceed(t)
	if res.outputs["result"] != "applied" {
		t.Errorf("matching digest: result = %q, want applied", res.outputs["result"])
	}
	if _, ok := w.iam.Account(devAccount).User("alice"); !ok {
		t.Errorf("alice was not created in development")
	}
	if _, ok := w.iam.Account(prdAccount).User("alice"); ok {
		t.Errorf("production was applied although the environments input names only development")
	}
}

// A pin that names no environment being applied is a check that would
// silently not happen (a typo, or an environment the environments input
// leaves out): the apply is refused before anything is read or written.
func TestExpectDigestsNamingNoAppliedEnvironmentRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, envs, pins string }{
		{"misspelt environment", "development", `{"developmnet":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}`}, //nolint:misspell // the misspelling is the attack
		{"environment left out", "development", `{"production":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			res := w.run("workflow_dispatch", schedule(), map[string]string{"command": "apply", "environments": tc.envs, "expect-digests": tc.pins})
			if res.code != 1 || !strings.Contains(res.log, "expect-digests") || !strings.Contains(res.log, "which this apply does not include") {
				t.Errorf("exit %d; want 1 and the input named; log:\n%s", res.code, res.log)
			}
			if n := len(w.iam.Calls()); n != 0 || len(w.iam.Writes()) != 0 {
				t.Errorf("a refused apply called IAM in %d accounts", n)
			}
		})
	}
}

// A merge applies only what its pull request reviewed: an environment the
// pull request did not plan, whose live IAM needs changes anyway (drift),
// is skipped with a warning instead of being changed by an unrelated merge.
// The environments after it still apply.
func TestMergeSkipsUnreviewedEnvironments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{
		Title: "Development only", HeadSHA: sha(1),
		Files:  []githubtest.File{{Filename: devPeople}},
		Merged: true, MergeCommitSHA: sha(100),
	})
	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)

	res := w.run("push", pushPayload(sha(100)), nil).mustSucceed(t)

	if _, ok := w.iam.Account(devAccount).User("alice"); !ok {
		t.Error("development: alice was not created, though the pull request reviewed it")
	}
	if _, ok := w.iam.Account(prdAccount).User("alice"); ok {
		t.Error("production: alice was created, though no pull request reviewed that change")
	}
	if !strings.Contains(res.log, "::warning") || !strings.Contains(res.log, "not part of the plan reviewed on pull request") {
		t.Errorf("log has no warning about the unreviewed environment:\n%s", res.log)
	}
	reports := w.comments(pr, render.ApplyMarker)
	if len(reports) != 1 || !strings.Contains(reports[0], "| ⏭️ skipped |") || !strings.Contains(reports[0], "not part of the plan reviewed on pull request") {
		t.Errorf("apply report does not show production skipped:\n%v", reports)
	}
}

// A comment with roster's marker pasted by someone else is never taken for
// the plan comment: roster writes its own, and the merge applies what that
// one recorded, not the forged digests.
func TestForgedPlanCommentIsIgnored(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{
		Title: "Access change", HeadSHA: sha(1),
		Files:  []githubtest.File{{Filename: devPeople}, {Filename: prdPeople}},
		Merged: true, MergeCommitSHA: sha(100),
	})
	forged := render.PlanMarker + "\nLooks good!\n<!-- roster:digests {\"development\":\"sha256:0000\",\"production\":\"sha256:0000\"} -->"
	w.gh.AddComment(repoName, pr, "mallory", forged)

	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)
	var ours int
	for _, c := range w.gh.Comments(repoName, pr) {
		switch {
		case c.User == "mallory" && c.Body != forged:
			t.Errorf("roster edited mallory's comment:\n%s", c.Body)
		case c.User == githubtest.DefaultLogin && strings.HasPrefix(c.Body, render.PlanMarker):
			ours++
		}
	}
	if ours != 1 {
		t.Fatalf("%d plan comments by roster, want 1", ours)
	}

	res := w.run("push", pushPayload(sha(100)), nil).mustSucceed(t)
	if got := res.outputs["result"]; got != "applied" {
		t.Errorf("output result = %q, want applied (the forged digests must not be used)", got)
	}
}
