package github

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/githubtest"
)

func TestProposeChange(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	const base = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
	srv.AddCommit(testRepo, base, map[string]string{"access/dev/people.yaml": "users: []\n", "README.md": "hi\n"})
	srv.SetBranch(testRepo, "main", base)
	ch := Change{
		Base: base, BaseBranch: "main", Branch: "roster/access-request-7", Path: "access/dev/people.yaml",
		Content: []byte("users:\n  - name: a\n"), Message: "access: a", Title: "Access request", Body: "Closes #7",
	}
	pr, err := c.ProposeChange(context.Background(), testRepo, ch)
	if err != nil {
		t.Fatalf("ProposeChange: %v", err)
	}
	if got, _ := srv.FileAt(testRepo, pr.HeadSHA, "access/dev/people.yaml"); got != "users:\n  - name: a\n" {
		t.Errorf("file at the pull request's head = %q", got)
	}
	if got, _ := srv.FileAt(testRepo, "main", "access/dev/people.yaml"); got != "users: []\n" {
		t.Errorf("the default branch changed: %q", got)
	}
	prs := srv.PullRequests(testRepo)
	if len(prs) != 1 {
		t.Fatalf("pull requests: %d, want 1", len(prs))
	}
	want := githubtest.PullRequest{Number: pr.Number, Title: "Access request", Body: "Closes #7", User: githubtest.DefaultLogin,
		HeadRef: "roster/access-request-7", HeadSHA: pr.HeadSHA, BaseRef: "main", BaseSHA: base,
		Files: []githubtest.File{{Filename: "access/dev/people.yaml", Status: "modified", Additions: 2, Deletions: 1}}}
	if diff := cmp.Diff(want, prs[0]); diff != "" {
		t.Errorf("pull request (-want +got):\n%s", diff)
	}
	commits := srv.Commits(testRepo)
	if len(commits) != 1 || commits[0].Parent != base || commits[0].SHA != pr.HeadSHA {
		t.Errorf("commits = %+v, want one on %s", commits, base)
	}

	// The same request again: the branch exists, and GitHub refuses it.
	_, err = c.ProposeChange(context.Background(), testRepo, ch)
	if err == nil || !strings.Contains(err.Error(), "Reference already exists") {
		t.Errorf("second ProposeChange: %v, want GitHub's Reference already exists", err)
	}
	if n := len(srv.PullRequests(testRepo)); n != 1 {
		t.Errorf("pull requests after the refused retry: %d, want 1", n)
	}
}
