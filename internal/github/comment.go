package github

import (
	"context"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// CommentAction is what [Client.UpsertComment] did.
type CommentAction int

const (
	// CommentNone means no comment existed and none was created.
	CommentNone CommentAction = iota
	// CommentCreated means the comment was created.
	CommentCreated
	// CommentUpdated means the existing comment was edited in place.
	CommentUpdated
	// CommentUnchanged means the existing comment already had the body.
	CommentUnchanged
)

// String names the action for logs and job summaries.
func (a CommentAction) String() string {
	switch a {
	case CommentCreated:
		return "created"
	case CommentUpdated:
		return "updated"
	case CommentUnchanged:
		return "unchanged"
	default:
		return "none"
	}
}

// Result is the outcome of [Client.UpsertComment] or [Client.CreateComment].
type Result struct {
	Action CommentAction
	// ID and URL identify the comment; zero and empty for CommentNone.
	ID  int64
	URL string
}

// Comment is an existing pull request or issue comment.
type Comment struct {
	ID     int64
	Body   string
	URL    string
	Author string
}

// FindComment returns the first (oldest) comment on the pull request or issue
// whose body holds the hidden marker (by Options.Author when set), reading
// every page of comments; found is false when there is none. The Action reads
// the reviewed plan digests from it.
func (c *Client) FindComment(ctx context.Context, repo string, number int, marker string) (comment Comment, found bool, err error) {
	hm, err := hiddenMarker(marker)
	if err != nil {
		return Comment{}, false, err
	}
	cm, err := c.findComment(ctx, repo, number, hm)
	if err != nil || cm == nil {
		return Comment{}, false, err
	}
	return toComment(cm), true, nil
}

func (c *Client) findComment(ctx context.Context, repo string, number int, hm string) (*gh.IssueComment, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.gh.Issues.ListComments(ctx, owner, name, number, opts)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("list comments on %s#%d", repo, number), permPullRead, err)
		}
		for _, cm := range page {
			if strings.Contains(cm.GetBody(), hm) && c.trusted(cm.GetUser().GetLogin()) {
				return cm, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

func (c *Client) trusted(login string) bool {
	return c.author == "" || strings.EqualFold(login, c.author)
}

func toComment(cm *gh.IssueComment) Comment {
	return Comment{ID: cm.GetID(), Body: cm.GetBody(), URL: cm.GetHTMLURL(), Author: cm.GetUser().GetLogin()}
}

// UpsertComment keeps one sticky comment on a pull request or issue, found
// by a hidden marker ("roster:plan" is stored as <!-- roster:plan --> on the
// body's first line unless the body already holds it). The first comment
// holding the marker, on any page, is edited in place when its body differs
// and left alone when it is identical; a comment is created only when none
// exists and createIfMissing is set. A second one is never created.
func (c *Client) UpsertComment(ctx context.Context, repo string, number int, marker, body string, createIfMissing bool) (Result, error) {
	hm, owner, name, err := markedRepo(marker, repo)
	if err != nil {
		return Result{}, err
	}
	if !strings.Contains(body, hm) {
		body = hm + "\n" + body
	}
	op := fmt.Sprintf("comment on %s#%d", repo, number)
	if err := tooLong(op, body); err != nil {
		return Result{}, err
	}
	existing, err := c.findComment(ctx, repo, number, hm)
	if err != nil {
		return Result{}, err
	}
	switch {
	case existing == nil && !createIfMissing:
		return Result{Action: CommentNone}, nil
	case existing == nil:
		cm, _, err := c.gh.Issues.CreateComment(ctx, owner, name, number, &gh.IssueComment{Body: &body})
		if err != nil {
			return Result{}, c.fail("create "+op, permPullWrite, err)
		}
		return Result{Action: CommentCreated, ID: cm.GetID(), URL: cm.GetHTMLURL()}, nil
	case normalize(existing.GetBody()) == normalize(body):
		return Result{Action: CommentUnchanged, ID: existing.GetID(), URL: existing.GetHTMLURL()}, nil
	default:
		cm, _, err := c.gh.Issues.EditComment(ctx, owner, name, existing.GetID(), &gh.IssueComment{Body: &body})
		if err != nil {
			return Result{}, c.fail("edit "+op, permPullWrite, err)
		}
		return Result{Action: CommentUpdated, ID: cm.GetID(), URL: cm.GetHTMLURL()}, nil
	}
}

// CreateComment adds a new comment, for reports that belong in the
// conversation's history (such as an apply report).
func (c *Client) CreateComment(ctx context.Context, repo string, number int, body string) (Result, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return Result{}, err
	}
	op := fmt.Sprintf("create comment on %s#%d", repo, number)
	if err := tooLong(op, body); err != nil {
		return Result{}, err
	}
	cm, _, err := c.gh.Issues.CreateComment(ctx, owner, name, number, &gh.IssueComment{Body: &body})
	if err != nil {
		return Result{}, c.fail(op, permPullWrite, err)
	}
	return Result{Action: CommentCreated, ID: cm.GetID(), URL: cm.GetHTMLURL()}, nil
}
