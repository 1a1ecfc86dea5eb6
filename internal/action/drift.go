package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/github"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/render"
)

// driftLabel marks every drift issue; envLabelPrefix plus the environment's
// name tells them apart.
const (
	driftLabel     = "roster:drift"
	envLabelPrefix = "env:"
)

// driftIssue is one entry of the drift-issues output.
type driftIssue struct {
	Environment string `json:"environment"`
	Number      int    `json:"number"`
	URL         string `json:"url"`
	State       string `json:"state"`
}

// drift compares live IAM with the repository in every environment (or
// the environments input), adds the credential hygiene findings, and keeps
// one issue per environment in step with what it finds.
func (r *runner) drift(ctx context.Context, t target) error {
	reports, err := r.computeDrift(ctx, t)
	if err != nil {
		return err
	}
	return r.publishDrift(ctx, t.repo, reports)
}

// computeDrift runs the engine's drift job with the drift role and logs
// its text report.
func (r *runner) computeDrift(ctx context.Context, t target) ([]*drift.Report, error) {
	var reports []*drift.Report
	err := r.group("Drift in "+envNames(t.envs), func() error {
		var err error
		reports, err = engine.Drift(ctx, t.repo, t.envs, t.conn.Source(awsiam.ForDrift), r.env.Now())
		if err != nil {
			return fmt.Errorf("drift: %w", err)
		}
		return render.DriftText(r.env.Stdout, reports)
	})
	return reports, err
}

// publishDrift writes the drift reports to the job summary, the outputs and
// the drift issues, and fails the run on drift when fail-on-drift is on.
func (r *runner) publishDrift(ctx context.Context, repo *manifest.Repository, reports []*drift.Report) error {
	opts := render.DriftOptions{Time: r.env.Now(), RunURL: r.rc.RunURL}
	if err := r.driftSummary(repo, reports, opts); err != nil {
		return err
	}
	var drifted []string
	for _, rep := range reports {
		if rep.HasDrift() {
			drifted = append(drifted, rep.Environment)
		}
	}
	found := len(drifted) > 0
	r.setOutput("has-changes", fmt.Sprint(found))
	r.result = ResultNoChanges
	if found {
		r.result = ResultDrift
	}
	if err := r.driftIssues(ctx, reports, opts); err != nil {
		return err
	}
	if found && r.in.FailOnDrift {
		return failf("drift in %s (fail-on-drift is on)", strings.Join(drifted, ", "))
	}
	return nil
}

// driftSummary writes every environment's drift report, then the access
// matrix, to the job summary.
func (r *runner) driftSummary(repo *manifest.Repository, reports []*drift.Report, opts render.DriftOptions) error {
	if len(reports) > 0 {
		opts.MaxLength = (summaryLimit - matrixBudget) / len(reports)
	}
	var summary strings.Builder
	for i, rep := range reports {
		if i > 0 {
			summary.WriteString("\n---\n\n")
		}
		if err := render.DriftMarkdown(&summary, rep, opts); err != nil {
			return err
		}
	}
	matrix, err := r.accessMatrix(repo)
	if err != nil {
		return err
	}
	summary.WriteString(matrix)
	if err := r.summary(summary.String()); err != nil {
		return fmt.Errorf("write the job summary: %w", err)
	}
	return nil
}

// driftIssues keeps each environment's drift issue in step with its report
// (when commenting is on) and sets the drift-issues output.
func (r *runner) driftIssues(ctx context.Context, reports []*drift.Report, opts render.DriftOptions) error {
	issues := []driftIssue{}
	var ghErr error
	if r.in.Comment {
		ghErr = r.group("Drift issues", func() error {
			var errs []error
			for _, rep := range reports {
				is, err := r.syncDriftIssue(ctx, rep, opts)
				if err != nil {
					errs = append(errs, fmt.Errorf("environment %s: %w", rep.Environment, err))
					continue
				}
				if is != nil {
					issues = append(issues, *is)
				}
			}
			return errors.Join(errs...)
		})
	}
	if err := r.setJSONOutput("drift-issues", issues); err != nil {
		return err
	}
	return ghErr
}

