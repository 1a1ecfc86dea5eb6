package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/clock"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
)

// review is what was reviewed before a push: the merged pull request and
// the digests its plan comment recorded.
type review struct {
	// PullRequest is the merged pull request, 0 when the commit was pushed
	// without one.
	PullRequest int
	URL         string
	// Digests are the expected digests; nil means nothing is checked.
	Digests map[string]string
	// From names where Digests came from, for refusals.
	From string
	// Warning is shown at the top of the job summary when nothing was
	// reviewed.
	Warning string
	// Refusal, when set, says why nothing may be applied: the review
	// cannot be read.
	Refusal string
	// NoRecord, when set, refuses every environment with changes: no
	// trusted reviewed-plan record covers the push.
	NoRecord string
	// Gate refuses environments whose approvals are not met (see
	// engine.ApplyOptions.Gate); nil checks nothing.
	Gate func(p *plan.Environment) string
	// Pinned are the expect-digests input: digests the fresh plans must
	// also match, on top of the record and approvals, never instead.
	Pinned map[string]string
	// Report is the body of the apply report already on the pull request
	// (an earlier run of this merge wrote it), "" for none.
	Report string
	// AppliedBefore maps each environment that report says this merge
	// applied to the digest it applied (engine.ApplyOptions.AppliedBefore).
	AppliedBefore map[string]string
}

// apply re-plans every environment against live IAM, refuses environments
// whose plan differs from the reviewed one, applies the rest in promotion
// order, and reports: the log, the job summary, a comment on the merged
// pull request, and the roster:apply-failed issue.
func (r *runner) apply(ctx context.Context) error {
	repo, envs, err := r.selected()
	if err != nil {
		return err
	}
	if err := engine.CheckExpectations(envs, r.in.ExpectDigests); err != nil {
		return fmt.Errorf("input expect-digests: %w", err)
	}
	rv, err := r.reviewed(ctx, repo)
	if err != nil {
		return err
	}
	expect := rv.expected(envs)
	p, res, err := r.computeApply(ctx, repo, envs, rv, expect)
	if err != nil {
		return err
	}
	// A cancelled job (the runner's SIGTERM) still reports what it applied:
	// publishing outlives the cancellation by a short grace.
	pub, cancel := clock.Outlive(ctx, publishGrace)
	defer cancel()
	return r.publishApply(pub, rv, p, res)
}

// When a job is cancelled (or times out) the runner sends SIGINT, SIGTERM
// 7.5 s later and kills the process 2.5 s after that (GitHub's documented
// cancellation). Within those 10 s, the write in flight gets applyGrace to
// finish, so its result is known, and reporting may go on until
// publishGrace after the first signal.
const (
	applyGrace   = 4 * time.Second
	publishGrace = 8 * time.Second
)

// expected returns the reviewed digests of the environments being applied.
func (rv review) expected(envs []*manifest.Environment) map[string]string {
	expect := map[string]string{}
	for _, e := range envs {
		if d, ok := rv.Digests[e.Name]; ok {
			expect[e.Name] = d
		}
	}
	return expect
}

// computeApply runs the engine's apply with the apply role, checking each
// environment's fresh plan against expect, and returns those fresh plans
// and the result. When the review cannot be read, every environment fails
// with its refusal and nothing is read or written.
func (r *runner) computeApply(ctx context.Context, repo *manifest.Repository, envs []*manifest.Environment, rv review, expect map[string]string) (*plan.Plan, *apply.Result, error) {
	if rv.Refusal != "" {
		return &plan.Plan{}, engine.Refused(envs, rv.Refusal), nil
	}
	conn, err := r.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	var (
		planned []*plan.Environment
		res     *apply.Result
	)
	err = r.group("Apply "+envNames(envs), func() error {
		res, err = engine.Apply(ctx, repo, envs, conn.Source(awsiam.ForApply), conn.Writers(), r.env.Now(),
			engine.ApplyOptions{
				ExpectDigests: expect,
				ReviewedOnly:  rv.PullRequest != 0 && rv.Digests != nil,
				ExpectedFrom:  rv.From,
				Gate:          rv.gate(),
				AppliedBefore: rv.AppliedBefore,
				Planned:       func(p *plan.Environment) { planned = append(planned, p) },
				Run:           apply.Options{Grace: applyGrace, PublishKey: r.publishSealed},
			})
		if err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		return render.ApplyText(r.env.Stdout, res)
	})
	if err != nil {
		return nil, nil, err
	}
	return &plan.Plan{Environments: planned}, res, nil
}

