package action_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/render"
)

// envSection returns an environment's section of an apply report: from its
// <details> to the matching </details>, or "" when it has none.
func envSection(report, env string) string {
	start := strings.Index(report, "<details")
	for start >= 0 {
		end := strings.Index(report[start:], "</details>")
		if end < 0 {
			return ""
		}
		sec := report[start : start+end+len("</details>")]
		if strings.Contains(sec, "<summary><b>"+env+"</b>") {
			return sec
		}
		next := strings.Index(report[start+1:], "<details")
		if next < 0 {
			return ""
		}
		start += 1 + next
	}
	return ""
}

// reportRow returns an environment's row of an apply report's table.
func reportRow(report, env string) string {
	for line := range strings.SplitSeq(report, "\n") {
		if strings.HasPrefix(line, "| **"+env+"**") {
			return line
		}
	}
	return ""
}

// attempt is the runner's variables of one attempt of one workflow run: a
// re-run keeps the run ID and counts attempts.
func attempt(runID string, n int) map[string]string {
	return map[string]string{"GITHUB_RUN_ID": runID, "GITHUB_RUN_ATTEMPT": itoa(n)}
}

// A merge applies development, then production is refused because live
// IAM changed there after review. Once the cause is fixed, re-running the
// same workflow run treats development as done (its plan is empty now, and
// the pull request's apply report says this merge applied it) and applies
// production. The report keeps development's section from the first run.
func TestRerunAfterPartialApply(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	prd := w.iam.Account(prdAccount)
	prd.PutGroup(iamtest.Group{Name: "operators", ManagedPolicies: []string{readOnly}})
	pr := w.reviewAndMerge(1, sha(100))

	// After review, someone attaches AdministratorAccess to operators by hand.
	prd.PutGroup(iamtest.Group{Name: "operators", ManagedPolicies: []string{readOnly, adminPolicy}})
	first := w.runEnv("push", pushPayload(sha(100)), nil, attempt("5000", 1))
	if first.code != 1 || first.outputs["result"] != "refused" {
		t.Fatalf("first attempt: exit %d, result %q; want 1, refused; log:\n%s", first.code, first.outputs["result"], first.log)
	}
	if _, ok := w.iam.Account(devAccount).User("alice"); !ok {
		t.Fatal("first attempt: development was not applied")
	}
	if _, ok := prd.User("alice"); ok {
		t.Fatal("first attempt: production was applied although its live IAM changed after review")
	}
	reports := w.comments(pr, render.ApplyMarker)
	if len(reports) != 1 {
		t.Fatalf("%d apply reports after the first attempt, want 1", len(reports))
	}
	devFirst := envSection(reports[0], "development")
	if !strings.Contains(devFirst, "CreateUser") {
		t.Fatalf("the first report's development section lists no operations:\n%s", reports[0])
	}

	// The cause is fixed by hand: production is as it was reviewed.
	prd.PutGroup(iamtest.Group{Name: "operators", ManagedPolicies: []string{readOnly}})
	w.iam.ResetCalls()
	again := w.runEnv("push", pushPayload(sha(100)), nil, attempt("5000", 2)).mustSucceed(t)

	if got := again.outputs["result"]; got != "applied" {
		t.Errorf("re-run: result = %q, want applied", got)
	}
	if _, ok := prd.User("alice"); !ok {
		t.Errorf("re-run: production was not applied:\n%s", again.log)
	}
	for _, c := range w.iam.Writes() {
		if c.Account == devAccount {
			t.Errorf("re-run wrote to development, which the first attempt applied: %+v", c)
		}
	}
	reports = w.comments(pr, render.ApplyMarker)
	if len(reports) != 1 {
		t.Fatalf("%d apply reports after the re-run, want the one, updated", len(reports))
	}
	report := reports[0]
	if got := envSection(report, "development"); got != devFirst {
		t.Errorf("the re-run replaced development's section of the report;\nfirst:\n%s\nnow:\n%s", devFirst, got)
	}
	for env, want := range map[string]string{"development": "✅ applied", "production": "✅ applied"} {
		if row := reportRow(report, env); !strings.Contains(row, want) {
			t.Errorf("report row of %s = %q, want it to say %q", env, row, want)
		}
	}
	if !strings.Contains(envSection(report, "production"), "CreateUser") {
		t.Errorf("the report's production section does not list the re-run's operations:\n%s", report)
	}
	if !strings.Contains(again.summary, "applied by an earlier run") {
		t.Errorf("the re-run's job summary does not say development was applied by an earlier run:\n%s", again.summary)
	}
	issues := w.issues("roster:apply-failed")
	if len(issues) != 1 || issues[0].State != "closed" {
		t.Errorf("apply-failed issues after the good re-run = %+v, want the one, closed", issues)
	}

	// A later plan is empty everywhere: the merge converged.
	pr2 := w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(3), Files: []githubtest.File{{Filename: "access/roster.yaml"}}})
	if got := w.run("pull_request", pullRequestPayload(pr2, sha(3)), nil).mustSucceed(t).outputs["has-changes"]; got != "false" {
		t.Errorf("plan after the re-run: has-changes = %q, want false", got)
	}
}