// syncDriftIssue opens, rewrites, reopens or closes the drift issue of one
// environment. The comment on a change lists the findings added and
// resolved since the state the issue recorded last time.
func (r *runner) syncDriftIssue(ctx context.Context, rep *drift.Report, opts render.DriftOptions) (*driftIssue, error) {
	api, err := r.github()
	if err != nil {
		return nil, err
	}
	marker := render.DriftMarker(rep.Environment)
	labels := []string{driftLabel, envLabelPrefix + rep.Environment}
	if !rep.HasDrift() {
		run := ""
		if r.rc.RunURL != "" {
			run = fmt.Sprintf(" ([workflow run](%s))", r.rc.RunURL)
		}
		res, err := api.ResolveIssue(ctx, marker, fmt.Sprintf("Drift is gone: live IAM in %s matches the repository%s. Closing.", rep.Environment, run))
		if err != nil {
			return nil, fmt.Errorf("close the drift issue: %w", err)
		}
		if res.Action == github.IssueNone {
			r.logf("%s: no drift, no open issue.", rep.Environment)
			return nil, nil
		}
		r.logf("%s: no drift; closed issue #%d.", rep.Environment, res.Number)
		return &driftIssue{Environment: rep.Environment, Number: res.Number, URL: res.URL, State: "closed"}, nil
	}
	var prev *drift.State
	if is, ok, err := api.FindIssue(ctx, marker, labels); err != nil {
		return nil, fmt.Errorf("find the drift issue: %w", err)
	} else if ok {
		// A body without a readable state (cut, edited, or closed by
		// roster) makes every finding new.
		prev, _ = drift.DecodeState(is.Body)
	}
	issueOpts := opts
	issueOpts.MaxLength = issueBodyLimit
	issueOpts.Header = r.restoreSteps(rep)
	var body, changes bytes.Buffer
	if err := render.DriftMarkdown(&body, rep, issueOpts); err != nil {
		return nil, err
	}
	if err := render.DriftChangesMarkdown(&changes, rep.Environment, drift.Compare(prev, rep), opts); err != nil {
		return nil, err
	}
	res, err := api.SyncIssue(ctx, github.IssueSpec{
		Marker:         marker,
		Title:          "roster: drift in " + rep.Environment,
		Labels:         labels,
		Body:           body.String(),
		Fingerprint:    rep.Fingerprint,
		ChangedComment: changes.String(),
	})
	if err != nil {
		return nil, fmt.Errorf("update the drift issue: %w", err)
	}
	r.logf("%s: drift issue #%d %s.", rep.Environment, res.Number, res.Action)
	state := "open"
	if res.Action == github.IssueKeptClosed {
		state = "closed"
	}
	return &driftIssue{Environment: rep.Environment, Number: res.Number, URL: res.URL, State: state}, nil
}

// restoreSteps is the drift issue's line on the one way to restore an
// environment to the repository: the apply workflow run by hand for it. A
// merge applies only what its pull request planned, so it never restores
// drift. Empty when no finding is restored by apply.
func (r *runner) restoreSteps(rep *drift.Report) string {
	if !slices.ContainsFunc(rep.Findings, drift.Finding.RestoredByApply) {
		return ""
	}
	wf := "`" + r.in.ApplyWorkflow + "`"
	if r.rc.RepoURL != "" {
		wf = "[" + wf + "](" + r.rc.RepoURL + "/actions/workflows/" + r.in.ApplyWorkflow + ")"
	}
	env := "`" + rep.Environment + "`"
	return "**To restore** " + env + " to the repository (every finding below marked *Restore*), run the apply workflow by hand: " +
		"*Actions* → " + wf + " → **Run workflow** on the default branch, with `environments` set to " + env + ". " +
		"It runs roster with `command: apply`, which applies the repository as it is without a reviewed plan (its job summary says so); " +
		"when " + env + " has approvals, only one of its reviewers may start it. " +
		"Merging a pull request does not restore " + env + ": a merge applies only what its pull request planned and skips drift nobody reviewed."
}
