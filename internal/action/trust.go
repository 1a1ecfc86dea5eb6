package action

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/roster-dev/roster/internal/approval"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/github"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
)

// Events roster refuses for every command: each runs with the base
// repository's write token on input a pull request or a comment controls.
const (
	eventIssueComment = "issue_comment"
	eventWorkflowRun  = "workflow_run"
)

// refuseEvent says why the run's event or ref may not run cmd, or "".
func (r *runner) refuseEvent(cmd string) string {
	switch r.rc.Event {
	case eventPullRequestTarget, eventIssueComment, eventWorkflowRun:
		return fmt.Sprintf("roster does not run on %s events: they run with the base repository's write token and secrets on input a pull request or a comment controls; plan on pull_request and apply on push (docs/action.md, Trust model)", r.rc.Event)
	}
	switch cmd {
	case CommandApply:
		if (r.rc.Event != eventPush && r.rc.Event != eventWorkflowDispatch) || !r.rc.onDefaultBranch() {
			return fmt.Sprintf("command apply runs only on a push to the default branch or a workflow_dispatch on it, not on %s of %s: merge a reviewed pull request, or start the apply workflow on the default branch", r.rc.Event, r.rc.Ref)
		}
	case CommandExpire:
		// Expiry applies without review the end dates the manifests hold,
		// so only the default branch's, where they were merged reviewed.
		if (r.rc.Event != eventSchedule && r.rc.Event != eventWorkflowDispatch) || !r.rc.onDefaultBranch() {
			return fmt.Sprintf("command expire runs only on a schedule or a workflow_dispatch of the default branch, not on %s of %s: the end dates it enforces without review must be the default branch's", r.rc.Event, r.rc.Ref)
		}
	case CommandRotate:
		// A rotation writes keys with the apply role from the manifests'
		// access_key blocks, so only the default branch's, merged reviewed.
		if (r.rc.Event != eventSchedule && r.rc.Event != eventWorkflowDispatch) || !r.rc.onDefaultBranch() {
			return fmt.Sprintf("command rotate runs only on a schedule or a workflow_dispatch on the default branch, not on %s of %s: it writes access keys with the apply role, from the manifests as merged", r.rc.Event, r.rc.Ref)
		}
	}
	return ""
}

// gate is the engine's gate for rv: the missing record first, then
// approvals, then the expect-digests input.
func (rv review) gate() func(p *plan.Environment) string {
	return func(p *plan.Environment) string {
		why := ""
		switch {
		case rv.NoRecord != "" && p.HasChanges():
			why = rv.NoRecord
		case rv.Gate != nil:
			why = rv.Gate(p)
		}
		if want, ok := rv.Pinned[p.Name]; ok && why == "" && want != p.Digest {
			why = fmt.Sprintf("refused: the plan of live IAM now (%s) differs from the expect-digests input (%s): live IAM or the manifests changed since that plan; plan again and pass its digests", p.Digest, want)
		}
		return why
	}
}

// reviewed finds what was reviewed: on a manual run, nothing (the actor
// must be a reviewer of every environment with approvals); else the
// reviewed-plan record of the pull request the pushed commit merged, with
// the approvals of that pull request. The expect-digests input is checked
// on top of either, never instead: it can only refuse more.
func (r *runner) reviewed(ctx context.Context, repo *manifest.Repository) (review, error) {
	if r.rc.Event == eventWorkflowDispatch {
		rv := r.manualReview(ctx, repo)
		rv.Pinned = r.in.ExpectDigests
		return rv, nil
	}
	api, err := r.github()
	if err != nil {
		return review{}, err
	}
	var rv review
	err = r.group("Find the reviewed plan of commit "+shortSHA(r.rc.SHA), func() error {
		var err error
		rv, err = r.mergeReview(ctx, api, repo)
		return err
	})
	if err != nil {
		return review{}, err
	}
	rv.Pinned = r.in.ExpectDigests
	for name := range rv.Digests {
		if repo.Environment(name) == nil {
			r.logf("Environment %s was reviewed but is no longer in %s: skipped.", name, r.in.Path)
			delete(rv.Digests, name)
		}
	}
	return rv, nil
}

