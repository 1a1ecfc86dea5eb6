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

// Plan reads every environment in envs concurrently and diffs it against the
// repository. Environments stay in the order given; errors of every
// environment are reported together.
func Plan(ctx context.Context, repo *manifest.Repository, envs []*manifest.Environment, src Source, now time.Time) (*plan.Plan, error) {
	out := make([]*plan.Environment, len(envs))
	errs := make([]error, len(envs))
	var wg sync.WaitGroup
	for i, env := range envs {
		wg.Go(func() {
			needs := plan.Needs(repo.Config, env, now)
			live, err := src.Read(ctx, env, needs)
			if err != nil {
				errs[i] = err
				return
			}
			out[i] = plan.Diff(repo.Config, env, live, now)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &plan.Plan{Environments: out}, nil
}
