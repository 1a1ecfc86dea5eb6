package action_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/render"
)

const (
	adminPolicy = "arn:aws:iam::aws:policy/AdministratorAccess"
	readOnly    = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	powerUser   = "arn:aws:iam::aws:policy/PowerUserAccess"
)

// aliceInSync is alice of testdata/e2e as roster creates her.
func aliceInSync(group string) iamtest.User {
	return iamtest.User{
		Name:   "alice",
		Groups: []string{group},
		Tags: []iamtest.Tag{
			{Key: "cost-center", Value: "4200"},
			{Key: "roster:managed", Value: "true"},
			{Key: "team", Value: "payments"},
		},
	}
}

// seedInSync makes live IAM match testdata/e2e, optionally changed by
// drift functions applied to production's alice.
func (w *world) seedInSync(prodAlice ...func(*iamtest.User)) {
	w.t.Helper()
	dev, prd := w.iam.Account(devAccount), w.iam.Account(prdAccount)
	dev.PutGroup(iamtest.Group{Name: "developers", ManagedPolicies: []string{powerUser}})
	dev.PutUser(aliceInSync("developers"))
	prd.PutGroup(iamtest.Group{Name: "operators", ManagedPolicies: []string{readOnly}})
	u := aliceInSync("operators")
	for _, f := range prodAlice {
		f(&u)
	}
	prd.PutUser(u)
}

func withAdmin(u *iamtest.User) { u.ManagedPolicies = append(u.ManagedPolicies, adminPolicy) }

func withTag(k, v string) func(*iamtest.User) {
	return func(u *iamtest.User) { u.Tags = append(u.Tags, iamtest.Tag{Key: k, Value: v}) }
}

// driftIssues decodes the drift-issues output.
func driftIssues(t *testing.T, r result) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(r.outputs["drift-issues"]), &out); err != nil {
		t.Fatalf("output drift-issues = %q: %v", r.outputs["drift-issues"], err)
	}
	return out
}

func schedule() map[string]any {
	return map[string]any{"schedule": "0 6 * * *", "repository": map[string]any{"full_name": repoName, "default_branch": "main"}}
}

