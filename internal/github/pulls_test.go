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
