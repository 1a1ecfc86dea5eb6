package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
)

// WriterFunc opens the IAM writer of one environment, for example a session
// with the environment's apply role.
type WriterFunc func(ctx context.Context, env *manifest.Environment) (apply.Writer, error)

// DefaultExpectedFrom names where expected digests come from in refusals,
// when ApplyOptions.ExpectedFrom is empty.
const DefaultExpectedFrom = "the plan reviewed on the pull request"

// ApplyOptions tune Apply. The zero value applies whatever live IAM needs,
// with apply's default concurrency.
type ApplyOptions struct {
	// ExpectDigests maps an environment's name to the digest of the plan
	// that was reviewed. An environment whose fresh plan has another digest
	// is refused; environments without an entry are not checked.
	ExpectDigests map[string]string
	// ReviewedOnly, set when ExpectDigests came from a reviewed pull
	// request, skips an environment without an expected digest whose fresh
	// plan has changes: those changes (drift, most likely) were never
	// reviewed, so they are left for a person instead of being applied on
	// an unrelated merge.
	ReviewedOnly bool
	// ExpectedFrom names, in a refusal, where ExpectDigests came from
	// (DefaultExpectedFrom when empty).
	ExpectedFrom string
	// Gate, when set, is asked about each environment's fresh plan before
	// anything is written to it; a non-empty answer refuses the environment
	// with that reason (nothing is written). The Action uses it for the
	// reviewed-plan record and approvals.
	Gate func(p *plan.Environment) string
	// Run tunes the execution of each environment's plan.
	Run apply.Options
	// Planned, when set, is called with each environment's fresh plan
	// before anything is written to it.
	Planned func(*plan.Environment)
	// ExpiryOnly applies only the part of each fresh plan that enforces
	// expiry (plan.ExpiryOnly); Planned sees that part, and Skipped is
	// called with the rest of it.
	ExpiryOnly bool
	// Skipped, when set with ExpiryOnly, is called with the changes of an
	// environment's fresh plan that are left for a reviewed apply.
	Skipped func(env string, skipped []plan.Change)
	// KeepGoing attempts every environment even after one failed, instead
	// of stopping at the first failure.
	KeepGoing bool
	// AppliedBefore maps an environment's name to the digest an earlier run
	// of the same reviewed plan applied there (a re-run of a merge's
	// apply). An environment whose fresh plan is empty and whose expected
	// digest equals it is done: applied, with nothing left to write,
	// instead of refused for a plan that no longer matches the review.
	AppliedBefore map[string]string
}

// AppliedEarlier is the reason of an environment that an earlier run of
// the same reviewed plan applied (see ApplyOptions.AppliedBefore).
const AppliedEarlier = "applied by an earlier run of this reviewed plan; live IAM still matches the repository, so nothing was left to do"

// Apply brings live IAM in line with the repository, environment by
// environment in promotion order (the repository's order, whatever the order
// of envs). For each environment it reads live IAM through src (which
// should act with the apply role), plans afresh, refuses the plan when a
// guardrail refused it or when its digest differs from the expected one,
// and otherwise runs it through the environment's writer. The first
// environment that fails (an operation failed, a refusal, live IAM could not
// be read) stops the apply: the environments after it are not attempted.
//
// The error is only for mistakes in the request itself (an expected digest
// for an environment that is not applied); everything that happens in an
// account is in the result.
func Apply(ctx context.Context, repo *manifest.Repository, envs []*manifest.Environment, src Source, writers WriterFunc, now time.Time, opts ApplyOptions) (*apply.Result, error) {
	if err := CheckExpectations(envs, opts.ExpectDigests); err != nil {
		return nil, err
	}
	envs = promotionOrder(repo, envs)
	res := &apply.Result{Environments: make([]*apply.EnvironmentResult, 0, len(envs))}
	var stopped string
	for _, env := range envs {
		switch {
		case ctx.Err() != nil:
			res.Environments = append(res.Environments, notAttempted(env, "not attempted because the apply was cancelled"))
			continue
		case stopped != "" && !opts.KeepGoing:
			res.Environments = append(res.Environments, notAttempted(env,
				fmt.Sprintf("not attempted because %s; environments are applied in promotion order and stop at the first failure or refusal", stopped)))
			continue
		}
		er := applyEnvironment(ctx, repo, env, src, writers, now, opts)
		res.Environments = append(res.Environments, er)
		switch er.Status {
		case apply.EnvFailed:
			stopped = env.Name + " failed"
		case apply.EnvRefused:
			stopped = env.Name + " was refused"
		case apply.EnvApplied, apply.EnvNoChanges, apply.EnvNotAttempted, apply.EnvSkipped:
		}
	}
	return res, nil
}

