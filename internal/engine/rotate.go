package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
)

// Rotate runs the access key steps due now, and nothing else, in every
// environment of envs (promotion order): a first key for a service account
// that has none, a rotation once the key is rotate_after_days old, the old
// key's deactivation and deletion after overlap_days, and the cleanup of a
// key a stopped run left undelivered. It re-plans each environment from
// live IAM through src (which should act with the apply role); the plan's
// changes wait for a reviewed apply. A service account the plan still has
// to create, adopt or delete gets no step. A service account whose keys
// need a person (a key made by hand, a rotation that would need a third
// key) is in the result with the plan's findings; that fails nothing.
// Environments do not stop each
// other: the state of every step lives in IAM and the destination, so a
// run that fails or stops anywhere is resumed by the next one.
func Rotate(ctx context.Context, repo *manifest.Repository, envs []*manifest.Environment, src Source, writers WriterFunc, now time.Time, opts apply.Options) *apply.Result {
	res := &apply.Result{Environments: []*apply.EnvironmentResult{}, KeysOnly: true}
	for _, env := range promotionOrder(repo, envs) {
		if ctx.Err() != nil {
			res.Environments = append(res.Environments, notAttempted(env, "not attempted because the rotation was cancelled"))
			continue
		}
		res.Environments = append(res.Environments, rotateEnvironment(ctx, repo, env, src, writers, now, opts))
	}
	return res
}

func rotateEnvironment(ctx context.Context, repo *manifest.Repository, env *manifest.Environment, src Source, writers WriterFunc, now time.Time, opts apply.Options) *apply.EnvironmentResult {
	live, err := src.Read(ctx, env, plan.Needs(repo.Config, env, now))
	if err != nil {
		return failedEnv(env, fmt.Sprintf("could not read live IAM: %v", err))
	}
	p := plan.Diff(repo.Config, env, live, now)
	due, waiting := dueKeys(p)
	r := &apply.EnvironmentResult{Name: env.Name, AccountID: env.AccountID, Production: env.Production, Status: apply.EnvNoChanges, Left: p.Changes}
	if len(waiting) > 0 {
		r.Reason = fmt.Sprintf("the access key of %s waits for the next apply, which creates, adopts or removes the service account", strings.Join(waiting, ", "))
	}
	var ports apply.KeyPorts
	if due.HasChanges() {
		w, err := writers(ctx, env)
		if err != nil {
			return failedEnv(env, fmt.Sprintf("could not open a session to write: %v", err))
		}
		ports, _ = w.(apply.KeyPorts)
	}
	return withKeys(ctx, due, r, ports, opts.PublishKey)
}

// dueKeys is p's access key steps without its changes, leaving out (and
// naming) the service accounts whose own change has not been applied.
func dueKeys(p *plan.Environment) (due *plan.Environment, waiting []string) {
	due = &plan.Environment{Name: p.Name, AccountID: p.AccountID, Production: p.Production}
	for _, a := range p.AccessKeys {
		if slices.ContainsFunc(p.Changes, func(c plan.Change) bool {
			return c.Kind != plan.KindGroup && strings.EqualFold(c.Name, a.ServiceAccount) && c.Action != plan.Update
		}) {
			waiting = append(waiting, a.ServiceAccount)
			continue
		}
		due.AccessKeys = append(due.AccessKeys, a)
	}
	return due, waiting
}
