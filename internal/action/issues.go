package action

import (
	"context"
	"fmt"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/github"
)

// Marker and label of the issue a failed apply opens.
const (
	applyFailedMarker = "roster:apply-failed"
	applyFailedLabel  = "roster:apply-failed"
)

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
		out, err := api.ResolveIssue(ctx, applyFailedMarker, fmt.Sprintf("Resolved: commit %s applied cleanly%s.", commit, run))
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
	header := fmt.Sprintf("Applying %s failed%s: %s\n\nThe environments after the failed one were not attempted. Fix the cause and push again (or re-run the workflow); the next good apply closes this issue.\n\n", source, run, failedNames(res))
	spec := github.IssueSpec{
		Marker:         applyFailedMarker,
		Title:          "roster apply failed",
		Labels:         []string{applyFailedLabel},
		Body:           shorten(header+report, r.rc.RunURL, issueBodyLimit),
		Fingerprint:    r.rc.SHA,
		ChangedComment: fmt.Sprintf("Applying %s failed%s: %s", source, run, failedNames(res)),
	}
	out, err := api.SyncIssue(ctx, spec)
	if err != nil {
		return fmt.Errorf("open the apply-failed issue: %w", err)
	}
	r.logf("Apply-failed issue #%d: %s.", out.Number, out.Action)
	return nil
}

// failedNames lists the failed environments.
func failedNames(res *apply.Result) string {
	s := ""
	for _, e := range res.Environments {
		if e.Status == apply.EnvFailed {
			if s != "" {
				s += ", "
			}
			s += "**" + e.Name + "**"
		}
	}
	return s
}