// howToProceed ends every refusal of a merge without a usable record.
const howToProceed = "re-run the plan on the pull request and merge again, or have a reviewer of the environment run the apply workflow by hand (workflow_dispatch)"

// mergeReview reads the record and approvals of the pull request the
// pushed commit merged. Whatever cannot be read refuses the environments
// with changes; nothing is applied on trust.
func (r *runner) mergeReview(ctx context.Context, api gitHub, repo *manifest.Repository) (review, error) {
	sha := shortSHA(r.rc.SHA)
	pr, found, err := api.MergedPullRequest(ctx, r.rc.SHA)
	if err != nil {
		return review{}, fmt.Errorf("find the pull request of commit %s: %w", r.rc.SHA, err)
	}
	if !found {
		return review{NoRecord: fmt.Sprintf("refused: commit %s was pushed without a pull request, so no plan was reviewed; %s", sha, howToProceed)}, nil
	}
	rv := review{PullRequest: pr.Number, URL: pr.URL, From: fmt.Sprintf("the plan reviewed on pull request #%d", pr.Number)}
	r.logf("Commit %s merged pull request #%d (final head %s).", sha, pr.Number, shortSHA(pr.HeadSHA))
	files, err := api.PullRequestFiles(ctx, pr.Number)
	if err != nil {
		return review{}, fmt.Errorf("list the files of pull request #%d: %w", pr.Number, err)
	}
	if wf, access := changesWorkflowsAndAccess(files, r.in.Path); wf != "" && access {
		rv.NoRecord = fmt.Sprintf("refused: pull request #%d changes %s together with %s, and a workflow of the pull request could have written its reviewed-plan record with the workflow's token; merge workflow changes in a pull request of their own, then %s", pr.Number, wf, r.in.Path, howToProceed)
		return rv, nil
	}
	rec, err := api.FindPlanRecord(ctx, pr.Number, pr.HeadSHA)
	switch {
	case errors.Is(err, github.ErrNoPlanRecord) || errors.Is(err, github.ErrBadPlanRecord):
		rv.NoRecord = fmt.Sprintf("refused: pull request #%d has no trusted reviewed-plan record on its final commit %s (%v); %s", pr.Number, shortSHA(pr.HeadSHA), err, howToProceed)
		return rv, nil
	case err != nil:
		return review{}, fmt.Errorf("read the reviewed-plan record of pull request #%d: %w", pr.Number, err)
	case rec.Digests == nil:
		rv.NoRecord = fmt.Sprintf("refused: the plan of pull request #%d failed on its final commit %s, so no plan was reviewed; %s", pr.Number, shortSHA(pr.HeadSHA), howToProceed)
		return rv, nil
	}
	rv.Digests = rec.Digests
	r.logf("Reviewed-plan record: check run %d by %s; digests of %s.", rec.CheckRunID, rec.App, strings.Join(slices.Sorted(maps.Keys(rec.Digests)), ", "))
	if err := r.appliedBefore(ctx, api, &rv); err != nil {
		return review{}, err
	}
	gate, err := r.approvalGate(ctx, api, repo, pr, files)
	if err != nil {
		return review{}, err
	}
	rv.Gate = gate
	return rv, nil
}

