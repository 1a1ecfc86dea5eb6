package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// Source reads the live IAM state of one environment. needs says which
// per-user details the diff requires.
type Source interface {
	Read(ctx context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (*state.Account, error)
}

// Select returns the environments named in names (all when names is empty),
// in promotion order. An unknown name is an error that lists the known ones.
func Select(repo *manifest.Repository, names []string) ([]*manifest.Environment, error) {
	if len(names) == 0 {
		return repo.Environments, nil
	}
	var unknown []string
	for _, n := range names {
		if repo.Environment(n) == nil {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		known := make([]string, 0, len(repo.Environments))
		for _, e := range repo.Environments {
			known = append(known, e.Name)
		}
		return nil, fmt.Errorf("unknown environment %s (the repository has %s)", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	var out []*manifest.Environment
	for _, e := range repo.Environments {
		if slices.Contains(names, e.Name) {
			out = append(out, e)
		}
	}
	return out, nil
}

// EnvironmentsAtOnce is how many environments plan and drift read and diff
// at once. Each environment's live state is held only from its read to its
// diff (and hygiene findings), then dropped, so a run's memory is bounded by
// this many accounts whatever the size of the organization; AWS calls in
// flight are bounded apart (awsiam.Concurrency). Reading an account pages
// through it one call at a time, so a few accounts at once keep the calls
// in flight busy.
const EnvironmentsAtOnce = 4

// eachEnvironment runs step for every environment of envs, at most
// EnvironmentsAtOnce at once, and returns the errors of every environment
// joined, in the order of envs.
func eachEnvironment(envs []*manifest.Environment, step func(i int, env *manifest.Environment) error) error {
	errs := make([]error, len(envs))
	sem := make(chan struct{}, EnvironmentsAtOnce)
	var wg sync.WaitGroup
	for i, env := range envs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = step(i, env)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Plan reads every environment in envs (EnvironmentsAtOnce at once) and
// diffs it against the repository. Environments stay in the order given;
// errors of every environment are reported together.
func Plan(ctx context.Context, repo *manifest.Repository, envs []*manifest.Environment, src Source, now time.Time) (*plan.Plan, error) {
	out := make([]*plan.Environment, len(envs))
	err := eachEnvironment(envs, func(i int, env *manifest.Environment) error {
		p, _, err := planOne(ctx, repo, env, src, now)
		out[i] = p
		return err
	})
	if err != nil {
		return nil, err
	}
	return &plan.Plan{Environments: out}, nil
}

// planOne reads env's live IAM and diffs it; the live state is returned
// for the caller's findings, and dropped when the caller is done.
func planOne(ctx context.Context, repo *manifest.Repository, env *manifest.Environment, src Source, now time.Time) (*plan.Environment, *state.Account, error) {
	live, err := src.Read(ctx, env, plan.Needs(repo.Config, env, now))
	if err != nil {
		return nil, nil, err
	}
	return plan.Diff(repo.Config, env, live, now), live, nil
}
