package github

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roster-dev/roster/internal/githubtest"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func TestPullRequestForCommit(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.AddPullRequest(testRepo, githubtest.PullRequest{Title: "open", HeadSHA: "aaa", Commits: []string{"bbb"}})
	merged := srv.AddPullRequest(testRepo, githubtest.PullRequest{
		Title: "add alice", User: "carol", HeadRef: "alice", HeadSHA: "ccc", BaseRef: "main",
		Merged: true, MergeCommitSHA: "bbb",
	})

	tests := []struct {
		sha     string
		want    PullRequest
		wantErr error
	}{
		{sha: "bbb", want: PullRequest{
			Number: merged, Title: "add alice", URL: fmt.Sprintf("%s/%s/pull/%d", srv.URL(), testRepo, merged),
			Author: "carol", HeadSHA: "ccc", HeadRef: "alice", BaseRef: "main", MergeCommitSHA: "bbb",
		}},
		{sha: "aaa", wantErr: ErrNoPullRequest}, // an open pull request's head is not a merge
		{sha: "ccc", wantErr: ErrNoPullRequest}, // the merged pull request's head, not its merge commit
		{sha: "fff", wantErr: ErrNoPullRequest},
	}
	for _, tt := range tests {
		t.Run(tt.sha, func(t *testing.T) {
			t.Parallel()
			got, err := c.PullRequestForCommit(context.Background(), testRepo, tt.sha)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pull request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChangedFilesReadsEveryPage(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	var files []githubtest.File
	var want []ChangedFile
	for i := range 250 {
		f := githubtest.File{Filename: fmt.Sprintf("access/production/team-%03d.yaml", i)}
		w := ChangedFile{Path: f.Filename, Status: "modified"}
		if i == 7 {
			f.Status, f.PreviousFilename = "renamed", "access/staging/team-007.yaml"
			w.Status, w.PreviousPath = "renamed", f.PreviousFilename
		}
		files = append(files, f)
		want = append(want, w)
	}
	pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{HeadSHA: "a1", Files: files})

	got, err := c.ChangedFiles(context.Background(), testRepo, pr)
	if err != nil {
		t.Fatalf("ChangedFiles: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if n := srv.Count("GET", "/repos/*/*/pulls/*/files"); n != 3 {
		t.Errorf("pages read = %d, want 3", n)
	}
}

// The expire job traces an environment's folder to the merge that last
// changed it: the newest commit of the default branch changing the path,
// then the merged pull request that introduced that commit.
func TestLastChangeAndPullRequestIntroducing(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.AddCommitOn(testRepo, "main", "c1", map[string]string{"access/roster.yaml": "v1", "access/production/people.yaml": "alice"})
	srv.AddCommitOn(testRepo, "main", "c2", map[string]string{"access/roster.yaml": "v1", "access/production/people.yaml": "alice bob"})
	srv.AddCommitOn(testRepo, "main", "c3", map[string]string{"access/roster.yaml": "v2", "access/production/people.yaml": "alice bob"})
	merged := srv.AddPullRequest(testRepo, githubtest.PullRequest{
		Title: "add bob", User: "carol", HeadRef: "bob", HeadSHA: "h2", BaseSHA: "c1", Merged: true, MergeCommitSHA: "c2",
	})
	ctx := context.Background()
	for _, tt := range []struct {
		ref, path, want string
		found           bool
	}{
		{"main", "access/production", "c2", true},
		{"main", "access/roster.yaml", "c3", true},
		{"c2", "access/roster.yaml", "c1", true},
		{"main", "access/staging", "", false},
		{"main", "", "c3", true},
	} {
		got, found, err := c.LastChange(ctx, testRepo, tt.ref, tt.path)
		if err != nil || got != tt.want || found != tt.found {
			t.Errorf("LastChange(%s, %q) = %q, %v, %v; want %q, %v", tt.ref, tt.path, got, found, err, tt.want, tt.found)
		}
	}
	if _, _, err := c.LastChange(ctx, testRepo, "unknown", "access"); err == nil {
		t.Error("LastChange of an unknown ref: no error")
	}

	pr, err := c.PullRequestIntroducing(ctx, testRepo, "c2")
	if err != nil {
		t.Fatal(err)
	}
	want := PullRequest{Number: merged, Title: "add bob", URL: fmt.Sprintf("%s/%s/pull/%d", srv.URL(), testRepo, merged),
		Author: "carol", HeadSHA: "h2", HeadRef: "bob", BaseRef: "main", BaseSHA: "c1", MergeCommitSHA: "c2"}
	if diff := cmp.Diff(want, pr); diff != "" {
		t.Errorf("pull request of c2 (-want +got):\n%s", diff)
	}
	if _, err := c.PullRequestIntroducing(ctx, testRepo, "c3"); !errors.Is(err, ErrNoPullRequest) {
		t.Errorf("c3 was pushed without a pull request: err = %v, want ErrNoPullRequest", err)
	}
}
