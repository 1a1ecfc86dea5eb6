package action

import (
	"context"
	"errors"
	"fmt"

	"github.com/roster-dev/roster/internal/github"
	"github.com/roster-dev/roster/internal/render"
)

// gitHub is what the Action needs from GitHub's API, for the repository of
// the run. The adapter below implements it over package github.
type gitHub interface {
	// PullRequestFiles lists the paths a pull request changes, including
	// the old path of a renamed file. An error wrapping
	// github.ErrFilesTruncated means GitHub could not list them all.
	PullRequestFiles(ctx context.Context, number int) ([]string, error)
	// UpsertPlanComment edits the pull request's plan comment (found by
	// render.PlanMarker) to body, or creates it when create is true and
	// there is none. It returns the comment's URL, or "" when there was
	// none to edit and none was created.
	UpsertPlanComment(ctx context.Context, number int, body string, create bool) (string, error)
	// MergedPullRequest finds the pull request whose merge commit is sha;
	// found is false when the commit was pushed without one.
	MergedPullRequest(ctx context.Context, sha string) (number int, url string, found bool, err error)
	// PlanComment returns the body of the pull request's plan comment.
	PlanComment(ctx context.Context, number int) (body string, found bool, err error)
	// UpsertApplyReport keeps one apply report comment on the pull request
	// (found by render.ApplyMarker), creating it the first time, and
	// returns its URL.
	UpsertApplyReport(ctx context.Context, number int, body string) (string, error)
	// FindIssue returns the issue SyncIssue would update for the spec's
	// marker and labels.
	FindIssue(ctx context.Context, marker string, labels []string) (github.Issue, bool, error)
	// SyncIssue opens, updates or reopens the issue of spec.
	SyncIssue(ctx context.Context, spec github.IssueSpec) (github.IssueResult, error)
	// ResolveIssue closes the open issue holding marker with a comment.
	ResolveIssue(ctx context.Context, marker, comment string) (github.IssueResult, error)
}

// issueBodyLimit leaves room in an issue body for the marker and
// fingerprint lines the GitHub adapter adds.
const issueBodyLimit = github.MaxBodyLength - 256

// repoGitHub is the adapter: a github.Client bound to the run's repository.
type repoGitHub struct {
	c    *github.Client
	repo string
}

var _ gitHub = (*repoGitHub)(nil)

// PullRequestFiles implements gitHub.
func (g *repoGitHub) PullRequestFiles(ctx context.Context, number int) ([]string, error) {
	files, err := g.c.ChangedFiles(ctx, g.repo, number)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
		if f.PreviousPath != "" {
			out = append(out, f.PreviousPath)
		}
	}
	return out, nil
}

// UpsertPlanComment implements gitHub.
func (g *repoGitHub) UpsertPlanComment(ctx context.Context, number int, body string, create bool) (string, error) {
	res, err := g.c.UpsertComment(ctx, g.repo, number, render.PlanMarker, body, create)
	if err != nil {
		return "", err
	}
	return res.URL, nil
}

// MergedPullRequest implements gitHub.
func (g *repoGitHub) MergedPullRequest(ctx context.Context, sha string) (int, string, bool, error) {
	pr, err := g.c.PullRequestForCommit(ctx, g.repo, sha)
	if errors.Is(err, github.ErrNoPullRequest) {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, err
	}
	return pr.Number, pr.URL, true, nil
}

// PlanComment implements gitHub.
func (g *repoGitHub) PlanComment(ctx context.Context, number int) (string, bool, error) {
	c, found, err := g.c.FindComment(ctx, g.repo, number, render.PlanMarker)
	return c.Body, found, err
}

// UpsertApplyReport implements gitHub.
func (g *repoGitHub) UpsertApplyReport(ctx context.Context, number int, body string) (string, error) {
	res, err := g.c.UpsertComment(ctx, g.repo, number, render.ApplyMarker, body, true)
	return res.URL, err
}

// FindIssue implements gitHub.
func (g *repoGitHub) FindIssue(ctx context.Context, marker string, labels []string) (github.Issue, bool, error) {
	return g.c.FindIssue(ctx, g.repo, marker, labels)
}

// SyncIssue implements gitHub.
func (g *repoGitHub) SyncIssue(ctx context.Context, spec github.IssueSpec) (github.IssueResult, error) {
	return g.c.SyncIssue(ctx, g.repo, spec)
}

// ResolveIssue implements gitHub.
func (g *repoGitHub) ResolveIssue(ctx context.Context, marker, comment string) (github.IssueResult, error) {
	return g.c.ResolveIssue(ctx, g.repo, marker, comment)
}

// github returns the GitHub client, made once per run from the
// github-token input, GITHUB_API_URL and GITHUB_REPOSITORY.
func (r *runner) github() (gitHub, error) {
	if r.api != nil {
		return r.api, nil
	}
	if r.in.Token == "" {
		return nil, errors.New("input github-token is empty: pass ${{ github.token }} (the default) or a token that can write pull requests and issues")
	}
	if r.rc.Owner == "" || r.rc.Repo == "" {
		return nil, errors.New("GITHUB_REPOSITORY is not set: the Action needs the repository to comment on")
	}
	c, err := github.New(context.Background(), github.Options{
		Token:      r.in.Token,
		Author:     r.in.TrustedAuthor,
		APIURL:     r.rc.APIURL,
		HTTPClient: r.env.HTTPClient,
		Now:        r.env.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to GitHub: %w", err)
	}
	r.api = &repoGitHub{c: c, repo: r.rc.Owner + "/" + r.rc.Repo}
	return r.api, nil
}