func applyEnvironment(ctx context.Context, repo *manifest.Repository, env *manifest.Environment, src Source, writers WriterFunc, now time.Time, opts ApplyOptions) *apply.EnvironmentResult {
	live, err := src.Read(ctx, env, plan.Needs(repo.Config, env, now))
	if err != nil {
		return failedEnv(env, fmt.Sprintf("could not read live IAM: %v", err))
	}
	p := plan.Diff(repo.Config, env, live, now)
	if opts.ExpiryOnly {
		var skipped []plan.Change
		p, skipped = plan.ExpiryOnly(p, env)
		if opts.Skipped != nil {
			opts.Skipped(env.Name, skipped)
		}
	}
	if opts.Planned != nil {
		opts.Planned(p)
	}
	if _, ok := opts.ExpectDigests[env.Name]; !ok && opts.ReviewedOnly && p.Refused == "" && p.HasChanges() {
		r := apply.NotAttempted(p, env.Name, env.AccountID,
			fmt.Sprintf("skipped: it has changes that were not part of %s (live IAM drifted, or the pull request did not plan it); review them with roster drift or a pull request, or restore the repository's state by running the apply workflow by hand with environments: %s",
				cmp.Or(opts.ExpectedFrom, DefaultExpectedFrom), env.Name))
		r.Status = apply.EnvSkipped
		return r
	}
	if opts.Gate != nil && p.Refused == "" {
		if reason := opts.Gate(p); reason != "" {
			refused := *p
			refused.Refused = reason
			return apply.Run(ctx, &refused, nil, opts.Run)
		}
	}
	if want, ok := opts.ExpectDigests[env.Name]; ok && p.Refused == "" && !p.HasChanges() && want != p.Digest && opts.AppliedBefore[env.Name] == want {
		r := withKeys(ctx, p, apply.Run(ctx, p, nil, opts.Run), nil, opts.Run.PublishKey)
		if r.Status == apply.EnvNoChanges {
			r.Status, r.Reason = apply.EnvApplied, AppliedEarlier
		}
		return r
	}
	if want, ok := opts.ExpectDigests[env.Name]; ok && p.Refused == "" && want != p.Digest {
		refused := *p
		refused.Refused = fmt.Sprintf("%s (%s) differs from the plan of live IAM now (%s): live IAM or the manifests changed since review; re-run the plan",
			cmp.Or(opts.ExpectedFrom, DefaultExpectedFrom), want, p.Digest)
		return apply.Run(ctx, &refused, nil, opts.Run)
	}
	if p.Refused != "" {
		return apply.Run(ctx, p, nil, opts.Run)
	}
	if !p.HasChanges() {
		return withKeys(ctx, p, apply.Run(ctx, p, nil, opts.Run), nil, opts.Run.PublishKey)
	}
	w, err := writers(ctx, env)
	if err != nil {
		r := apply.NotAttempted(p, env.Name, env.AccountID, "")
		r.Status = apply.EnvFailed
		r.Reason = fmt.Sprintf("could not open a session to write: %v", err)
		return r
	}
	ports, _ := w.(apply.KeyPorts)
	return withKeys(ctx, p, apply.Run(ctx, p, w, opts.Run), ports, opts.Run.PublishKey)
}

// withKeys runs the environment's access key steps after its changes (a
// service account's key needs its user), and fails the environment when a
// service account's steps failed or were refused.
func withKeys(ctx context.Context, p *plan.Environment, r *apply.EnvironmentResult, ports apply.KeyPorts, publish apply.Publish) *apply.EnvironmentResult {
	if r.Status == apply.EnvFailed && r.Reason != "" {
		return r
	}
	r.AccessKeys = apply.RunKeys(ctx, p, r.Changes, ports, publish)
	for _, k := range r.AccessKeys {
		if k.Failed() {
			r.Status = apply.EnvFailed
		}
		if r.Status == apply.EnvNoChanges && len(k.Steps) > 0 {
			r.Status = apply.EnvApplied
		}
	}
	return r
}

// Refused is the result of an apply that may not run at all (the reviewed
// plan cannot be read, say): every environment of envs was refused for
// reason, and nothing was read or written.
func Refused(envs []*manifest.Environment, reason string) *apply.Result {
	res := &apply.Result{}
	for _, e := range envs {
		r := notAttempted(e, reason)
		r.Status = apply.EnvRefused
		res.Environments = append(res.Environments, r)
	}
	return res
}

// failedEnv is an environment that failed before anything was attempted.
func failedEnv(env *manifest.Environment, reason string) *apply.EnvironmentResult {
	r := notAttempted(env, reason)
	r.Status = apply.EnvFailed
	return r
}

func notAttempted(env *manifest.Environment, reason string) *apply.EnvironmentResult {
	r := apply.NotAttempted(nil, env.Name, env.AccountID, reason)
	r.Production = env.Production
	return r
}

// CheckExpectations refuses expected digests for environments that are not
// being applied: a typo there would otherwise silently check nothing.
func CheckExpectations(envs []*manifest.Environment, expect map[string]string) error {
	var unknown []string
	for name := range expect {
		if !slices.ContainsFunc(envs, func(e *manifest.Environment) bool { return e.Name == name }) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	return fmt.Errorf("expected digest for %s, which this apply does not include (it applies %s)", strings.Join(unknown, ", "), strings.Join(names, ", "))
}

// promotionOrder sorts envs by their position in the repository.
func promotionOrder(repo *manifest.Repository, envs []*manifest.Environment) []*manifest.Environment {
	pos := make(map[string]int, len(repo.Environments))
	for i, e := range repo.Environments {
		pos[e.Name] = i
	}
	out := slices.Clone(envs)
	slices.SortStableFunc(out, func(a, b *manifest.Environment) int { return cmp.Compare(pos[a.Name], pos[b.Name]) })
	return out
}
