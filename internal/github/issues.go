package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// resolvedMark is written into an issue's body by [Client.ResolveIssue]
// before it closes the issue, so a later run can tell an issue roster closed
// from one a person closed.
const resolvedMark = "<!-- roster:resolved -->"

// labelColor is the color of labels roster creates.
const labelColor = "5319e7"

// reopenedComment is posted when an issue a person closed is reopened for
// different findings and the spec has no ChangedComment.
const reopenedComment = "Reopened by roster: the findings changed since this issue was closed."

var fingerprintRE = regexp.MustCompile(`<!-- roster:fingerprint=([^\s<>]*) -->`)

// IssueSpec is the issue [Client.SyncIssue] keeps in step with a report.
type IssueSpec struct {
	// Marker identifies the issue (e.g. "roster:drift:production"); it is
	// stored as a hidden HTML comment on the body's first line.
	Marker string
	Title  string
	// Labels are all required on the issue found, and created in the
	// repository when missing.
	Labels []string
	// Body is the visible report; empty means there is nothing to report.
	Body string
	// Fingerprint identifies the set of findings (e.g. a hash); it is stored
	// hidden in the body. It may not hold whitespace, "<" or ">".
	Fingerprint string
	// ChangedComment is posted when the fingerprint differs from the stored
	// one (and when a closed issue is reopened); empty posts nothing.
	ChangedComment string
}

// IssueAction is what [Client.SyncIssue] or [Client.ResolveIssue] did.
type IssueAction int

const (
	// IssueNone means no issue was found and none was created or closed.
	IssueNone IssueAction = iota
	// IssueCreated means a new issue was opened.
	IssueCreated
	// IssueUpdated means the open issue's title or body was rewritten.
	IssueUpdated
	// IssueUnchanged means the open issue already said this.
	IssueUnchanged
	// IssueReopened means a closed issue was reopened with the new body.
	IssueReopened
	// IssueKeptClosed means a person closed the issue and the findings are the
	// ones it was closed with, so it was left closed and untouched.
	IssueKeptClosed
	// IssueResolved means the open issue was marked resolved and closed.
	IssueResolved
)

// String names the action for logs and job summaries.
func (a IssueAction) String() string {
	switch a {
	case IssueCreated:
		return "created"
	case IssueUpdated:
		return "updated"
	case IssueUnchanged:
		return "unchanged"
	case IssueReopened:
		return "reopened"
	case IssueKeptClosed:
		return "kept closed"
	case IssueResolved:
		return "resolved"
	default:
		return "none"
	}
}

// IssueResult is the outcome of [Client.SyncIssue] or [Client.ResolveIssue].
type IssueResult struct {
	Action IssueAction
	// Number and URL identify the issue; zero and empty for IssueNone.
	Number int
	URL    string
	// Commented is set when a comment was posted on the issue.
	Commented bool
}

// SyncIssue creates, rewrites or reopens the issue for spec, following the
// rules in the package documentation.
func (c *Client) SyncIssue(ctx context.Context, repo string, spec IssueSpec) (IssueResult, error) {
	hm, err := hiddenMarker(spec.Marker)
	if err != nil {
		return IssueResult{}, err
	}
	if strings.TrimSpace(spec.Title) == "" && spec.Body != "" {
		return IssueResult{}, errors.New("github: an issue needs a title")
	}
	if strings.ContainsAny(spec.Fingerprint, " \t\r\n<>") {
		return IssueResult{}, fmt.Errorf("github: fingerprint %q may not hold whitespace, < or >", spec.Fingerprint)
	}
	owner, name, err := splitRepo(repo)
	if err != nil {
		return IssueResult{}, err
	}
	if spec.Body == "" {
		return IssueResult{Action: IssueNone}, nil
	}
	body := hm + "\n<!-- roster:fingerprint=" + spec.Fingerprint + " -->\n" + spec.Body
	if err := tooLong(fmt.Sprintf("issue %q in %s", spec.Title, repo), body); err != nil {
		return IssueResult{}, err
	}
	found, err := c.findIssue(ctx, repo, hm, "all", spec.Labels)
	if err != nil {
		return IssueResult{}, err
	}
	if found == nil {
		if err := c.ensureLabels(ctx, repo, spec.Labels); err != nil {
			return IssueResult{}, err
		}
		labels := append([]string{}, spec.Labels...)
		is, _, err := c.gh.Issues.Create(ctx, owner, name, &gh.IssueRequest{Title: &spec.Title, Body: &body, Labels: &labels})
		if err != nil {
			return IssueResult{}, c.fail(fmt.Sprintf("create issue %q in %s", spec.Title, repo), permIssueWrite, err)
		}
		return IssueResult{Action: IssueCreated, Number: is.GetNumber(), URL: is.GetHTMLURL()}, nil
	}

	return c.updateIssue(ctx, repo, found, spec, body)
}