// appliedBefore reads the apply report an earlier run of this merge left on
// the pull request (only the trusted author's counts) and the environments
// it says were applied with their reviewed digests. It decides nothing that
// writes: an environment counts as done only when its fresh plan is empty,
// so the report lets a re-run go on past what an earlier run applied (see
// docs/design.md, Re-runs).
func (r *runner) appliedBefore(ctx context.Context, api gitHub, rv *review) error {
	body, found, err := api.FindApplyReport(ctx, rv.PullRequest)
	if err != nil {
		return fmt.Errorf("read the apply report on pull request #%d: %w", rv.PullRequest, err)
	}
	if !found {
		return nil
	}
	rv.Report = body
	rv.AppliedBefore = map[string]string{}
	for name, a := range render.ParseApplied(body) {
		if a.Digest == rv.Digests[name] {
			rv.AppliedBefore[name] = a.Digest
		}
	}
	if len(rv.AppliedBefore) > 0 {
		r.logf("The apply report on pull request #%d says an earlier run applied %s.", rv.PullRequest, strings.Join(slices.Sorted(maps.Keys(rv.AppliedBefore)), ", "))
	}
	return nil
}

// changesWorkflowsAndAccess returns a workflow file among files (or "")
// and whether files change the access folder.
func changesWorkflowsAndAccess(files []string, access string) (workflow string, changesAccess bool) {
	for _, f := range files {
		if strings.HasPrefix(f, ".github/workflows/") || strings.HasPrefix(f, ".github/actions/") {
			workflow = f
		}
		if f == access || strings.HasPrefix(f, access+"/") {
			changesAccess = true
		}
	}
	return workflow, changesAccess
}

// envApprovals is what apply knows about one environment's approvals.
type envApprovals struct {
	rule approval.Rule
	// changed is set when the pull request changes the approvals.
	changed bool
	// isNew is set when the environment was not there before: its own
	// approvals apply.
	isNew bool
	res   approval.Result
	err   error
}

// approvalGate judges the merged pull request's reviews against each
// environment's approvals as the default branch held them before the merge
// (the push's before commit), read through the API, never from the merged
// files; an environment new in the merge takes its own.
func (r *runner) approvalGate(ctx context.Context, api gitHub, repo *manifest.Repository, pr github.PullRequest, files []string) (func(*plan.Environment) string, error) {
	if r.rc.Before == "" || strings.Trim(r.rc.Before, "0") == "" {
		return nil, errors.New("the push event has no before commit, so the approvals in force cannot be read: run apply on push events of the default branch")
	}
	state, err := r.judgeApprovals(ctx, api, repo, pr, r.rc.Before)
	if err != nil {
		return nil, err
	}
	// A change to an environment's folder needs its approvals even when it
	// changes nothing in IAM today: moving an expires earlier decides a
	// removal the expire schedule makes later, with no review of its own.
	touched, all := engine.Touched(repo, r.in.Path, files)
	return func(p *plan.Environment) string {
		st := state[p.Name]
		changes := p.HasChanges() || st.changed || all || slices.Contains(touched, p.Name)
		if !changes || st.rule.Required == 0 || st.res.Met() {
			return ""
		}
		return approvalRefusal(pr.Number, st)
	}, nil
}

// requester is the person an access request's pull request was opened for:
// when the workflow's token (trusted-author) opened pr from the branch roster
// makes for access request N, the author of issue N; else "". Like the
// author, the requester may not approve their own request.
func (r *runner) requester(ctx context.Context, api gitHub, pr github.PullRequest) (string, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(pr.HeadRef, requestBranchPrefix))
	if !strings.HasPrefix(pr.HeadRef, requestBranchPrefix) || err != nil || n <= 0 {
		return "", nil
	}
	if r.in.TrustedAuthor != "" && !strings.EqualFold(pr.Author, r.in.TrustedAuthor) {
		return "", nil
	}
	login, err := api.IssueAuthor(ctx, n)
	if err != nil {
		return "", fmt.Errorf("read who filed access request #%d, the requester of pull request #%d: %w", n, pr.Number, err)
	}
	return login, nil
}

