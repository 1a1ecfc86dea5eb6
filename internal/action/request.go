package action

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/roster-dev/roster/internal/github"
	"github.com/roster-dev/roster/internal/render"
	"github.com/roster-dev/roster/internal/request"
)

// commandRequest is the command output of a run on an access request
// issue (docs/temporary-access.md).
const commandRequest = "request"

// requestBranchPrefix starts the branch of an access request's pull request;
// the issue's number follows.
const requestBranchPrefix = "roster/access-request-"

// requestMarker finds roster's comment on an access request issue.
const requestMarker = "roster:access-request"

// accessRequest handles an issue opened with the access request form: it
// validates the request against the manifests of the checked-out commit
// (the default branch), and either comments what is wrong, or commits the
// change to a new branch, opens a pull request that closes the issue on
// merge, links it from the issue, and plans it: a pull request opened with
// the workflow's own token starts no workflow, so this run posts its plan
// comment.
func (r *runner) accessRequest(ctx context.Context) error {
	repo, err := r.validate()
	if err != nil {
		return err
	}
	is := r.rc.Issue
	form, problems := request.Parse(is.Body)
	var req *request.Request
	if len(problems) == 0 {
		req, problems = request.Check(repo, form, r.env.Now())
	}
	if len(problems) > 0 {
		r.result = ResultInvalid
		return r.requestComment(ctx, invalidRequestBody(problems))
	}
	file := path.Join(r.in.Path, req.File)
	if r.rc.SHA == "" || r.rc.DefaultBranch == "" {
		return errors.New("the issues event has no commit (GITHUB_SHA) or default branch: run the Action with actions/checkout's default ref")
	}
	api, err := r.github()
	if err != nil {
		return err
	}
	src, err := api.FileAtRef(ctx, file, r.rc.SHA)
	if err != nil {
		return err
	}
	edited, err := request.Edit(src, req)
	if err != nil {
		return err
	}
	pr, err := api.ProposeChange(ctx, github.Change{
		Base: r.rc.SHA, BaseBranch: r.rc.DefaultBranch, Branch: fmt.Sprintf("%s%d", requestBranchPrefix, is.Number),
		Path: file, Content: edited,
		Message: fmt.Sprintf("access: %s\n\nAccess request #%d.", req.Summary(), is.Number),
		Title:   "Access request: " + req.Summary(),
		Body:    requestPullBody(is, req, file),
	})
	if err != nil {
		return fmt.Errorf("open the pull request of access request #%d: %w", is.Number, err)
	}
	r.logf("Opened pull request #%d for access request #%d: %s", pr.Number, is.Number, pr.URL)
	if err := r.requestComment(ctx, fmt.Sprintf("Opened pull request #%d (%s) for this request. The approvers of **%s** review it there; merging it applies the change and closes this issue. The access ends by itself at %s.",
		pr.Number, pr.URL, render.EscapeMarkdown(req.Environment), render.EscapeMarkdown(req.Expires.String()))); err != nil {
		return err
	}
	return r.planRequest(ctx, req, file, edited, pr)
}

// planRequest plans the new pull request's change as a pull_request run
// would: the edited file is written into the checkout for the plan and
// restored afterwards.
func (r *runner) planRequest(ctx context.Context, req *request.Request, file string, edited []byte, pr github.PullRequest) error {
	name := r.inWorkspace(file)
	orig, err := os.ReadFile(name) //nolint:gosec // a manifest of the checkout
	if err != nil {
		return fmt.Errorf("plan the access request: %w", err)
	}
	if err := os.WriteFile(name, edited, 0o644); err != nil { //nolint:gosec // a manifest of the checkout
		return fmt.Errorf("plan the access request: %w", err)
	}
	defer func() { _ = os.WriteFile(name, orig, 0o644) }() //nolint:gosec // restores the checkout
	repo, err := r.validate()
	if err != nil {
		return err
	}
	r.rc.PullRequest, r.rc.HeadSHA, r.rc.BaseSHA = pr.Number, pr.HeadSHA, r.rc.SHA
	r.in.Environments = []string{req.Environment}
	p, hyg, err := r.computePlan(ctx, repo)
	if err != nil {
		return err
	}
	return r.publishPlan(ctx, repo, p, hyg)
}

// requestComment keeps roster's one comment on the request issue.
func (r *runner) requestComment(ctx context.Context, body string) error {
	api, err := r.github()
	if err != nil {
		return err
	}
	url, err := api.UpsertMarkedComment(ctx, r.rc.Issue.Number, requestMarker, body)
	if err != nil {
		return fmt.Errorf("comment on access request #%d: %w", r.rc.Issue.Number, err)
	}
	r.logf("Comment on access request #%d: %s", r.rc.Issue.Number, url)
	return nil
}

// invalidRequestBody says what is wrong with a request, every value from
// the issue escaped.
func invalidRequestBody(problems []string) string {
	var b strings.Builder
	b.WriteString("roster cannot open a pull request for this access request:\n\n")
	for _, p := range problems {
		b.WriteString("- " + render.EscapeMarkdown(p) + "\n")
	}
	b.WriteString("\nOpen a new request with the form once this is fixed (editing this issue does not run roster again).")
	return b.String()
}

// requestPullBody is the pull request's description: it closes the issue
// on merge and restates the request, every value escaped.
func requestPullBody(is issueEvent, req *request.Request, file string) string {
	row := func(k, v string) string { return "| " + k + " | " + render.EscapeMarkdown(v) + " |\n" }
	var b strings.Builder
	fmt.Fprintf(&b, "Closes #%d\n\nAccess request #%d, opened by %s with the access request form.\n\n", is.Number, is.Number, render.EscapeMarkdown(is.Author))
	b.WriteString("| | |\n| --- | --- |\n")
	b.WriteString(row("environment", req.Environment))
	b.WriteString(row("user", req.User))
	b.WriteString(row("groups", strings.Join(req.Groups, ", ")))
	b.WriteString(row("until", req.Expires.String()))
	b.WriteString(row("reason", req.Reason))
	fmt.Fprintf(&b, "\nThis pull request changes only %s. The environment's approvers review it like any access change; merging applies it, and the membership ends by itself when it expires.\n", render.EscapeMarkdown(file))
	return b.String()
}
