package action

import (
	"bytes"
	"context"
	"fmt"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/render"
)

// rotate runs the access key steps due today in every selected environment
// with the apply role (engine.Rotate), and reports in the log, the job
// summary and the outputs, with a warning annotation for every key a
// person must look at (the run still succeeds). It writes no comment or issue: a rotation
// belongs to no pull request, and a failed one fails the scheduled job,
// which GitHub reports to the workflow's owners.
func (r *runner) rotate(ctx context.Context, t target) error {
	var res *apply.Result
	err := r.group("Rotate access keys in "+envNames(t.envs), func() error {
		res = engine.Rotate(ctx, t.repo, t.envs, t.conn.Source(awsiam.ForApply), t.conn.Writers(), r.env.Now(),
			apply.Options{Grace: applyGrace, PublishKey: r.publishSealed})
		return render.ApplyText(r.env.Stdout, res)
	})
	if err != nil {
		return err
	}
	var report bytes.Buffer
	if err := render.ApplySummaryMarkdown(&report, res); err != nil {
		return err
	}
	if err := r.summary(shorten(report.String(), r.rc.RunURL, summaryLimit)); err != nil {
		return fmt.Errorf("write the job summary: %w", err)
	}
	// A service account whose keys need a person (a rotation blocked by a
	// key made by hand) fails nothing, but the run says so where it is seen.
	for _, e := range res.Environments {
		for _, k := range e.AccessKeys {
			for _, n := range k.Notes {
				r.gh.Warningf("%s: the access key of %s needs a person: %s", e.Name, k.ServiceAccount, render.KeyFinding(n))
			}
		}
	}
	steps := res.Tally().KeySteps
	r.setOutput("has-changes", fmt.Sprint(steps > 0))
	switch {
	case res.Failed():
		r.result = ResultFailed
		return failf("rotation failed: %s", failedEnvs(res))
	case steps > 0:
		r.result = ResultApplied
	default:
		r.result = ResultNoChanges
	}
	return nil
}

// publishSealed appends a new deliver_to: pgp key, encrypted, to the job
// summary the moment it exists, before IAM records it as delivered: a job
// that is cancelled or dies before its report still leaves the key where
// its owner reads it. When the summary cannot be written, the key is
// deleted again.
func (r *runner) publishSealed(_ context.Context, k apply.SealedKey) error {
	var b bytes.Buffer
	if err := render.SealedKeyMarkdown(&b, k); err != nil {
		return err
	}
	return r.summary(b.String())
}
