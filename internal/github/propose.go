package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v60/github"
)

// Change is one file changed on a new branch and proposed as a pull
// request, made through the API without a checkout.
type Change struct {
	// Base is the commit the branch starts from; BaseBranch the branch the
	// pull request merges into.
	Base, BaseBranch string
	// Branch is the new branch; it must not exist yet.
	Branch string
	// Path is the file, relative to the repository root; it must exist at
	// Base. Content is its new content.
	Path    string
	Content []byte
	// Message is the commit message; Title and Body the pull request's.
	Message, Title, Body string
}

var permContentsWrite = []string{"contents: write"}

// ProposeChange creates ch.Branch at ch.Base, commits ch.Content to ch.Path
// on it (the contents API's PUT, which makes one commit), and opens a pull
// request into ch.BaseBranch. It returns the pull request, whose HeadSHA is
// the new commit.
func (c *Client) ProposeChange(ctx context.Context, repo string, ch Change) (PullRequest, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return PullRequest{}, err
	}
	ref := "refs/heads/" + ch.Branch
	if _, _, err := c.gh.Git.CreateRef(ctx, owner, name, &gh.Reference{Ref: &ref, Object: &gh.GitObject{SHA: &ch.Base}}); err != nil {
		return PullRequest{}, c.fail(fmt.Sprintf("create branch %s at %s in %s", ch.Branch, ch.Base, repo), permContentsWrite, err)
	}
	old, _, err := c.contents(ctx, repo, ch.Path, ch.Branch)
	if err != nil {
		return PullRequest{}, err
	}
	if old == nil {
		return PullRequest{}, fmt.Errorf("change %s in %s: it is a folder, not a file", ch.Path, repo)
	}
	res, _, err := c.gh.Repositories.UpdateFile(ctx, owner, name, ch.Path, &gh.RepositoryContentFileOptions{
		Message: &ch.Message, Content: ch.Content, SHA: old.SHA, Branch: &ch.Branch,
	})
	if err != nil {
		return PullRequest{}, c.fail(fmt.Sprintf("commit %s to %s in %s", ch.Path, ch.Branch, repo), permContentsWrite, err)
	}
	pr, _, err := c.gh.PullRequests.Create(ctx, owner, name, &gh.NewPullRequest{
		Title: &ch.Title, Head: &ch.Branch, Base: &ch.BaseBranch, Body: &ch.Body,
	})
	if err != nil {
		return PullRequest{}, c.fail(fmt.Sprintf("open a pull request from %s in %s", ch.Branch, repo), permPullWrite, err)
	}
	return PullRequest{
		Number: pr.GetNumber(), Title: pr.GetTitle(), URL: pr.GetHTMLURL(), Author: pr.GetUser().GetLogin(),
		HeadSHA: res.GetSHA(), BaseRef: pr.GetBase().GetRef(),
	}, nil
}
