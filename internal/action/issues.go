package action

import (
	"context"
	"fmt"
	"strings"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/github"
)

// applyFailedName names the issue a failed apply opens: it is both the
// issue's hidden marker and its label.
const applyFailedName = "roster:apply-failed"

// applyFailedIssue opens or updates the roster:apply-failed issue after a
// failed apply, and closes it after a good one. Its fingerprint is the
// commit, so every failing commit is news (a new comment, and a reopened
// issue if a person closed it), while re-running the same commit only
// rewrites the body.
func (r *runner) applyFailedIssue(ctx context.Context, rv review, report string, res *apply.Result) error {
	api, err := r.github()
	if err != nil {
		return err
	}
	commit := shortSHA(r.rc.SHA)
	run := ""
	if r.rc.RunURL != "" {
		run = fmt.Sprintf(" ([workflow run](%s))", r.rc.RunURL)
	}
	if !res.Failed() {
		out, err := api.ResolveIssue(ctx, applyFailedName, fmt.Sprintf("Resolved: commit %s applied cleanly%s.", commit, run))
		if err != nil {
			return fmt.Errorf("close the apply-failed issue: %w", err)
		}
		if out.Action == github.IssueResolved {
			r.logf("Closed apply-failed issue #%d.", out.Number)
		}
		return nil
	}
	source := fmt.Sprintf("commit %s", commit)
	if rv.PullRequest != 0 {
		source = fmt.Sprintf("commit %s (merged pull request #%d)", commit, rv.PullRequest)
	}
	outcome := applyResult(res) // refused or failed
	header := fmt.Sprintf("Applying %s was stopped%s: %s.\n\nThe environments after it were not attempted. %s The next good apply closes this issue.\n\n",
		source, run, stoppedNames(res), howToRecover)
	spec := github.IssueSpec{
		Marker:         applyFailedName,
		Title:          "roster apply " + outcome,
		Labels:         []string{applyFailedName},
		Body:           shorten(header+report, r.rc.RunURL, issueBodyLimit),
		Fingerprint:    r.rc.SHA,
		ChangedComment: fmt.Sprintf("Applying %s was stopped%s: %s.", source, run, stoppedNames(res)),
	}
	out, err := api.SyncIssue(ctx, spec)
	if err != nil {
		return fmt.Errorf("open the apply-failed issue: %w", err)
	}
	r.logf("Apply-failed issue #%d: %s.", out.Number, out.Action)
	return nil
}

// howToRecover is what the apply-failed issue advises.
const howToRecover = "Fix the cause (a refusal says what it is) and re-run the jobs of this workflow run: " +
	"environments this merge already applied, and whose live IAM still matches, count as done, and the rest are applied. " +
	"Or merge a new pull request with a fresh plan; to restore an environment without one, a reviewer of it runs the apply workflow by hand."

// stoppedNames lists the environments that stopped the apply with what
// happened to them ("**production** refused").
func stoppedNames(res *apply.Result) string {
	var parts []string
	for _, e := range res.Environments {
		if e.Stopped() {
			parts = append(parts, "**"+e.Name+"** "+string(e.Status))
		}
	}
	return strings.Join(parts, ", ")
}