// Without the pull request's apply report saying this merge applied it, an
// environment whose plan is empty but whose reviewed plan was not is still
// refused: someone else made the change, or the report was removed.
func TestRerunWithoutApplyReportRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.reviewAndMerge(1, sha(100))
	// Development is brought to the merged state by hand, not by roster.
	w.seedInSync()
	res := w.run("push", pushPayload(sha(100)), nil)
	if res.code != 1 || res.outputs["result"] != "refused" || !strings.Contains(res.log, "differs") {
		t.Fatalf("exit %d, result %q; want 1, refused for a digest that differs; log:\n%s", res.code, res.outputs["result"], res.log)
	}
}

// A report pasted by someone else, claiming development was applied, is not
// the record: only the trusted author's report counts.
func TestForgedApplyReportIgnored(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.reviewAndMerge(1, sha(100))
	plan := w.run("workflow_dispatch", schedule(), map[string]string{"command": "plan"}).mustSucceed(t)
	digests := plan.outputs["digests"]
	w.gh.AddComment(repoName, pr, "mallory", render.ApplyMarker+"\n<!-- roster:applied "+digests+" -->\n")
	w.seedInSync()
	res := w.run("push", pushPayload(sha(100)), nil)
	if res.code != 1 || res.outputs["result"] != "refused" {
		t.Fatalf("exit %d, result %q; want 1, refused; log:\n%s", res.code, res.outputs["result"], res.log)
	}
}

// dispatchPayload is a workflow_dispatch event on main with inputs.
func dispatchPayload(inputs map[string]any) map[string]any {
	return map[string]any{"ref": "refs/heads/main", "inputs": inputs, "repository": map[string]any{"full_name": repoName, "default_branch": "main"}}
}

// Drift in production (AdministratorAccess attached by hand): the drift
// issue names the way back; an unrelated merge skips production; a manual
// apply of production by its reviewer removes the policy, says it ran
// without a reviewed plan, and leaves the merged pull requests' reports as
// they were. The next drift run closes the issue.
func TestManualRestoreAfterDrift(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.withProductionApprovals("approvals:\n  required: 1\n  reviewers: [alice-admin]\n")
	w.seedInSync()
	prd := w.iam.Account(prdAccount)
	u, _ := prd.User("alice")
	withAdmin(&u)
	prd.PutUser(u)

	d := w.run("schedule", schedule(), nil).mustSucceed(t)
	issues := driftIssues(t, d)
	if len(issues) != 1 || issues[0]["environment"] != "production" {
		t.Fatalf("drift issues = %v, want one for production", issues)
	}
	body, _ := w.gh.Issue(repoName, int(issues[0]["number"].(float64)))
	for _, want := range []string{"actions/workflows/roster-apply.yml", "Run workflow", "`environments`", "`production`", "`command: apply`"} {
		if !strings.Contains(body.Body, want) {
			t.Errorf("the drift issue's restore steps do not name %s:\n%s", want, body.Body)
		}
	}
	if strings.Contains(body.Body, "merge any change") {
		t.Errorf("the drift issue still says a merge restores drift:\n%s", body.Body)
	}

	// An unrelated pull request changes development only; its merge skips
	// production, whose drift it did not review.
	w.write(devPeople, w.read(devPeople)+"  - name: bob\n    groups: [developers]\n")
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{
		Title: "bob", HeadSHA: sha(1), Files: []githubtest.File{{Filename: devPeople}}, Merged: true, MergeCommitSHA: sha(100),
	})
	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)
	merge := w.run("push", pushPayload(sha(100)), nil).mustSucceed(t)
	if u, _ := prd.User("alice"); len(u.ManagedPolicies) != 1 {
		t.Fatalf("the unrelated merge changed production: %v\n%s", u.ManagedPolicies, merge.log)
	}
	reportBefore := w.comments(pr, render.ApplyMarker)
	if len(reportBefore) != 1 || !strings.Contains(reportRow(reportBefore[0], "production"), "skipped") {
		t.Fatalf("the merge's report does not show production skipped: %v", reportBefore)
	}

	// A reviewer of production restores it by hand.
	w.iam.ResetCalls()
	w.gh.ResetRequests()
	res := w.runEnv("workflow_dispatch", dispatchPayload(map[string]any{"environments": "production"}),
		map[string]string{"command": "apply", "environments": "production"},
		map[string]string{"GITHUB_ACTOR": "alice-admin", "GITHUB_SHA": sha(100)}).mustSucceed(t)
	if got := res.outputs["result"]; got != "applied" {
		t.Errorf("manual apply: result = %q, want applied", got)
	}
	if u, _ := prd.User("alice"); len(u.ManagedPolicies) != 0 {
		t.Errorf("manual apply left production's alice with %v, want no policies attached", u.ManagedPolicies)
	}
	if !strings.Contains(res.summary, "without a reviewed plan") {
		t.Errorf("the job summary does not say the apply ran without a reviewed plan:\n%s", res.summary)
	}
	if got := w.comments(pr, render.ApplyMarker); len(got) != 1 || got[0] != reportBefore[0] {
		t.Errorf("the manual apply changed the merged pull request's report:\nbefore:\n%s\nafter:\n%v", reportBefore[0], got)
	}
	if n := w.gh.Count("GET", "/repos/*/*/commits/*/pulls"); n != 0 {
		t.Errorf("the manual apply looked up a pull request %d times", n)
	}
	if is := w.issues("roster:apply-failed"); len(is) != 0 {
		t.Errorf("the manual apply opened apply-failed issues: %+v", is)
	}
	if n := w.iam.TotalCalls(devAccount); n != 0 {
		t.Errorf("a manual apply of production made %d calls in development", n)
	}

	d = w.run("schedule", schedule(), nil).mustSucceed(t)
	if got := driftIssues(t, d); len(got) != 1 || got[0]["state"] != "closed" {
		t.Errorf("drift issues after the restore = %v, want production's, closed", got)
	}
}

