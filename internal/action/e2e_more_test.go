package action_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/render"
)

// A matrix plans each environment in its own job with plan-output and no
// comment; a last job merges the plan files with plan-dir into the one
// sticky comment, in promotion order, without reading AWS.
func TestMatrixPlansMergeIntoOneComment(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(1), Files: []githubtest.File{{Filename: "access/roster.yaml"}}})
	digests := map[string]string{}
	for _, env := range []string{"production", "development"} {
		res := w.run("pull_request", pullRequestPayload(pr, sha(1)), map[string]string{
			"environments": env, "comment": "false", "plan-output": "plans/" + env + ".json",
		}).mustSucceed(t)
		if got, want := res.outputs["plan-json"], "plans/"+env+".json"; got != want {
			t.Errorf("%s: output plan-json = %q, want %q", env, got, want)
		}
		got, err := render.ParseDigests("<!-- roster:digests " + res.outputs["digests"] + " -->")
		if err != nil {
			t.Fatalf("%s: digests output %q: %v", env, res.outputs["digests"], err)
		}
		digests[env] = got[env]
	}
	if n := len(w.gh.Comments(repoName, pr)); n != 0 {
		t.Fatalf("matrix jobs with comment false wrote %d comments", n)
	}
	if _, err := os.Stat(filepath.Join(w.ws, "plans", "development.json")); err != nil {
		t.Fatalf("plan-output file: %v", err)
	}

	w.iam.ResetCalls()
	res := w.run("pull_request", pullRequestPayload(pr, sha(1)), map[string]string{"plan-dir": "plans"}).mustSucceed(t)
	if calls := w.iam.Calls(); len(calls) != 0 {
		t.Errorf("the merge job called AWS: %v", calls)
	}
	comments := w.gh.Comments(repoName, pr)
	if len(comments) != 1 {
		t.Fatalf("%d comments after the merge job, want 1", len(comments))
	}
	body := comments[0].Body
	got, err := render.ParseDigests(body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(digests, got); diff != "" {
		t.Errorf("merged comment digests (-matrix jobs +comment):\n%s", diff)
	}
	if d, p := strings.Index(body, "**development**"), strings.Index(body, "**production**"); d < 0 || p < 0 || d > p {
		t.Errorf("environments are not in promotion order in the merged comment:\n%s", body)
	}
	if res.outputs["has-changes"] != "true" {
		t.Errorf("merge job: has-changes = %q, want true", res.outputs["has-changes"])
	}
}

// Invalid manifests are annotated on their file and line, fail the run
// with result invalid, and leave the pull request without a comment.
func TestInvalidManifestsAreAnnotated(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.binary = true // the built binary, as the runner runs it (see runEnv)
	w.write(devPeople, "users:\n  - name: alice\n    colour: blue\n")
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(1), Files: []githubtest.File{{Filename: devPeople}}})
	res := w.run("pull_request", pullRequestPayload(pr, sha(1)), nil)
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1; log:\n%s", res.code, res.log)
	}
	if !regexp.MustCompile(`(?m)^::error (col=\d+,)?file=access/development/people\.yaml,line=3[,:]`).MatchString(res.log) {
		t.Errorf("no annotation on access/development/people.yaml line 3:\n%s", res.log)
	}
	if res.outputs["result"] != "invalid" {
		t.Errorf("result = %q, want invalid", res.outputs["result"])
	}
	if !strings.Contains(res.summary, "is invalid") || !strings.Contains(res.summary, "1 error, 0 warnings.") {
		t.Errorf("job summary does not say the manifests are invalid, with one error:\n%s", res.summary)
	}
	if !strings.Contains(res.log, "is invalid: 1 error (") {
		t.Errorf("the failure does not count one error as \"1 error\":\n%s", res.log)
	}
	if want := "No plan comment to replace: the manifests are invalid"; strings.Contains(res.log, "No changes") || !strings.Contains(res.log, want) {
		t.Errorf("the log says the plan has no changes, or does not say %q:\n%s", want, res.log)
	}
	for _, rq := range w.gh.Requests() {
		lookup := rq.Method == "GET" && strings.HasSuffix(rq.Path, "/comments") // a plan comment to replace
		if !strings.Contains(rq.Path, "/check-runs") && !lookup {
			t.Errorf("an invalid tree made a GitHub request besides its plan record and the plan comment's lookup: %s %s", rq.Method, rq.Path)
		}
	}
	// The head commit's record carries no digests: merging it applies
	// nothing.
	runs := w.gh.CheckRuns(repoName)
	if len(runs) != 1 || runs[0].Conclusion != "failure" || runs[0].HeadSHA != sha(1) || !strings.Contains(runs[0].Text, `"digests": null`) {
		t.Errorf("check runs = %+v, want one failed roster/plan record without digests on the head commit", runs)
	}
	if n := w.iam.TotalCalls(devAccount); n != 0 {
		t.Errorf("an invalid tree made %d AWS calls", n)
	}
}