// judgeApprovals reads pr's reviews and judges them, for every environment
// of repo, against the approvals in force at ref (the default branch before
// the merge, or the pull request's base): an environment missing there
// takes its own.
func (r *runner) judgeApprovals(ctx context.Context, api gitHub, repo *manifest.Repository, pr github.PullRequest, ref string) (map[string]envApprovals, error) {
	reviews, err := api.ListReviews(ctx, pr.Number)
	if err != nil {
		return nil, fmt.Errorf("list the reviews of pull request #%d: %w", pr.Number, err)
	}
	teams, err := r.teams()
	if err != nil {
		return nil, err
	}
	before, err := r.foldersAt(ctx, api, ref)
	if err != nil {
		return nil, fmt.Errorf("find the approvals in force: %w", err)
	}
	requester, err := r.requester(ctx, api, pr)
	if err != nil {
		return nil, err
	}
	state := map[string]envApprovals{}
	for _, env := range repo.Environments {
		now := approval.Rule{Required: env.Approvals.Required, Reviewers: env.Approvals.Reviewers}
		st := envApprovals{rule: now, isNew: !before[env.Name]}
		if st.isNew {
			r.logf("%s is not at %s: its own approvals apply.", env.Name, shortSHA(ref))
		} else {
			file := path.Join(r.in.Path, env.Name, manifest.EnvironmentFile)
			data, err := api.FileAtRef(ctx, file, ref)
			if err != nil {
				return nil, fmt.Errorf("read the approvals in force, %s at %s: %w", file, shortSHA(ref), err)
			}
			a, err := manifest.ReadApprovals(file+"@"+shortSHA(ref), data)
			if err != nil {
				return nil, err
			}
			st.rule = approval.Rule{Required: a.Required, Reviewers: a.Reviewers}
		}
		st.changed = !rulesEqual(st.rule, now)
		st.res, st.err = approval.Evaluate(ctx, approval.Input{Rule: st.rule, Author: pr.Author, Requester: requester, HeadSHA: pr.HeadSHA, Reviews: reviews}, teams)
		state[env.Name] = st
	}
	return state, nil
}

// planApprovals returns each environment's approvals for the plan comment
// of a pull_request or pull_request_review run: the pull request's reviews
// judged under the approvals of its base commit, as a merge will judge
// them. Nil when this run does not write the comment and record. What
// cannot be read is shown and logged, never fatal: the merge's apply is the
// control, and it reads everything again.
func (r *runner) planApprovals(ctx context.Context, repo *manifest.Repository) map[string]render.ApprovalStatus {
	if (r.rc.Event != eventPullRequest && r.rc.Event != eventPullRequestReview) || !r.writesRecord() {
		return nil
	}
	state, err := r.baseApprovals(ctx, repo)
	out := map[string]render.ApprovalStatus{}
	if err != nil {
		r.gh.Warningf("The approvals in force could not be read, so the plan comment shows this pull request's own: %v", err)
		for _, env := range repo.Environments {
			rule := approval.Rule{Required: env.Approvals.Required, Reviewers: env.Approvals.Reviewers}
			out[env.Name] = render.ApprovalStatus{
				Result:  approval.Result{Rule: rule, Missing: rule.Required},
				Problem: fmt.Sprintf("the approvals in force could not be read, so these are this pull request's own, which its merge does not go by: %v", err),
			}
		}
		return out
	}
	for name, st := range state {
		s := render.ApprovalStatus{Result: st.res, Changed: st.changed, New: st.isNew}
		if st.err != nil {
			s.Problem = st.err.Error()
		}
		out[name] = s
	}
	return out
}

// baseApprovals judges the pull request's reviews under the approvals of
// its base commit.
func (r *runner) baseApprovals(ctx context.Context, repo *manifest.Repository) (map[string]envApprovals, error) {
	if r.rc.BaseSHA == "" {
		return nil, errors.New("the event names no base commit (pull_request.base.sha)")
	}
	api, err := r.github()
	if err != nil {
		return nil, err
	}
	pr := github.PullRequest{Number: r.rc.PullRequest, Author: r.rc.PullRequestAuthor, HeadSHA: r.rc.HeadSHA, HeadRef: r.rc.HeadRef}
	return r.judgeApprovals(ctx, api, repo, pr, r.rc.BaseSHA)
}

