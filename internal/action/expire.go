package action

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/clock"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/github"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
)

// expiredName names the issue that records what the expire runs removed:
// it is both the issue's hidden marker and its label.
const expiredName = "roster:expired"

// removal is one entry of the expired output: a user or service account
// offboarded, or a membership ended, and how its removal went.
type removal struct {
	Environment string `json:"environment"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	// Groups are the ended memberships; empty when the user was deleted.
	Groups []string `json:"groups,omitempty"`
	Reason string   `json:"reason"`
	Status string   `json:"status"`
}

// expire enforces expiry (engine.Expire) with the apply role: it applies
// only the removals of grants whose expires has passed, in every selected
// environment, without a review of its own: the end dates were reviewed
// when they were merged, and expiryGate refuses an environment whose last
// merge did not pass the apply gate. It reports in the log, the job
// summary, the outputs and the roster:expired issue.
func (r *runner) expire(ctx context.Context, t target) error {
	gate, err := r.expiryGate(ctx, t.repo)
	if err != nil {
		return err
	}
	var (
		planned []*plan.Environment
		left    []string
		res     *apply.Result
	)
	err = r.group("Expire "+envNames(t.envs), func() error {
		res, err = engine.Expire(ctx, t.repo, t.envs, t.conn.Source(awsiam.ForApply), t.conn.Writers(), r.env.Now(), engine.ApplyOptions{
			Gate:    gate,
			Planned: func(p *plan.Environment) { planned = append(planned, p) },
			Skipped: func(env string, skipped []plan.Change) {
				if s := render.LeftForReview(env, skipped); s != "" {
					left = append(left, s)
				}
			},
		})
		if err != nil {
			return fmt.Errorf("expire: %w", err)
		}
		if err := render.ApplyText(r.env.Stdout, res); err != nil {
			return err
		}
		for _, s := range left {
			r.logf("%s", s)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// A cancelled job still records what it removed, as apply does.
	pub, cancel := clock.Outlive(ctx, publishGrace)
	defer cancel()
	return r.publishExpire(pub, &plan.Plan{Environments: planned}, res, left)
}

// publishExpire writes the expire report to the job summary and the
// outputs, and to the roster:expired issue when something was removed or
// an environment failed.
func (r *runner) publishExpire(ctx context.Context, p *plan.Plan, res *apply.Result, left []string) error {
	var report bytes.Buffer
	if err := render.ExpireMarkdown(&report, res, left); err != nil {
		return err
	}
	if err := r.summary(shorten(report.String(), r.rc.RunURL, summaryLimit)); err != nil {
		return fmt.Errorf("write the job summary: %w", err)
	}
	if err := r.planOutputs(p); err != nil {
		return err
	}
	removed := removals(res)
	if err := r.setJSONOutput("expired", removed); err != nil {
		return err
	}
	r.applyOutcome(res)
	failed := res.Failed()
	var ghErr error
	if r.in.Comment && (failed || len(removed) > 0) {
		ghErr = r.group("Report on GitHub", func() error {
			return r.expiredIssue(ctx, report.String(), res, removed)
		})
	}
	if failed {
		return errors.Join(ghErr, failf("expire failed: %s", failedEnvs(res)))
	}
	return ghErr
}

// removals lists what the expire run removed or tried to remove, in the
// order of the report.
func removals(res *apply.Result) []removal {
	out := []removal{}
	for _, e := range res.Environments {
		for _, c := range e.Changes {
			out = append(out, removal{
				Environment: e.Name, Kind: string(c.Change.Kind), Name: c.Change.Name,
				Groups: c.Change.EndedGroups, Reason: c.Change.Reason, Status: string(c.Status()),
			})
		}
	}
	return out
}

// expiredIssue records the run on the one roster:expired issue: its body is
// the latest report, and a comment lists each run's removals and failures,
// so the issue's history is the log of what expiry removed. Its
// fingerprint is what the run did, so a run that repeats a failure adds no
// comment, and a run that removes something reopens an issue a person
// closed.
func (r *runner) expiredIssue(ctx context.Context, report string, res *apply.Result, removed []removal) error {
	api, err := r.github()
	if err != nil {
		return err
	}
	run := ""
	if r.rc.RunURL != "" {
		run = fmt.Sprintf(" ([workflow run](%s))", r.rc.RunURL)
	}
	at := r.env.Now().UTC().Format("2006-01-02 15:04 UTC")
	header := fmt.Sprintf("The hourly expire run removes the access whose `expires` has passed, and nothing else; each run that removes something, or fails, comments here. Latest: %s%s.\n\n", at, run)
	spec := github.IssueSpec{
		Marker:         expiredName,
		Title:          "roster: expired access removed",
		Labels:         []string{expiredName},
		Body:           shorten(header+report, r.rc.RunURL, issueBodyLimit),
		Fingerprint:    removalsFingerprint(res, removed),
		ChangedComment: expiredComment(at, run, res, removed),
	}
	out, err := api.SyncIssue(ctx, spec)
	if err != nil {
		return fmt.Errorf("update the roster:expired issue (the workflow needs permissions: issues: write): %w", err)
	}
	r.logf("Expired issue #%d: %s.", out.Number, out.Action)
	if out.Action == github.IssueCreated {
		// The body is rewritten by later runs; the comments are the log.
		if _, err := api.CreateComment(ctx, out.Number, spec.ChangedComment); err != nil {
			return fmt.Errorf("comment on the roster:expired issue #%d: %w", out.Number, err)
		}
	}
	if out.URL != "" {
		r.setOutput("expired-issue", out.URL)
	}
	return nil
}

// expiredComment says in a few lines what the run removed and what failed.
func expiredComment(at, run string, res *apply.Result, removed []removal) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Expire run at %s%s:\n", at, run)
	for _, rm := range removed {
		what := fmt.Sprintf("%s **%s**", strings.ReplaceAll(rm.Kind, "_", " "), render.EscapeMarkdown(rm.Name))
		if len(rm.Groups) > 0 {
			what += " left " + render.EscapeMarkdown(strings.Join(rm.Groups, ", "))
		} else {
			what += " offboarded"
		}
		fmt.Fprintf(&b, "- %s: %s (%s): %s\n", render.EscapeMarkdown(rm.Environment), what, render.EscapeMarkdown(rm.Reason), rm.Status)
	}
	for _, e := range res.Environments {
		if e.Stopped() {
			fmt.Fprintf(&b, "- %s %s: %s\n", render.EscapeMarkdown(e.Name), e.Status, render.EscapeMarkdown(e.Reason))
		}
	}
	return b.String()
}

// removalsFingerprint identifies what a run did: each removal with its
// status and each failed environment with its reason.
func removalsFingerprint(res *apply.Result, removed []removal) string {
	h := sha256.New()
	for _, rm := range removed {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\n", rm.Environment, rm.Kind, rm.Name, strings.Join(rm.Groups, ","), rm.Status)
	}
	for _, e := range res.Environments {
		if e.Stopped() {
			fmt.Fprintf(h, "%s\x00%s\x00%s\n", e.Status, e.Name, e.Reason)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