// publishApply writes the apply report to the job summary, the merged pull
// request and the outputs, and opens, updates or resolves the
// roster:apply-failed issue.
func (r *runner) publishApply(ctx context.Context, rv review, p *plan.Plan, res *apply.Result) error {
	var report, own bytes.Buffer
	if err := render.ApplyMarkdown(&report, res); err != nil {
		return err
	}
	if err := render.ApplySummaryMarkdown(&own, res); err != nil {
		return err
	}
	summary := own.String()
	if rv.Warning != "" {
		summary = "> [!WARNING]\n> " + render.EscapeMarkdown(rv.Warning) + "\n\n" + summary
	}
	if err := r.summary(shorten(summary, r.rc.RunURL, summaryLimit)); err != nil {
		return fmt.Errorf("write the job summary: %w", err)
	}
	if err := r.planOutputs(p); err != nil {
		return err
	}
	for _, e := range res.Environments {
		if e.Status == apply.EnvSkipped {
			r.gh.Warningf("%s: %s", e.Name, e.Reason)
		}
	}
	r.applyOutcome(res)
	failed := res.Failed()

	var ghErr error
	if r.in.Comment {
		ghErr = r.group("Report on GitHub", func() error {
			return r.reportApply(ctx, rv, report.String(), res)
		})
	}
	if failed {
		return errors.Join(ghErr, failf("apply %s: %s", r.result, failedEnvs(res)))
	}
	return ghErr
}

// reportApply posts the report on the merged pull request and opens or
// resolves the roster:apply-failed issue.
func (r *runner) reportApply(ctx context.Context, rv review, report string, res *apply.Result) error {
	api, err := r.github()
	if err != nil {
		return err
	}
	var errs []error
	if rv.PullRequest != 0 {
		var pr bytes.Buffer
		if err := render.ApplyReport(&pr, res, render.ApplyReportOptions{Earlier: rv.Report, Carried: carried(res, rv.AppliedBefore), RunURL: r.rc.RunURL}); err != nil {
			return err
		}
		url, err := api.UpsertApplyReport(ctx, rv.PullRequest, shorten(pr.String(), r.rc.RunURL, render.GitHubCommentLimit))
		if err != nil {
			errs = append(errs, fmt.Errorf("comment the apply report on pull request #%d: %w", rv.PullRequest, err))
		} else {
			r.logf("Apply report: %s", url)
			r.setOutput("comment-url", url)
		}
	}
	if err := r.applyFailedIssue(ctx, rv, report, res); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// applyOutcome sets the has-changes and result outputs of an apply or
// expire run (see applyResult): an operation or an access key step done
// is a change.
func (r *runner) applyOutcome(res *apply.Result) {
	t := res.Tally()
	r.setOutput("has-changes", fmt.Sprint(t.Done+t.KeySteps > 0))
	r.result = applyResult(res)
}

// applyResult is the result output of an apply: how the environment that
// stopped it ended (refused or failed), else applied when an environment
// was applied (by this run or, for a re-run, an earlier one).
func applyResult(res *apply.Result) string {
	if e := res.StoppedBy(); e != nil && e.Status == apply.EnvRefused {
		return ResultRefused
	}
	if res.Failed() {
		return ResultFailed
	}
	for _, e := range res.Environments {
		if e.Status == apply.EnvApplied {
			return ResultApplied
		}
	}
	return ResultNoChanges
}

// carried names the environments an earlier run of the merge applied,
// which this run left as they were.
func carried(res *apply.Result, before map[string]string) []string {
	var out []string
	for _, e := range res.Environments {
		if _, ok := before[e.Name]; ok && e.Status == apply.EnvApplied && e.Reason == engine.AppliedEarlier {
			out = append(out, e.Name)
		}
	}
	return out
}

// failedEnvs names the environments that stopped the apply, with what
// happened and why, for the error line.
func failedEnvs(res *apply.Result) string {
	var parts []string
	for _, e := range res.Environments {
		if e.Stopped() {
			s := e.Name + " " + string(e.Status)
			if e.Reason != "" {
				s += " (" + e.Reason + ")"
			}
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// shorten keeps a Markdown report within limit bytes: a report that is too
// long keeps its summary table and points at the job summary.
func shorten(body, runURL string, limit int) string {
	if len(body) <= limit {
		return body
	}
	note := "\n\n*The report is too long for a comment and was cut short.*"
	if runURL != "" {
		note += " The [job summary](" + runURL + ") has all of it."
	}
	note += "\n"
	if i := strings.Index(body, "\n<details"); i >= 0 && i+len(note) <= limit {
		return strings.TrimRight(body[:i], "\n") + note
	}
	cut := strings.LastIndexByte(body[:limit-len(note)], '\n')
	return strings.TrimRight(body[:max(cut, 0)], "\n") + note
}
