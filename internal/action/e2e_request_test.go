package action_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/render"
)

const (
	prodEnvFile = "access/production/environment.yaml"
	prodPeople  = "access/production/people.yaml"
	// requestPeople is production's manifest in the form roster fmt gives.
	requestPeople = `groups:
  - name: operators
    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
  - name: prod-operators
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
users:
  # Payments on-call.
  - name: alice
    groups:
      - operators
    tags: { team: payments }
`
)

// requestWorld is a world whose production environment allows 12-hour
// elevations, with the default branch's commit both checked out and on the
// GitHub fake.
func requestWorld(t *testing.T) (*world, string) {
	t.Helper()
	w := newWorld(t)
	env, err := os.ReadFile(filepath.Join(w.ws, filepath.FromSlash(prodEnvFile)))
	if err != nil {
		t.Fatal(err)
	}
	w.write(prodEnvFile, string(env)+"guardrails:\n  max_elevation_hours: 12\n")
	w.write(prodPeople, requestPeople)
	files := map[string]string{}
	err = filepath.WalkDir(w.ws, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(w.ws, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	base := sha(40)
	w.gh.AddCommit(repoName, base, files)
	w.gh.SetBranch(repoName, "main", base)
	return w, base
}

// requestBody is an issue body as GitHub renders the access request form.
func requestBody(env, user, groups, duration, reason string) string {
	return "### Environment\n\n" + env + "\n\n### IAM user\n\n" + user + "\n\n### Groups\n\n" + groups +
		"\n\n### Duration\n\n" + duration + "\n\n### Reason\n\n" + reason
}

// openRequest files the issue on the fake and runs the Action on its
// issues event, at the default branch's commit base.
func (w *world) openRequest(base, body string) (int, result) {
	w.t.Helper()
	return w.openRequestAt(nil, base, body)
}

// openRequestAt is openRequest with the runner's further variables extra
// (ROSTER_E2E_NOW…).
func (w *world) openRequestAt(extra map[string]string, base, body string) (int, result) {
	w.t.Helper()
	n := w.gh.AddIssue(repoName, githubtest.Issue{Title: "Access request", Body: body, User: "priya", Labels: []string{"roster:access-request"}})
	payload := map[string]any{
		"action": "opened",
		"issue": map[string]any{
			"number": n, "title": "Access request", "body": body,
			"user": map[string]any{"login": "priya"}, "labels": []any{map[string]any{"name": "roster:access-request"}},
		},
		"repository": map[string]any{"full_name": repoName, "default_branch": "main"},
		// Not part of an issues payload: the harness's GITHUB_SHA, the
		// default branch's commit the runner checks out.
		"after": base,
	}
	return n, w.runEnv("issues", payload, nil, extra)
}

// An access request issue becomes a pull request whose diff is exactly one
// list entry in the file that declares the user, whose plan comment (posted
// by the same run) shows one membership with its end, and which closes the
// issue on merge; the issue links it.
func TestAccessRequestOpensPullRequest(t *testing.T) {
	t.Parallel()
	w, base := requestWorld(t)
	w.binary = true // the built binary, as the runner runs it (see runEnv)
	w.seedInSync()  // live IAM as the default branch says
	w.iam.Account(prdAccount).PutGroup(iamtest.Group{Name: "prod-operators", ManagedPolicies: []string{powerUser}})
	before := time.Now().UTC()
	issue, res := w.openRequest(base, requestBody("production", "alice", "prod-operators", "8h", "INC-4711: payments outage, cc @acme/security <b>now</b>"))
	res.mustSucceed(t)
	after := time.Now().UTC()

	prs := w.gh.PullRequests(repoName)
	if len(prs) != 1 {
		t.Fatalf("%d pull requests, want 1; log:\n%s", len(prs), res.log)
	}
	pr := prs[0]
	if diff := cmp.Diff([]githubtest.File{{Filename: prodPeople, Status: "modified", Additions: 2}}, pr.Files); diff != "" {
		t.Errorf("files of the pull request (-want +got):\n%s", diff)
	}
	got, _ := w.gh.FileAt(repoName, pr.HeadSHA, prodPeople)
	var ends []string
	for _, at := range []time.Time{before, after} {
		ends = append(ends, at.Add(8*time.Hour).Truncate(time.Minute).Format(time.RFC3339))
	}
	var want []string
	for _, end := range ends {
		want = append(want, strings.Replace(requestPeople, "      - operators\n",
			"      - operators\n      - name: prod-operators\n        expires: \""+end+"\"\n", 1))
	}
	if got != want[0] && got != want[1] {
		t.Errorf("%s on the pull request's branch (-want +got):\n%s", prodPeople, cmp.Diff(want[0], got))
	}
	if main, _ := w.gh.FileAt(repoName, "main", prodPeople); main != requestPeople {
		t.Errorf("the default branch changed:\n%s", main)
	}
	if !strings.HasPrefix(pr.Body, fmt.Sprintf("Closes #%d\n", issue)) || !strings.Contains(pr.Body, `INC\-4711: payments outage`) || pr.BaseRef != "main" {
		t.Errorf("pull request into %q with body:\n%s", pr.BaseRef, pr.Body)
	}
	for _, raw := range []string{"@acme", "<b>"} {
		if strings.Contains(pr.Body, raw) {
			t.Errorf("the pull request's description holds %q from the issue unescaped:\n%s", raw, pr.Body)
		}
	}

	issueComments := w.gh.Comments(repoName, issue)
	if len(issueComments) != 1 || !strings.Contains(issueComments[0].Body, "/pull/") {
		t.Fatalf("comments on the request: %+v, want one linking the pull request", issueComments)
	}
	planComments := w.gh.Comments(repoName, pr.Number)
	if len(planComments) != 1 || !render.IsPlanComment(planComments[0].Body) {
		t.Fatalf("comments on the pull request: %+v, want the plan comment", planComments)
	}
	plan := planComments[0].Body
	end, _ := time.Parse(time.RFC3339, ends[0])
	end2, _ := time.Parse(time.RFC3339, ends[1])
	until := func(t time.Time) string { return "until " + t.Format("2006-01-02 15:04 UTC") }
	if !strings.Contains(plan, "prod-operators") || (!strings.Contains(plan, until(end)) && !strings.Contains(plan, until(end2))) {
		t.Errorf("the plan comment does not show the membership with its end:\n%s", plan)
	}
	if n := w.iam.Calls()[prdAccount]["AddUserToGroup"]; n != 0 {
		t.Errorf("the request applied %d memberships; only a merge applies", n)
	}
	t.Logf("issue body:\n%s\n\ncomment on the issue:\n%s\n\npull request %q:\n%s\n\n%s on its branch:\n%s\nplan comment:\n%s",
		requestBody("production", "alice", "prod-operators", "8h", "INC-4711: payments outage, cc @acme/security <b>now</b>"), issueComments[0].Body, pr.Title, pr.Body, prodPeople, got, plan)
}

// A bad request gets one comment saying what is wrong, every value from
// the issue escaped (no mention, no HTML, no link), and no branch or pull
// request.
func TestAccessRequestRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, env, user, groups, duration string
		want                              string
	}{
		{"unknown group", "production", "alice", "admins", "8h", "group &quot;admins&quot; is not declared in production"},
		{"over the guardrail", "production", "alice", "prod-operators", "13h", "longer than the 12 hours production allows"},
		{"unknown environment", "prod", "alice", "prod-operators", "8h", "environment &quot;prod&quot; is not one of development, production"},
		{"unknown user", "production", "mallory", "prod-operators", "8h", "user &quot;mallory&quot; is not declared in production"},
		{"injection", "production", "alice", "@acme/admins <img src=x onerror=alert(1)> [x](https://evil.example)", "8h", "&#64;&#8203;acme/admins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, base := requestWorld(t)
			issue, res := w.openRequest(base, requestBody(tt.env, tt.user, tt.groups, tt.duration, "need it"))
			res.mustSucceed(t)
			if got := res.outputs["result"]; got != "invalid" {
				t.Errorf("output result = %q, want invalid", got)
			}
			comments := w.gh.Comments(repoName, issue)
			if len(comments) != 1 {
				t.Fatalf("%d comments on the request, want 1", len(comments))
			}
			body := comments[0].Body
			if !strings.Contains(body, tt.want) {
				t.Errorf("comment lacks %q:\n%s", tt.want, body)
			}
			for _, raw := range []string{"@acme", "<img", "](https://"} {
				if strings.Contains(body, raw) {
					t.Errorf("comment holds %q unescaped:\n%s", raw, body)
				}
			}
			if n := len(w.gh.PullRequests(repoName)); n != 0 {
				t.Errorf("%d pull requests, want none", n)
			}
			if n := w.gh.Count("POST", "/repos/acme/access/git/refs") + len(w.gh.Commits(repoName)); n != 0 {
				t.Errorf("%d branches or commits made, want none", n)
			}
		})
	}
}