// Drift appears (an issue is opened), changes (the body is rewritten and
// one comment lists what is new), stays (nothing is posted), and goes away
// (the issue is closed with a comment).
func TestDriftAppearsChangesDisappears(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.binary = true // the built binary, as the runner runs it (see runEnv)

	w.seedInSync()
	res := w.run("schedule", schedule(), nil).mustSucceed(t)
	if got := res.outputs["result"]; got != "no-changes" {
		t.Errorf("no drift: result = %q, want no-changes", got)
	}
	if got := driftIssues(t, res); len(got) != 0 {
		t.Errorf("no drift: drift-issues = %v, want []", got)
	}
	if n := len(w.gh.Issues(repoName)); n != 0 {
		t.Fatalf("no drift: %d issues opened", n)
	}

	// Appears.
	w.seedInSync(withAdmin)
	res = w.run("schedule", schedule(), nil).mustSucceed(t)
	issues := w.issues("roster:drift")
	if len(issues) != 1 {
		t.Fatalf("drift in production: issues = %+v, want one", issues)
	}
	is := issues[0]
	if diff := cmp.Diff([]string{"env:production", "roster:drift"}, slices.Sorted(slices.Values(is.Labels))); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if is.State != "open" || !strings.HasPrefix(is.Body, render.DriftMarker("production")) || !strings.Contains(is.Body, "AdministratorAccess") {
		t.Errorf("issue is not production's drift report:\n%s", is.Body)
	}
	if diff := cmp.Diff([]map[string]any{{"environment": "production", "number": float64(is.Number), "url": fmt.Sprintf("%s/%s/issues/%d", w.gh.URL(), repoName, is.Number), "state": "open"}}, driftIssues(t, res)); diff != "" {
		t.Errorf("drift-issues (-want +got):\n%s", diff)
	}
	if got := res.outputs["result"]; got != "drift" {
		t.Errorf("result = %q, want drift", got)
	}
	if n := len(w.gh.Comments(repoName, is.Number)); n != 0 {
		t.Errorf("a new issue got %d comments, want none", n)
	}
	if !strings.Contains(is.Body, "access/production/people.yaml:") || strings.Contains(is.Body, w.ws) {
		t.Errorf("issue does not point at the manifest by its path in the repository:\n%s", is.Body)
	}

	// Changes.
	w.seedInSync(withAdmin, withTag("owner", "mallory"))
	w.run("schedule", schedule(), nil).mustSucceed(t)
	is, _ = w.gh.Issue(repoName, is.Number)
	if !strings.Contains(is.Body, "mallory") || !strings.Contains(is.Body, "AdministratorAccess") {
		t.Errorf("issue body was not rewritten with both findings:\n%s", is.Body)
	}
	comments := w.gh.Comments(repoName, is.Number)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "+1 new") {
		t.Fatalf("after the findings changed: comments = %+v, want one saying +1 new", comments)
	}

	// Stays: the body may be rewritten (it says when it was checked), but
	// nothing is posted. With fail-on-drift the step fails.
	res = w.run("schedule", schedule(), map[string]string{"fail-on-drift": "true"})
	if res.code != 1 {
		t.Errorf("fail-on-drift: exit code %d, want 1", res.code)
	}
	if n := len(w.gh.Comments(repoName, is.Number)); n != 1 {
		t.Errorf("unchanged drift: %d comments, want still 1", n)
	}
	if n := len(w.issues("roster:drift")); n != 1 {
		t.Errorf("unchanged drift: %d issues, want still 1", n)
	}

	// Disappears.
	w.seedInSync()
	res = w.run("schedule", schedule(), nil).mustSucceed(t)
	is, _ = w.gh.Issue(repoName, is.Number)
	if is.State != "closed" {
		t.Errorf("drift gone: issue is %s, want closed", is.State)
	}
	comments = w.gh.Comments(repoName, is.Number)
	if len(comments) != 2 || !strings.Contains(comments[1].Body, "Drift is gone") {
		t.Errorf("drift gone: comments = %+v, want a closing one", comments)
	}
	if got := driftIssues(t, res); len(got) != 1 || got[0]["state"] != "closed" {
		t.Errorf("drift gone: drift-issues = %v, want the closed issue", got)
	}
}

// An issue a person closed is not reopened for the same findings, but is
// for new ones.
func TestDriftIssueClosedByHand(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.seedInSync(withAdmin)
	w.run("workflow_dispatch", schedule(), nil).mustSucceed(t)
	issues := w.issues("roster:drift")
	if len(issues) != 1 {
		t.Fatalf("issues = %+v, want one", issues)
	}
	n := issues[0].Number
	w.gh.CloseIssueAsUser(repoName, n, "octocat", "not_planned")

	res := w.run("schedule", schedule(), nil).mustSucceed(t)
	is, _ := w.gh.Issue(repoName, n)
	if is.State != "closed" || is.ClosedBy != "octocat" {
		t.Errorf("same drift: issue is %s (closed by %q), want left closed by octocat", is.State, is.ClosedBy)
	}
	if c := w.gh.Comments(repoName, n); len(c) != 0 {
		t.Errorf("same drift: comments = %+v, want none", c)
	}
	if got := len(w.issues("roster:drift")); got != 1 {
		t.Errorf("same drift: %d issues, want the one", got)
	}
	if got := driftIssues(t, res); len(got) != 1 || got[0]["state"] != "closed" {
		t.Errorf("same drift: drift-issues = %v, want the closed issue", got)
	}

	w.seedInSync(withAdmin, withTag("owner", "mallory"))
	w.run("schedule", schedule(), nil).mustSucceed(t)
	is, _ = w.gh.Issue(repoName, n)
	if is.State != "open" {
		t.Errorf("new drift: issue is %s, want reopened", is.State)
	}
	if c := w.gh.Comments(repoName, n); len(c) != 1 || !strings.Contains(c[0].Body, "mallory") {
		t.Errorf("new drift: comments = %+v, want one naming the new finding", c)
	}
}
