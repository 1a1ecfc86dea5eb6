package action

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/roster-dev/roster/internal/github"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
)

// expiryGate is the expire run's gate. Expiry writes without a review of
// its own, so it enforces an end only from manifests that passed the apply
// gate: on a manual run, the person who started it must be a reviewer of
// each environment with approvals (as for a manual apply); on the schedule,
// the merge that last changed the environment's folder on the default
// branch must have passed the gate for that environment.
// A merge refused for want of approvals left its end dates on the default
// branch; without this, the hourly run would carry them out.
func (r *runner) expiryGate(ctx context.Context, repo *manifest.Repository) (func(*plan.Environment) string, error) {
	if r.rc.Event == eventWorkflowDispatch {
		return r.manualReview(ctx, repo).Gate, nil
	}
	api, err := r.github()
	if err != nil {
		return nil, err
	}
	// Environments are gated one after another; a merge that changed
	// several folders is read and judged once.
	merges := map[string]mergeVerdict{}
	return func(p *plan.Environment) string {
		if !p.HasChanges() {
			return ""
		}
		why := r.lastChangeRefusal(ctx, api, repo, p.Name, merges)
		if why != "" {
			return fmt.Sprintf("refused: %s; until then expiry in %s waits: a reviewer of %s can run the expire workflow by hand (workflow_dispatch), or merge a reviewed change to its folder", why, p.Name, p.Name)
		}
		return ""
	}, nil
}

// lastChangeRefusal says why the last change to env's folder on the
// default branch, where its end dates are written, did not pass env's apply
// gate, or "" when it did. merges holds the merges judged so far, by commit.
func (r *runner) lastChangeRefusal(ctx context.Context, api gitHub, repo *manifest.Repository, env string, merges map[string]mergeVerdict) string {
	head := r.rc.SHA
	if strings.Trim(head, "0") == "" {
		head = r.rc.DefaultBranch
	}
	folder := path.Join(r.in.Path, env)
	sha, found, err := api.LastChange(ctx, head, folder)
	switch {
	case err != nil:
		return fmt.Sprintf("the last change to %s could not be found: %v", folder, err)
	case !found:
		return fmt.Sprintf("no commit of %s changed %s", cmp.Or(shortSHA(head), "the default branch"), folder)
	}
	v, ok := merges[sha]
	if !ok {
		v = r.judgeMerge(ctx, api, repo, sha)
		merges[sha] = v
	}
	return v.refusal(env, folder)
}

// mergeVerdict is what the expire gate learned about one commit of the
// default branch: why no environment may trust it (refused, given the
// folder it last changed), or its pull request, the environments its
// record planned and their approvals.
type mergeVerdict struct {
	refused func(folder string) string
	pr      int
	head    string
	planned map[string]string
	state   map[string]envApprovals
}

// judgeMerge reads what the apply gate reads about commit sha: the pull
// request that introduced it, its files, its reviewed-plan record on the
// final commit and its reviews under the approvals of its base.
func (r *runner) judgeMerge(ctx context.Context, api gitHub, repo *manifest.Repository, sha string) mergeVerdict {
	commit := shortSHA(sha)
	refuse := func(f func(folder string) string) mergeVerdict { return mergeVerdict{refused: f} }
	pr, found, err := api.PullRequestIntroducing(ctx, sha)
	switch {
	case err != nil:
		return refuse(func(folder string) string {
			return fmt.Sprintf("the pull request of commit %s, the last to change %s, could not be read: %v", commit, folder, err)
		})
	case !found:
		return refuse(func(folder string) string {
			return fmt.Sprintf("commit %s changed %s without a pull request, so its end dates were never reviewed", commit, folder)
		})
	case pr.BaseSHA == "":
		return refuse(func(folder string) string {
			return fmt.Sprintf("pull request #%d (commit %s changed %s) names no base commit", pr.Number, commit, folder)
		})
	}
	via := func(folder string) string {
		return fmt.Sprintf("pull request #%d, the last to change %s,", pr.Number, folder)
	}
	files, err := api.PullRequestFiles(ctx, pr.Number)
	if err != nil {
		return refuse(func(folder string) string {
			return fmt.Sprintf("the files of %s could not be listed: %v", via(folder), err)
		})
	}
	if wf, access := changesWorkflowsAndAccess(files, r.in.Path); wf != "" && access {
		return refuse(func(folder string) string {
			return fmt.Sprintf("%s changed %s too, so its reviewed-plan record cannot be trusted", via(folder), wf)
		})
	}
	rec, err := api.FindPlanRecord(ctx, pr.Number, pr.HeadSHA)
	switch {
	case errors.Is(err, github.ErrNoPlanRecord) || errors.Is(err, github.ErrBadPlanRecord):
		return refuse(func(folder string) string {
			return fmt.Sprintf("%s has no trusted reviewed-plan record on its final commit %s (%v)", via(folder), shortSHA(pr.HeadSHA), err)
		})
	case err != nil:
		return refuse(func(folder string) string {
			return fmt.Sprintf("the reviewed-plan record of %s could not be read: %v", via(folder), err)
		})
	}
	state, err := r.judgeApprovals(ctx, api, repo, pr, pr.BaseSHA)
	if err != nil {
		return refuse(func(folder string) string {
			return fmt.Sprintf("the approvals of %s could not be judged: %v", via(folder), err)
		})
	}
	return mergeVerdict{pr: pr.Number, head: shortSHA(pr.HeadSHA), planned: rec.Digests, state: state}
}

// refusal says why env, whose folder the judged commit last changed, may
// not trust it, or "".
func (v mergeVerdict) refusal(env, folder string) string {
	if v.refused != nil {
		return v.refused(folder)
	}
	via := fmt.Sprintf("pull request #%d, the last to change %s,", v.pr, folder)
	if _, ok := v.planned[env]; !ok {
		return fmt.Sprintf("%s has no reviewed plan of %s on its final commit %s", via, env, v.head)
	}
	if st := v.state[env]; st.rule.Required > 0 && !st.res.Met() {
		return fmt.Sprintf("%s was merged without %s's approvals on its final commit (%s)", via, env, st.res.Summary())
	}
	return ""
}