// The requester of an access request counts as its pull request's author,
// although the workflow's token opened it: a requester who is a reviewer of
// the environment cannot approve their own access; another reviewer can.
func TestAccessRequestRequesterCannotSelfApprove(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, approver string
		wantApply      bool
	}{
		{name: "the requester, a production reviewer", approver: "alice-admin"},
		{name: "another production reviewer", approver: "mallory", wantApply: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.withProductionApprovals("approvals:\n  required: 1\n  reviewers: [alice-admin, mallory]\n")
			issue := w.gh.AddIssue(repoName, githubtest.Issue{Title: "Access request", User: "alice-admin", Labels: []string{"roster:access-request"}})
			pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{
				Title: "Access request #" + fmt.Sprint(issue), User: "github-actions[bot]", HeadRef: fmt.Sprintf("roster/access-request-%d", issue),
				HeadSHA: sha(1), Files: []githubtest.File{{Filename: devPeople}, {Filename: prdPeople}}, Merged: true, MergeCommitSHA: sha(100),
			})
			w.gh.AddReview(repoName, pr, githubtest.Review{User: tt.approver, State: githubtest.Approved, CommitID: sha(1)})
			w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)

			res := w.run("push", pushPayload(sha(100)), nil)
			_, applied := w.iam.Account(prdAccount).User("alice")
			if tt.wantApply {
				res.mustSucceed(t)
				if !applied {
					t.Errorf("production was not applied:\n%s", res.log)
				}
				return
			}
			if res.code != 1 || res.outputs["result"] != "refused" || applied {
				t.Fatalf("exit %d, result %q, production applied %v; want refused; log:\n%s", res.code, res.outputs["result"], applied, res.log)
			}
			if !strings.Contains(res.log, "alice-admin's approval does not count (the access request's requester)") {
				t.Errorf("the refusal does not name the requester:\n%s", res.log)
			}
		})
	}
}