// updateIssue brings the issue SyncIssue found in line with spec and body:
// it reopens a closed one when its findings changed (or roster closed it),
// edits what differs, and comments on a change.
func (c *Client) updateIssue(ctx context.Context, repo string, found *gh.Issue, spec IssueSpec, body string) (IssueResult, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return IssueResult{}, err
	}
	res := IssueResult{Number: found.GetNumber(), URL: found.GetHTMLURL()}
	stored := storedFingerprint(found.GetBody())
	changed := stored != spec.Fingerprint
	ref := fmt.Sprintf("%s#%d", repo, found.GetNumber())
	edit := &gh.IssueRequest{}
	comment := ""
	if found.GetState() == "closed" {
		byRoster := strings.Contains(found.GetBody(), resolvedMark)
		if !byRoster && !changed {
			res.Action = IssueKeptClosed
			return res, nil
		}
		open := "open"
		edit.State = &open
		comment = spec.ChangedComment
		if comment == "" && !byRoster {
			comment = reopenedComment
		}
		res.Action = IssueReopened
	} else {
		res.Action = IssueUnchanged
		if changed {
			comment = spec.ChangedComment
		}
	}
	if normalize(found.GetBody()) != normalize(body) || edit.State != nil {
		edit.Body = &body
	}
	if found.GetTitle() != spec.Title && spec.Title != "" {
		edit.Title = &spec.Title
	}
	if edit.Body != nil || edit.Title != nil || edit.State != nil {
		if _, _, err := c.gh.Issues.Edit(ctx, owner, name, found.GetNumber(), edit); err != nil {
			return IssueResult{}, c.fail("update issue "+ref, permIssueWrite, err)
		}
		if res.Action == IssueUnchanged {
			res.Action = IssueUpdated
		}
	}
	if comment != "" {
		if err := c.issueComment(ctx, repo, found.GetNumber(), comment); err != nil {
			return IssueResult{}, err
		}
		res.Commented = true
	}
	return res, nil
}

// ResolveIssue closes the most recent open issue whose body starts with the marker: it
// posts comment (when non-empty), then marks the body resolved by roster and
// closes the issue as completed in one edit. With no such open issue it does
// nothing and returns IssueNone.
func (c *Client) ResolveIssue(ctx context.Context, repo, marker, comment string) (IssueResult, error) {
	hm, owner, name, err := markedRepo(marker, repo)
	if err != nil {
		return IssueResult{}, err
	}
	found, err := c.findIssue(ctx, repo, hm, "open", nil)
	if err != nil || found == nil {
		return IssueResult{Action: IssueNone}, err
	}
	res := IssueResult{Action: IssueResolved, Number: found.GetNumber(), URL: found.GetHTMLURL()}
	if comment != "" {
		if err := c.issueComment(ctx, repo, found.GetNumber(), comment); err != nil {
			return IssueResult{}, err
		}
		res.Commented = true
	}
	body := strings.TrimRight(found.GetBody(), "\n")
	if !strings.Contains(body, resolvedMark) {
		body += "\n" + resolvedMark
	}
	closed, reason := "closed", "completed"
	if _, _, err := c.gh.Issues.Edit(ctx, owner, name, found.GetNumber(), &gh.IssueRequest{Body: &body, State: &closed, StateReason: &reason}); err != nil {
		return IssueResult{}, c.fail(fmt.Sprintf("close issue %s#%d", repo, found.GetNumber()), permIssueWrite, err)
	}
	return res, nil
}