// planComment returns the body of roster's plan comment on pull request pr.
func (w *world) planComment(pr int) string {
	w.t.Helper()
	got := w.comments(pr, render.PlanMarker)
	if len(got) != 1 {
		w.t.Fatalf("%d plan comments on #%d, want 1", len(got), pr)
	}
	return got[0]
}

// After a valid push and then an invalid one, the plan comment says the
// manifests of the new commit are invalid, links the run, and carries no
// digests; the merge of that commit applies nothing. A good push brings the
// plan back.
func TestPlanCommentNeverStale(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(1), Files: []githubtest.File{{Filename: devPeople}}, Merged: true, MergeCommitSHA: sha(100)})
	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)
	if _, err := render.ParseDigests(w.planComment(pr)); err != nil {
		t.Fatalf("the first plan comment has no digests: %v", err)
	}
	good := w.read(devPeople)

	cases := []struct {
		name    string
		breakIt func()
		want    []string
	}{
		{"invalid", func() { w.write(devPeople, "users: [") }, []string{"invalid", "1 error"}},
		{"failed", func() { w.iam.FailNext("AssumeRole", "AccessDenied", 1) }, []string{"failed", "access denied"}},
	}
	for i, tc := range cases {
		head := sha(10 + i)
		tc.breakIt()
		w.gh.PushToPullRequest(repoName, pr, head)
		res := w.run("pull_request", pullRequestPayload(pr, head), nil)
		if res.code != 1 {
			t.Fatalf("%s push: exit %d, want 1; log:\n%s", tc.name, res.code, res.log)
		}
		body := w.planComment(pr)
		for _, want := range append(tc.want, head[:7], "/actions/runs/") {
			if !strings.Contains(body, want) {
				t.Errorf("%s push: the plan comment does not say %q:\n%s", tc.name, want, body)
			}
		}
		if strings.Contains(body, "roster:digests") || strings.Contains(body, sha(1)[:7]) {
			t.Errorf("%s push: the plan comment still shows the old commit's plan:\n%s", tc.name, body)
		}
		w.write(devPeople, good)
	}
	w.refusedNothingWritten(w.run("push", pushPayload(sha(100)), nil), "failed on its final commit")

	w.gh.PushToPullRequest(repoName, pr, sha(20))
	w.run("pull_request", pullRequestPayload(pr, sha(20)), nil).mustSucceed(t)
	if _, err := render.ParseDigests(w.planComment(pr)); err != nil {
		t.Errorf("a good push did not bring the plan back: %v", err)
	}
}

