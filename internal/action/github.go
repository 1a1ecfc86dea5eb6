package action

import (
	"context"
	"errors"
	"fmt"

	"github.com/roster-dev/roster/internal/approval"
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
	MergedPullRequest(ctx context.Context, sha string) (pr github.PullRequest, found bool, err error)
	// PullRequestIntroducing finds the merged pull request that brought sha,
	// a commit of the default branch, into it; found is false when the
	// commit was pushed without one.
	PullRequestIntroducing(ctx context.Context, sha string) (pr github.PullRequest, found bool, err error)
	// LastChange returns the newest commit reachable from ref that changed
	// path; found is false when none did.
	LastChange(ctx context.Context, ref, path string) (sha string, found bool, err error)
	// FindPlanRecord returns the reviewed-plan record of pull request pr
	// at headSHA written by the trusted app (github.Client.FindPlanRecord).
	FindPlanRecord(ctx context.Context, pr int, headSHA string) (github.FoundRecord, error)
	// WritePlanRecord creates or updates the reviewed-plan record of a
	// pull request's head commit.
	WritePlanRecord(ctx context.Context, rec github.PlanRecord, o github.RecordOptions) error
	// ListReviews lists a pull request's reviews, oldest first.
	ListReviews(ctx context.Context, pr int) ([]approval.Review, error)
	// FileAtRef reads a file of the repository at a commit or branch; an
	// error wrapping github.ErrFileNotFound means it is not there.
	FileAtRef(ctx context.Context, path, ref string) ([]byte, error)
	// DirAtRef lists a folder of the repository at a commit; an error
	// wrapping github.ErrFileNotFound means it is not there (or neither is
	// the commit).
	DirAtRef(ctx context.Context, path, ref string) ([]github.DirEntry, error)
	// UpsertApplyReport keeps one apply report comment on the pull request
	// (found by render.ApplyMarker), creating it the first time, and
	// returns its URL.
	UpsertApplyReport(ctx context.Context, number int, body string) (string, error)
	// FindApplyReport returns the body of the apply report on the pull
	// request written by the trusted author; found is false when there is
	// none.
	FindApplyReport(ctx context.Context, number int) (body string, found bool, err error)
	// FindIssue returns the issue SyncIssue would update for the spec's
	// marker and labels.
	FindIssue(ctx context.Context, marker string, labels []string) (github.Issue, bool, error)
	// SyncIssue opens, updates or reopens the issue of spec.
	SyncIssue(ctx context.Context, spec github.IssueSpec) (github.IssueResult, error)
	// ResolveIssue closes the open issue holding marker with a comment.
	ResolveIssue(ctx context.Context, marker, comment string) (github.IssueResult, error)
	// IssueAuthor returns the login of the person who opened an issue.
	IssueAuthor(ctx context.Context, number int) (string, error)
	// CreateComment adds a comment to an issue and returns its URL.
	CreateComment(ctx context.Context, number int, body string) (string, error)
	// ProposeChange commits one file to a new branch and opens a pull
	// request for it.
	ProposeChange(ctx context.Context, ch github.Change) (github.PullRequest, error)
	// UpsertMarkedComment keeps one comment holding marker on an issue or
	// pull request and returns its URL.
	UpsertMarkedComment(ctx context.Context, number int, marker, body string) (string, error)
}

// issueBodyLimit leaves room in an issue body for the marker and
// fingerprint lines the GitHub adapter adds.
const issueBodyLimit = github.MaxBodyLength - 256

