package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/clock"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/github"
	"github.com/roster-dev/roster/internal/hygiene"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
)

// plan validates, plans the environments the pull request touches (or the
// environments input, or all), and publishes the plan: sticky comment, job
// summary, outputs and the plan-output file.
//
// A run that ends without a plan (invalid manifests, a failed plan, a
// cancelled run) says so in the comment and the record instead, so neither
// shows an earlier commit's plan as current.
func (r *runner) plan(ctx context.Context) error {
	repo, err := r.validate()
	if err != nil {
		return errors.Join(err, r.noPlan(ctx, render.NoPlanInvalid, err))
	}
	p, hyg, err := r.computePlan(ctx, repo)
	if err == nil {
		err = r.publishPlan(ctx, repo, p, hyg)
		if err == nil || (errors.Is(err, ErrFailed) && ctx.Err() == nil) {
			return err
		}
	}
	outcome := render.NoPlanFailed
	if ctx.Err() != nil {
		outcome = render.NoPlanCancelled
	}
	return errors.Join(err, r.noPlan(ctx, outcome, err))
}

// noPlan replaces the record and the plan comment of the head commit with
// what is true: there is no plan of it (outcome, because of cause). It
// writes even when ctx was cancelled, within publishGrace. The comment is
// edited, never created: the annotations and the failed check say enough
// on a pull request that has none.
func (r *runner) noPlan(ctx context.Context, outcome string, cause error) error {
	ctx, cancel := clock.Outlive(ctx, publishGrace)
	defer cancel()
	why := map[string]string{
		render.NoPlanInvalid:   "the manifests are invalid",
		render.NoPlanFailed:    "the plan failed",
		render.NoPlanCancelled: "the plan run was cancelled",
	}[outcome]
	errs := []error{r.failRecord(ctx, why)}
	if r.rc.PullRequest != 0 && r.in.Comment {
		var body bytes.Buffer
		detail := ""
		if cause != nil && outcome != render.NoPlanCancelled {
			detail = cause.Error()
		}
		err := render.NoPlanMarkdown(&body, render.NoPlan{Outcome: outcome, Commit: shortSHA(r.planSHA()), Detail: detail, RunURL: r.rc.RunURL, Footer: r.planFooter()})
		if err == nil {
			err = r.planComment(ctx, body.String(), false, "No plan comment to replace: "+why+"; the annotations and the failed check say so.")
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// writesRecord reports whether this run keeps the pull request's
// reviewed-plan record: a plan of a pull request's head commit, except in
// a matrix job (plan-output set), whose plan-dir job records the whole.
func (r *runner) writesRecord() bool {
	return r.rc.PullRequest != 0 && r.rc.HeadSHA != "" && (r.in.PlanOutput == "" || r.in.PlanDir != "")
}

// recordPlan writes the reviewed-plan record of the pull request's head
// commit: a check run of the workflow's token whose output carries each
// environment's digest. Apply trusts nothing else.
func (r *runner) recordPlan(ctx context.Context, p *plan.Plan, refused []string) error {
	if !r.writesRecord() {
		return nil
	}
	digests := map[string]string{}
	for _, e := range p.Environments {
		digests[e.Name] = e.Digest
	}
	o := github.RecordOptions{DetailsURL: r.rc.RunURL}
	if len(refused) > 0 {
		o.Conclusion = "failure"
		o.Summary = "A guardrail refused the plan of " + strings.Join(refused, ", ") + "."
	}
	return r.writeRecord(ctx, github.PlanRecord{PullRequest: r.rc.PullRequest, HeadSHA: r.rc.HeadSHA, Digests: digests}, o)
}

// failRecord replaces the head commit's record with one carrying no
// digests, so a merge of this commit applies nothing.
func (r *runner) failRecord(ctx context.Context, why string) error {
	if !r.writesRecord() {
		return nil
	}
	o := github.RecordOptions{DetailsURL: r.rc.RunURL, Conclusion: "failure",
		Summary: "No plan for this commit: " + why + ". Merging it applies nothing until a plan succeeds."}
	return r.writeRecord(ctx, github.PlanRecord{PullRequest: r.rc.PullRequest, HeadSHA: r.rc.HeadSHA}, o)
}

func (r *runner) writeRecord(ctx context.Context, rec github.PlanRecord, o github.RecordOptions) error {
	api, err := r.github()
	if err != nil {
		return err
	}
	if err := api.WritePlanRecord(ctx, rec, o); err != nil {
		return fmt.Errorf("write the reviewed-plan check run %s on %s (the plan job needs permissions checks: write): %w", github.PlanRecordName, shortSHA(rec.HeadSHA), err)
	}
	r.logf("Reviewed-plan record %s written on %s.", github.PlanRecordName, shortSHA(rec.HeadSHA))
	return nil
}

// computePlan plans the environments in scope (see planScope) with the plan
// role, logs the text plan, and returns it with the hygiene findings of
// each environment.
func (r *runner) computePlan(ctx context.Context, repo *manifest.Repository) (*plan.Plan, map[string]hygiene.Excerpt, error) {
	names, err := r.planScope(ctx, repo)
	if err != nil {
		return nil, nil, err
	}
	envs := []*manifest.Environment{}
	if names == nil || len(names) > 0 {
		if envs, err = engine.Select(repo, names); err != nil {
			return nil, nil, fmt.Errorf("input environments: %w", err)
		}
	}
	var (
		p   *plan.Plan
		hyg map[string]hygiene.Excerpt
	)
	err = r.group("Plan "+envNames(envs), func() error {
		conn, err := r.connect(ctx)
		if err != nil {
			return err
		}
		p, hyg, err = engine.PlanHygiene(ctx, repo, envs, conn.Source(awsiam.ForPlan), r.env.Now())
		if err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		return render.Text(r.env.Stdout, p)
	})
	return p, hyg, err
}

// planScope returns the environments to plan: the environments input;
// else, on a pull request, the environments whose folders it changes (all
// of them when it changes roster.yaml or another file under the access
// folder outside the environment folders; an empty, non-nil list when it
// changes nothing there); else all (nil).
func (r *runner) planScope(ctx context.Context, repo *manifest.Repository) ([]string, error) {
	if len(r.in.Environments) > 0 {
		return r.in.Environments, nil
	}
	if r.rc.PullRequest == 0 {
		return nil, nil
	}
	api, err := r.github()
	if err != nil {
		return nil, err
	}
	files, err := api.PullRequestFiles(ctx, r.rc.PullRequest)
	if errors.Is(err, github.ErrFilesTruncated) {
		r.logf("The pull request changes more files than GitHub lists: planning every environment.")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the files of pull request #%d: %w", r.rc.PullRequest, err)
	}
	names, all := engine.Touched(repo, r.in.Path, files)
	switch {
	case all:
		r.logf("The pull request changes %s outside the environment folders: planning every environment.", r.in.Path)
		return nil, nil
	case len(names) == 0:
		r.logf("The pull request changes nothing under %s: nothing to plan.", r.in.Path)
		return []string{}, nil
	}
	r.logf("The pull request changes %s.", strings.Join(names, ", "))
	return names, nil
}

// publishPlan writes the plan everywhere it goes: the sticky pull-request
// comment, the job summary, the outputs and the plan-output file. hyg, the
// hygiene findings by environment, goes to the comment and the summary
// (nil for merged matrix plans, whose JSON does not carry them). The job
// summary ends with the access matrix of repo.
func (r *runner) publishPlan(ctx context.Context, repo *manifest.Repository, p *plan.Plan, hyg map[string]hygiene.Excerpt) error {
	r.setOutput("has-changes", fmt.Sprint(p.HasChanges()))
	r.result = ResultNoChanges
	if p.HasChanges() {
		r.result = ResultChanges
	}
	var refused []string
	for _, e := range p.Environments {
		if e.Refused != "" {
			refused = append(refused, e.Name)
		}
	}
	r.compareBase(ctx, repo, p)
	if err := r.planOutputs(p); err != nil {
		return err
	}

	opts := render.MarkdownOptions{Header: r.planHeader(), Footer: r.planFooter(), SummaryURL: r.rc.RunURL, Hygiene: hyg, Approvals: r.planApprovals(ctx, repo)}
	var full bytes.Buffer
	if err := render.Markdown(&full, p, render.MarkdownOptions{Header: opts.Header, Footer: opts.Footer, MaxLength: summaryLimit - matrixBudget, Hygiene: hyg, Approvals: opts.Approvals}); err != nil {
		return err
	}
	matrix, err := r.accessMatrix(repo)
	if err != nil {
		return err
	}
	if err := r.summary(full.String() + matrix); err != nil {
		return fmt.Errorf("write the job summary: %w", err)
	}
	if r.rc.PullRequest != 0 && r.in.Comment {
		opts.MaxLength = render.GitHubCommentLimit
		var body bytes.Buffer
		if err := render.Markdown(&body, p, opts); err != nil {
			return err
		}
		if err := r.planComment(ctx, body.String(), p.HasChanges() || mayMoveEnds(p), "No changes and no plan comment yet: nothing to comment."); err != nil {
			return err
		}
	}
	if err := r.recordPlan(ctx, p, refused); err != nil {
		return err
	}
	if len(refused) > 0 {
		r.result = ResultRefused
		return failf("a guardrail refused the plan of %s (see the plan)", strings.Join(refused, ", "))
	}
	return nil
}

// mayMoveEnds reports whether the pull request moves the end of a grant,
// or may have when the base could not be compared and time-bound grants
// remain: a change that only moves an end changes nothing in IAM, and its
// approvers must still see it (or see that it could not be told).
func mayMoveEnds(p *plan.Plan) bool {
	if p.MovesEnds() {
		return true
	}
	return p.BaseUnavailable != "" && slices.ContainsFunc(p.Environments, func(e *plan.Environment) bool { return len(e.TimeBound) > 0 })
}

// planComment creates or edits the sticky plan comment on the pull request
// with the plan: it is edited on every run, but created only when the plan
// has changes. none is the log line when there was no comment to edit and
// none was created.
func (r *runner) planComment(ctx context.Context, body string, create bool, none string) error {
	if r.rc.PullRequest == 0 || !r.in.Comment {
		return nil
	}
	return r.group(fmt.Sprintf("Comment on pull request #%d", r.rc.PullRequest), func() error {
		api, err := r.github()
		if err != nil {
			return err
		}
		url, err := api.UpsertPlanComment(ctx, r.rc.PullRequest, body, create)
		if err != nil {
			return fmt.Errorf("update the plan comment on pull request #%d: %w", r.rc.PullRequest, err)
		}
		if url == "" {
			r.logf("%s", none)
			return nil
		}
		r.logf("Plan comment: %s", url)
		r.setOutput("comment-url", url)
		return nil
	})
}

// planHeader says which commit the plan is for.
func (r *runner) planHeader() string {
	sha := r.planSHA()
	if r.rc.PullRequest == 0 || sha == "" {
		return ""
	}
	return fmt.Sprintf("Planned for commit %s against live IAM. Merging applies these changes only if live IAM still gives the same plan.", shortSHA(sha))
}

// planSHA is the commit a pull request's plan is for: its head.
func (r *runner) planSHA() string {
	if r.rc.HeadSHA != "" {
		return r.rc.HeadSHA
	}
	return r.rc.SHA
}

// planFooter records when the comment was last updated.
func (r *runner) planFooter() string {
	return "Updated " + r.env.Now().UTC().Format("2006-01-02 15:04 UTC") + " by roster."
}

// planOutputs sets the digests output to each environment's plan digest
// and writes the plan JSON (see writePlanJSON).
func (r *runner) planOutputs(p *plan.Plan) error {
	digests := map[string]string{}
	for _, e := range p.Environments {
		digests[e.Name] = e.Digest
	}
	if err := r.setJSONOutput("digests", digests); err != nil {
		return err
	}
	var planJSON bytes.Buffer
	if err := render.JSON(&planJSON, p); err != nil {
		return err
	}
	return r.writePlanJSON(planJSON.Bytes())
}

// writePlanJSON writes the plan JSON to plan-output (relative to the
// repository root, folders created) and sets the plan-json output to that
// path, which later steps outside the container read as it is.
func (r *runner) writePlanJSON(b []byte) error {
	rel := r.in.PlanOutput
	if rel == "" {
		rel = DefaultPlanOutput
	}
	name := r.inWorkspace(rel)
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil { //nolint:gosec // a folder in the workspace
		return fmt.Errorf("write the plan JSON: %w", err)
	}
	if err := os.WriteFile(name, b, 0o644); err != nil { //nolint:gosec // a plan holds no secrets
		return fmt.Errorf("write the plan JSON: %w", err)
	}
	r.setOutput("plan-json", path.Clean(filepath.ToSlash(rel)))
	return nil
}

// inWorkspace resolves a path relative to the repository root.
func (r *runner) inWorkspace(rel string) string {
	if r.rc.Workspace == "" {
		return filepath.FromSlash(rel)
	}
	return filepath.Join(r.rc.Workspace, filepath.FromSlash(rel))
}

// envNames lists environment names for log lines.
func envNames(envs []*manifest.Environment) string {
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	if len(names) == 0 {
		return "(no environments)"
	}
	return strings.Join(names, ", ")
}