// A plan run cancelled half-way (the runner's SIGINT) replaces the plan
// comment and the record with what is true: no plan for this commit.
func TestCancelledPlanReplacesComment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(1), Files: []githubtest.File{{Filename: devPeople}}})
	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)
	w.gh.PushToPullRequest(repoName, pr, sha(2))
	w.iam.ResetCalls()
	w.iam.SetLatency(2 * time.Second)
	w.during = func(p *os.Process, _ <-chan struct{}) {
		for len(w.iam.Calls()) == 0 {
			time.Sleep(20 * time.Millisecond)
		}
		_ = p.Signal(os.Interrupt)
	}
	res := w.run("pull_request", pullRequestPayload(pr, sha(2)), nil)
	if res.code == 0 {
		t.Fatalf("a cancelled run exited 0; log:\n%s", res.log)
	}
	body := w.planComment(pr)
	for _, want := range []string{"cancelled", sha(2)[:7], "/actions/runs/"} {
		if !strings.Contains(body, want) {
			t.Errorf("the plan comment of a cancelled run does not say %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "roster:digests") {
		t.Errorf("the plan comment of a cancelled run keeps digests:\n%s", body)
	}
	var record *githubtest.CheckRun
	for _, cr := range w.gh.CheckRuns(repoName) {
		if cr.HeadSHA == sha(2) {
			record = &cr
		}
	}
	if record == nil || record.Conclusion != "failure" || !strings.Contains(record.Text, `"digests": null`) {
		t.Errorf("record of the cancelled commit = %+v, want one failed, without digests", record)
	}
}

// The words of outcomes are the same everywhere: the apply report and the
// job summary, the apply-failed issue, the result output and the CLI.
func TestOutcomeWords(t *testing.T) {
	t.Parallel()
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		pr := w.reviewAndMerge(1, sha(100))
		w.iam.Account(prdAccount).PutGroup(iamtest.Group{Name: "operators", ManagedPolicies: []string{adminPolicy}})
		res := w.run("push", pushPayload(sha(100)), nil)
		if res.outputs["result"] != "refused" {
			t.Fatalf("result = %q, want refused; log:\n%s", res.outputs["result"], res.log)
		}
		report := w.comments(pr, render.ApplyMarker)[0]
		issue := w.issues("roster:apply-failed")[0]
		for where, text := range map[string]string{"report": report, "summary": res.summary, "issue": issue.Body} {
			if !strings.Contains(text, "Apply refused") || !strings.Contains(reportRow(text, "production"), "⛔ refused") {
				t.Errorf("%s does not say production was refused:\n%s", where, text)
			}
			if strings.Contains(text, "failed") && !strings.Contains(text, "roster:apply-failed") {
				t.Errorf("%s calls the refusal a failure:\n%s", where, text)
			}
		}
		if !strings.Contains(issue.Title, "refused") || !strings.Contains(issue.Body, "**production** refused") {
			t.Errorf("apply-failed issue %q does not say production was refused:\n%s", issue.Title, issue.Body)
		}
		cli := w.cli("apply", "--dir", "access", "--env", "production", "--yes",
			"--expect-digest", "production=sha256:"+strings.Repeat("0", 64))
		if !strings.Contains(cli, "production (account "+prdAccount+") [production]: refused") || !strings.Contains(cli, "Apply refused") {
			t.Errorf("the CLI does not say production was refused:\n%s", cli)
		}
	})
	t.Run("failed", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t)
		pr := w.reviewAndMerge(1, sha(100))
		// IAM refuses development's CreateGroup for the account's group
		// quota: an error no retry mends, so the write fails at once (a
		// retryable one would only fail after every backoff of every
		// attempt, 19 s of this package's run).
		w.iam.FailNext("CreateGroup", "LimitExceeded", 1)
		res := w.run("push", pushPayload(sha(100)), nil)
		if res.outputs["result"] != "failed" {
			t.Fatalf("result = %q, want failed; log:\n%s", res.outputs["result"], res.log)
		}
		report := w.comments(pr, render.ApplyMarker)[0]
		issue := w.issues("roster:apply-failed")[0]
		for where, text := range map[string]string{"report": report, "summary": res.summary, "issue": issue.Body} {
			if !strings.Contains(text, "Apply failed") || !strings.Contains(reportRow(text, "development"), "❌ failed") ||
				!strings.Contains(reportRow(text, "production"), "not attempted") {
				t.Errorf("%s does not say development failed and production was not attempted:\n%s", where, text)
			}
		}
		if !strings.Contains(issue.Body, "**development** failed") {
			t.Errorf("apply-failed issue does not say development failed:\n%s", issue.Body)
		}
	})
}

// cli runs the roster CLI in the workspace against the IAM fake and
// returns its output.
func (w *world) cli(args ...string) string {
	w.t.Helper()
	bin := rosterBinary(w.t)
	cmd := exec.Command(bin, args...)
	cmd.Dir = w.ws
	cmd.Env = []string{"HOME=" + w.t.TempDir(), "AWS_EC2_METADATA_DISABLED=true", "PATH=" + filepath.Dir(bin)}
	for k, v := range w.iam.Env(hubAccount) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, _ := cmd.CombinedOutput()
	return string(out)
}