// repoGitHub is the adapter: a github.Client bound to the run's repository.
type repoGitHub struct {
	c    *github.Client
	repo string
	// trusted is the only app whose check runs are the reviewed-plan
	// record.
	trusted github.App
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
func (g *repoGitHub) MergedPullRequest(ctx context.Context, sha string) (github.PullRequest, bool, error) {
	return found(g.c.PullRequestForCommit(ctx, g.repo, sha))
}

// PullRequestIntroducing implements gitHub.
func (g *repoGitHub) PullRequestIntroducing(ctx context.Context, sha string) (github.PullRequest, bool, error) {
	return found(g.c.PullRequestIntroducing(ctx, g.repo, sha))
}

// LastChange implements gitHub.
func (g *repoGitHub) LastChange(ctx context.Context, ref, path string) (string, bool, error) {
	return g.c.LastChange(ctx, g.repo, ref, path)
}

// found turns github.ErrNoPullRequest into found == false.
func found(pr github.PullRequest, err error) (github.PullRequest, bool, error) {
	if errors.Is(err, github.ErrNoPullRequest) {
		return github.PullRequest{}, false, nil
	}
	if err != nil {
		return github.PullRequest{}, false, err
	}
	return pr, true, nil
}

// FindPlanRecord implements gitHub.
func (g *repoGitHub) FindPlanRecord(ctx context.Context, pr int, headSHA string) (github.FoundRecord, error) {
	return g.c.FindPlanRecord(ctx, g.repo, pr, headSHA, g.trusted)
}

// WritePlanRecord implements gitHub.
func (g *repoGitHub) WritePlanRecord(ctx context.Context, rec github.PlanRecord, o github.RecordOptions) error {
	_, err := g.c.CreateOrUpdatePlanRecord(ctx, g.repo, rec, o, g.trusted)
	return err
}

// ListReviews implements gitHub.
func (g *repoGitHub) ListReviews(ctx context.Context, pr int) ([]approval.Review, error) {
	return g.c.ListReviews(ctx, g.repo, pr)
}

// DirAtRef implements gitHub.
func (g *repoGitHub) DirAtRef(ctx context.Context, path, ref string) ([]github.DirEntry, error) {
	return g.c.DirAtRef(ctx, g.repo, path, ref)
}

// IssueAuthor implements gitHub.
func (g *repoGitHub) IssueAuthor(ctx context.Context, number int) (string, error) {
	return g.c.IssueAuthor(ctx, g.repo, number)
}

// CreateComment implements gitHub.
func (g *repoGitHub) CreateComment(ctx context.Context, number int, body string) (string, error) {
	res, err := g.c.CreateComment(ctx, g.repo, number, body)
	return res.URL, err
}

// FileAtRef implements gitHub.
func (g *repoGitHub) FileAtRef(ctx context.Context, path, ref string) ([]byte, error) {
	return g.c.FileAtRef(ctx, g.repo, path, ref)
}

// UpsertApplyReport implements gitHub.
func (g *repoGitHub) UpsertApplyReport(ctx context.Context, number int, body string) (string, error) {
	res, err := g.c.UpsertComment(ctx, g.repo, number, render.ApplyMarker, body, true)
	return res.URL, err
}

// FindApplyReport implements gitHub.
func (g *repoGitHub) FindApplyReport(ctx context.Context, number int) (string, bool, error) {
	c, found, err := g.c.FindComment(ctx, g.repo, number, render.ApplyMarker)
	return c.Body, found, err
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

// ProposeChange implements gitHub.
func (g *repoGitHub) ProposeChange(ctx context.Context, ch github.Change) (github.PullRequest, error) {
	return g.c.ProposeChange(ctx, g.repo, ch)
}

// UpsertMarkedComment implements gitHub.
func (g *repoGitHub) UpsertMarkedComment(ctx context.Context, number int, marker, body string) (string, error) {
	res, err := g.c.UpsertComment(ctx, g.repo, number, marker, body, true)
	return res.URL, err
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
	trusted := r.in.TrustedApp
	if trusted == (github.App{}) {
		trusted = github.DefaultTrustedApp(r.rc.APIURL)
	}
	r.api = &repoGitHub{c: c, repo: r.rc.Owner + "/" + r.rc.Repo, trusted: trusted}
	return r.api, nil
}

// teams returns the client that reads team membership for approvals, made
// from the approvals-token input (github-token when empty).
func (r *runner) teams() (approval.Teams, error) {
	if r.teamClient != nil {
		return r.teamClient, nil
	}
	tok := r.in.ApprovalsToken
	if tok == "" {
		tok = r.in.Token
	}
	c, err := github.New(context.Background(), github.Options{Token: tok, APIURL: r.rc.APIURL, HTTPClient: r.env.HTTPClient, Now: r.env.Now})
	if err != nil {
		return nil, fmt.Errorf("connect to GitHub with approvals-token: %w", err)
	}
	r.teamClient = c
	return c, nil
}