// approvalRefusal says why an environment's approvals are not met.
func approvalRefusal(pr int, st envApprovals) string {
	s := fmt.Sprintf("refused: approvals not met on pull request #%d's final commit: %s", pr, st.res.Summary())
	for _, u := range st.res.Uncounted {
		s += fmt.Sprintf("; %s's approval does not count (%s)", cmpLogin(u.Login), u.Reason)
	}
	if st.err != nil {
		s += "; " + st.err.Error()
	}
	if st.changed {
		s += "; the pull request changes the approvals themselves, which need the approvals in force before it"
	}
	return s + "; have a listed reviewer approve and run the apply workflow by hand (workflow_dispatch), which only a reviewer may do"
}

// cmpLogin names a reviewer, or says the account is deleted (GitHub shows
// a deleted account's reviews without a login) in approval's words.
func cmpLogin(s string) string {
	if s == "" {
		return string(approval.DeletedLogin)
	}
	return s
}

func rulesEqual(a, b approval.Rule) bool {
	return a.Required == b.Required && slices.Equal(a.Reviewers, b.Reviewers)
}

// manualReview is a manual apply: nothing was reviewed, and each
// environment with approvals may be applied only by one of its reviewers,
// the person who started the run.
func (r *runner) manualReview(ctx context.Context, repo *manifest.Repository) review {
	actor := r.env.Getenv("GITHUB_TRIGGERING_ACTOR")
	if actor == "" {
		actor = r.env.Getenv("GITHUB_ACTOR")
	}
	rv := review{Warning: fmt.Sprintf("Manual apply started by %s: roster applied the repository as it is, without a reviewed plan.", cmpLogin(actor))}
	rv.Gate = func(p *plan.Environment) string {
		env := repo.Environment(p.Name)
		if env == nil || env.Approvals.Required == 0 || !p.HasChanges() {
			return ""
		}
		rule := approval.Rule{Required: env.Approvals.Required, Reviewers: env.Approvals.Reviewers}
		teams, err := r.teams()
		if err != nil {
			return "refused: " + err.Error()
		}
		ok, err := approval.ActorAllowed(ctx, rule, actor, teams)
		switch {
		case err != nil:
			return fmt.Sprintf("refused: a manual apply of %s is allowed only to its reviewers (%s), and %s could not be checked: %v", p.Name, rule.Describe(), cmpLogin(actor), err)
		case !ok:
			return fmt.Sprintf("refused: a manual apply of %s is allowed only to its reviewers (%s); %s is not one of them: ask one of them to run the apply workflow", p.Name, rule.Describe(), cmpLogin(actor))
		}
		return ""
	}
	return rv
}

// foldersAt returns the folders of the access directory at ref. An access
// directory missing there (roster's first merge) has none; a commit GitHub
// does not know is an error, never "no approvals".
//
// The answer is kept for the run: the approvals and the comparison of
// time-bound access both read the base's folders.
func (r *runner) foldersAt(ctx context.Context, api gitHub, ref string) (map[string]bool, error) {
	if f, ok := r.folders[ref]; ok {
		return f, nil
	}
	entries, err := api.DirAtRef(ctx, r.in.Path, ref)
	if errors.Is(err, github.ErrFileNotFound) {
		if _, rootErr := api.DirAtRef(ctx, "", ref); rootErr != nil {
			return nil, fmt.Errorf("read the repository at %s: %w", shortSHA(ref), rootErr)
		}
		entries, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", r.in.Path, shortSHA(ref), err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		if e.Type == "dir" {
			out[e.Name] = true
		}
	}
	if r.folders == nil {
		r.folders = map[string]map[string]bool{}
	}
	r.folders[ref] = out
	return out, nil
}
