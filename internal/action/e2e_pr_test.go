package action_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/render"
)

const devPeople = "access/development/people.yaml"

// A pull request pushed three times gets exactly one plan comment, created
// on the first push and edited on the next two; each run annotates nothing,
// writes the summary and sets the outputs.
func TestPullRequestPushedThreeTimes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{
		Title: "Give bob access", HeadSHA: sha(1),
		Files: []githubtest.File{{Filename: devPeople}},
	})
	base := `groups:
  - name: developers
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
users:
  - name: alice
    groups: [developers]
    tags: { team: payments }
`
	pushes := []struct {
		people     string
		wantInBody string
	}{
		{people: base, wantInBody: "alice"},
		{people: base + "  - name: bob\n    groups: [developers]\n", wantInBody: "bob"},
		{people: base + "  - name: bob\n    groups: [developers]\n    tags: { team: search }\n", wantInBody: "search"},
	}
	for i, push := range pushes {
		w.write(devPeople, push.people)
		w.gh.PushToPullRequest(repoName, pr, sha(i+1))
		res := w.run("pull_request", pullRequestPayload(pr, sha(i+1)), nil).mustSucceed(t)
		if got := res.outputs["has-changes"]; got != "true" {
			t.Errorf("push %d: output has-changes = %q, want true", i+1, got)
		}
		var digests map[string]string
		if err := json.Unmarshal([]byte(res.outputs["digests"]), &digests); err != nil {
			t.Errorf("push %d: output digests = %q: %v", i+1, res.outputs["digests"], err)
		}
		if _, ok := digests["development"]; !ok || len(digests) != 1 {
			t.Errorf("push %d: digests = %v, want only development (the only environment the pull request touches)", i+1, digests)
		}
		if !strings.Contains(res.summary, render.PlanMarker) || !strings.Contains(res.summary, push.wantInBody) {
			t.Errorf("push %d: job summary lacks the plan:\n%s", i+1, res.summary)
		}
		// The summary ends with the access matrix: who will have what.
		if _, matrix, ok := strings.Cut(res.summary, "## Access matrix"); !ok || !strings.Contains(matrix, "alice") {
			t.Errorf("push %d: job summary lacks the access matrix with alice:\n%s", i+1, res.summary)
		}
		if !strings.Contains(res.log, "::group::") {
			t.Errorf("push %d: log is not grouped:\n%s", i+1, res.log)
		}
		comments := w.gh.Comments(repoName, pr)
		if len(comments) != 1 {
			t.Fatalf("push %d: %d comments on the pull request, want 1", i+1, len(comments))
		}
		body := comments[0].Body
		if !render.IsPlanComment(body) || !strings.Contains(body, push.wantInBody) {
			t.Errorf("push %d: comment is not the current plan:\n%s", i+1, body)
		}
		got, err := render.ParseDigests(body)
		if err != nil {
			t.Fatalf("push %d: ParseDigests(comment): %v", i+1, err)
		}
		if diff := cmp.Diff(digests, got); diff != "" {
			t.Errorf("push %d: digests in the comment differ from the output (-output +comment):\n%s", i+1, diff)
		}
	}
	if n := w.gh.Count("POST", "/repos/acme/access/issues/*/comments"); n != 1 {
		t.Errorf("%d comments created, want 1", n)
	}
	if n := w.gh.Count("PATCH", "/repos/acme/access/issues/comments/*"); n != 2 {
		t.Errorf("%d comment edits, want 2", n)
	}
	if n := w.iam.TotalCalls(prdAccount); n != 0 {
		t.Errorf("production was read %d times; the pull request touches only development", n)
	}
}