// findIssue returns the most recently created issue in state ("open" or
// "all") that has every label and whose body starts with hm, or nil. Only a
// body starting with the marker counts, as roster writes it, so an issue that
// merely quotes the marker is never taken over.
func (c *Client) findIssue(ctx context.Context, repo, hm, state string, labels []string) (*gh.Issue, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	opts := &gh.IssueListByRepoOptions{
		State: state, Labels: labels, Sort: "created", Direction: "desc",
		ListOptions: gh.ListOptions{PerPage: 100},
	}
	for {
		page, resp, err := c.gh.Issues.ListByRepo(ctx, owner, name, opts)
		if err != nil {
			return nil, c.fail("list issues in "+repo, permIssueRead, err)
		}
		for _, is := range page {
			if is.IsPullRequest() || !strings.HasPrefix(strings.TrimLeft(is.GetBody(), " \t\r\n"), hm) || !c.trusted(is.GetUser().GetLogin()) {
				continue
			}
			return is, nil
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.Page = resp.NextPage
	}
}

// ensureLabels creates the labels the repository lacks.
func (c *Client) ensureLabels(ctx context.Context, repo string, labels []string) error {
	if len(labels) == 0 {
		return nil
	}
	owner, name, err := splitRepo(repo)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.gh.Issues.ListLabels(ctx, owner, name, opts)
		if err != nil {
			return c.fail("list labels in "+repo, permIssueRead, err)
		}
		for _, l := range page {
			have[strings.ToLower(l.GetName())] = true
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	for _, l := range labels {
		if have[strings.ToLower(l)] {
			continue
		}
		have[strings.ToLower(l)] = true
		color, desc := labelColor, "Managed by roster"
		_, _, err := c.gh.Issues.CreateLabel(ctx, owner, name, &gh.Label{Name: &l, Color: &color, Description: &desc})
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnprocessableEntity {
			continue // created meanwhile by a concurrent run
		}
		if err != nil {
			return c.fail(fmt.Sprintf("create label %q in %s", l, repo), permIssueWrite, err)
		}
	}
	return nil
}

func (c *Client) issueComment(ctx context.Context, repo string, number int, body string) error {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return err
	}
	op := fmt.Sprintf("comment on issue %s#%d", repo, number)
	if err := tooLong(op, body); err != nil {
		return err
	}
	if _, _, err := c.gh.Issues.CreateComment(ctx, owner, name, number, &gh.IssueComment{Body: &body}); err != nil {
		return c.fail(op, permIssueWrite, err)
	}
	return nil
}

func storedFingerprint(body string) string {
	if m := fingerprintRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// Issue is an issue [Client.FindIssue] found.
type Issue struct {
	Number int
	Title  string
	// Body is the body as stored, hidden marker and fingerprint included.
	Body string
	URL  string
	// State is "open" or "closed".
	State string
	// Fingerprint is the one stored in the body, empty when there is none.
	Fingerprint string
	// ResolvedByRoster is set when [Client.ResolveIssue] closed the issue
	// (its body holds the resolved mark).
	ResolvedByRoster bool
	// ClosedBy is the login that closed the issue, empty while it is open.
	ClosedBy string
}

// FindIssue returns the issue [Client.SyncIssue] would work on for the marker
// and labels: the most recently created one, open or closed, whose body
// starts with the marker and which has every label. found is false when
// there is none. Callers use it to compare the stored findings with new ones.
func (c *Client) FindIssue(ctx context.Context, repo, marker string, labels []string) (issue Issue, found bool, err error) {
	hm, err := hiddenMarker(marker)
	if err != nil {
		return Issue{}, false, err
	}
	is, err := c.findIssue(ctx, repo, hm, "all", labels)
	if err != nil || is == nil {
		return Issue{}, false, err
	}
	return Issue{
		Number:           is.GetNumber(),
		Title:            is.GetTitle(),
		Body:             is.GetBody(),
		URL:              is.GetHTMLURL(),
		State:            is.GetState(),
		Fingerprint:      storedFingerprint(is.GetBody()),
		ResolvedByRoster: strings.Contains(is.GetBody(), resolvedMark),
		ClosedBy:         is.GetClosedBy().GetLogin(),
	}, true, nil
}