// A token without the permission to comment fails the run with the
// permissions: entry to add.
func TestMissingPermissionIsNamed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(1), Files: []githubtest.File{{Filename: devPeople}}})
	w.gh.Inject(githubtest.Fault{Kind: githubtest.NoPermission, Method: "POST", Path: "/repos/acme/access/issues/*/comments", Permissions: "issues=write; pull_requests=write"})
	res := w.run("pull_request", pullRequestPayload(pr, sha(1)), nil)
	if res.code != 1 {
		t.Fatalf("exit code %d, want 1; log:\n%s", res.code, res.log)
	}
	if !strings.Contains(res.log, "pull-requests: write") {
		t.Errorf("the error does not name the permission to add:\n%s", res.log)
	}
	if res.outputs["result"] != "failed" {
		t.Errorf("result = %q, want failed", res.outputs["result"])
	}
	if !strings.Contains(res.summary, render.PlanMarker) {
		t.Errorf("the job summary lacks the plan, though planning succeeded:\n%s", res.summary)
	}
}

// pull_request_target is refused: it would plan a pull request's manifests
// with the base repository's token and roles.
func TestPullRequestTargetRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.binary = true // the built binary, as the runner runs it (see runEnv)
	res := w.run("pull_request_target", pullRequestPayload(1, sha(1)), nil)
	if res.code != 1 || !strings.Contains(res.log, "pull_request_target") {
		t.Errorf("exit code %d, want 1 with a reason; log:\n%s", res.code, res.log)
	}
	if n := len(w.gh.Requests()) + w.iam.TotalCalls(devAccount); n != 0 {
		t.Errorf("%d requests to GitHub and AWS, want none", n)
	}
}

// A validate-only run over valid manifests still writes a job summary that
// says so, ending with the access matrix, and touches neither AWS nor
// GitHub.
func TestValidateWritesSummary(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.binary = true // the built binary, as the runner runs it (see runEnv)
	res := w.run("push", pushPayload(sha(7)), map[string]string{"command": "validate"}).mustSucceed(t)
	if !strings.Contains(res.summary, "is valid") || !strings.Contains(res.summary, "## Access matrix") {
		t.Errorf("job summary of a valid tree:\n%s", res.summary)
	}
	if got := res.outputs["result"]; got != "no-changes" {
		t.Errorf("output result = %q, want no-changes", got)
	}
	if n := len(w.gh.Requests()); n != 0 {
		t.Errorf("validate made %d GitHub requests, want none", n)
	}
}

// TestNoEnvironmentsIsInvalid: an access folder without environments is an
// invalid tree in the Action too, for every event: a drift run or a merge
// over it would otherwise report "no drift" or "nothing to apply".
func TestNoEnvironmentsIsInvalid(t *testing.T) {
	t.Parallel()
	for _, event := range []string{"schedule", "push"} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			for _, env := range []string{"development", "production"} {
				if err := os.RemoveAll(filepath.Join(w.ws, "access", env)); err != nil {
					t.Fatal(err)
				}
			}
			payload := schedule()
			if event == "push" {
				payload = pushPayload(sha(2))
			}
			res := w.run(event, payload, nil)
			if res.code != 1 || res.outputs["result"] != "invalid" {
				t.Fatalf("exit code %d, result %q; want 1, invalid; log:\n%s", res.code, res.outputs["result"], res.log)
			}
			if !strings.Contains(res.log, "no environments") || !strings.Contains(res.log, "roster init") {
				t.Errorf("the log does not say there are no environments and how to create them:\n%s", res.log)
			}
			if n := w.iam.TotalCalls(devAccount); n != 0 {
				t.Errorf("a tree without environments made %d AWS calls", n)
			}
		})
	}
}
