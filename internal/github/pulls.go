package github

import (
	"context"
	"errors"
	"fmt"

	gh "github.com/google/go-github/v60/github"
)

// PullRequest is the part of a pull request the Action uses.
type PullRequest struct {
	Number  int
	Title   string
	URL     string
	Author  string
	HeadSHA string
	// HeadRef is the branch the pull request merges.
	HeadRef string
	BaseRef string
	// BaseSHA is the base branch's commit GitHub compared the pull request
	// with: a commit of the base branch from before the merge.
	BaseSHA        string
	MergeCommitSHA string
}

// ChangedFile is a path a pull request changes.
type ChangedFile struct {
	Path string
	// PreviousPath is the old path of a renamed file, else empty.
	PreviousPath string
	// Status is GitHub's: added, removed, modified, renamed, copied, changed.
	Status string
}

// maxListedFiles is how many files GitHub lists for one pull request.
const maxListedFiles = 3000

// ErrFilesTruncated means a pull request changes more files than GitHub
// lists (3,000); callers should treat every path as changed.
var ErrFilesTruncated = errors.New("GitHub lists only the first 3000 changed files")

// ErrNoPullRequest means no merged pull request has the commit as its merge
// commit: the commit was pushed directly.
var ErrNoPullRequest = errors.New("no merged pull request for the commit")

// PullRequestForCommit returns the merged pull request whose merge commit is
// sha (the commit a push to the default branch carries after a merge, squash
// or rebase). It wraps [ErrNoPullRequest] when there is none: the commit was
// pushed directly.
func (c *Client) PullRequestForCommit(ctx context.Context, repo, sha string) (PullRequest, error) {
	return c.mergedPullRequest(ctx, repo, sha, func(pr *gh.PullRequest) bool { return pr.GetMergeCommitSHA() == sha })
}

// PullRequestIntroducing returns the merged pull request that brought sha,
// a commit of the default branch, into it: its squash or merge commit, or
// one of its commits (GitHub lists "the merged pull request that
// introduced the commit"). It wraps [ErrNoPullRequest] when the commit was
// pushed without one.
func (c *Client) PullRequestIntroducing(ctx context.Context, repo, sha string) (PullRequest, error) {
	return c.mergedPullRequest(ctx, repo, sha, func(*gh.PullRequest) bool { return true })
}

// mergedPullRequest returns the first merged pull request associated with
// commit sha that match accepts.
func (c *Client) mergedPullRequest(ctx context.Context, repo, sha string, match func(*gh.PullRequest) bool) (PullRequest, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return PullRequest{}, err
	}
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.gh.PullRequests.ListPullRequestsWithCommit(ctx, owner, name, sha, opts)
		if err != nil {
			return PullRequest{}, c.fail(fmt.Sprintf("find the pull request of commit %s in %s", sha, repo), permCommitPull, err)
		}
		for _, pr := range page {
			if pr.MergedAt != nil && match(pr) {
				return PullRequest{
					Number:         pr.GetNumber(),
					Title:          pr.GetTitle(),
					URL:            pr.GetHTMLURL(),
					Author:         pr.GetUser().GetLogin(),
					HeadSHA:        pr.GetHead().GetSHA(),
					HeadRef:        pr.GetHead().GetRef(),
					BaseRef:        pr.GetBase().GetRef(),
					BaseSHA:        pr.GetBase().GetSHA(),
					MergeCommitSHA: pr.GetMergeCommitSHA(),
				}, nil
			}
		}
		if resp.NextPage == 0 {
			return PullRequest{}, fmt.Errorf("commit %s in %s: %w", sha, repo, ErrNoPullRequest)
		}
		opts.Page = resp.NextPage
	}
}

// LastChange returns the newest commit reachable from ref that changed
// path (a file or a folder), following GitHub's list-commits filter; found
// is false when no commit did.
func (c *Client) LastChange(ctx context.Context, repo, ref, path string) (sha string, found bool, err error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", false, err
	}
	commits, _, err := c.gh.Repositories.ListCommits(ctx, owner, name, &gh.CommitsListOptions{SHA: ref, Path: path, ListOptions: gh.ListOptions{PerPage: 1}})
	if err != nil {
		return "", false, c.fail(fmt.Sprintf("find the last commit that changed %s at %s in %s", path, ref, repo), permContentsRead, err)
	}
	if len(commits) == 0 {
		return "", false, nil
	}
	return commits[0].GetSHA(), true, nil
}

// ChangedFiles lists every file a pull request changes, reading every page.
// GitHub lists at most 3,000; for a larger pull request the files listed are
// returned with an error wrapping [ErrFilesTruncated].
func (c *Client) ChangedFiles(ctx context.Context, repo string, number int) ([]ChangedFile, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	op := fmt.Sprintf("list the files of %s#%d", repo, number)
	var out []ChangedFile
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.gh.PullRequests.ListFiles(ctx, owner, name, number, opts)
		if err != nil {
			return nil, c.fail(op, permPullRead, err)
		}
		for _, f := range page {
			out = append(out, ChangedFile{Path: f.GetFilename(), PreviousPath: f.GetPreviousFilename(), Status: f.GetStatus()})
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if len(out) >= maxListedFiles {
		pr, _, err := c.gh.PullRequests.Get(ctx, owner, name, number)
		if err != nil {
			return nil, c.fail(op, permPullRead, err)
		}
		if pr.GetChangedFiles() > len(out) {
			return out, fmt.Errorf("%s: %w (it changes %d)", op, ErrFilesTruncated, pr.GetChangedFiles())
		}
	}
	return out, nil
}

// IssueAuthor returns the login of the person who opened an issue.
func (c *Client) IssueAuthor(ctx context.Context, repo string, number int) (string, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return "", err
	}
	is, _, err := c.gh.Issues.Get(ctx, owner, name, number)
	if err != nil {
		return "", c.fail(fmt.Sprintf("read issue #%d in %s", number, repo), permIssueRead, err)
	}
	return is.GetUser().GetLogin(), nil
}
