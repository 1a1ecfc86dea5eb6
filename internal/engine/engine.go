// Package engine runs roster's jobs over a loaded repository: it reads live
// state for each environment (from AWS or from snapshots) and computes the
// plan (Plan), applies it environment by environment (Apply), and reports
// drift and credential hygiene (Drift). The CLI and the GitHub Action both
// call it, so they always do the same thing.
package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// Source reads the live IAM state of one environment. needs says which
// per-user details the diff requires.
type Source interface {
	Read(ctx context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (*state.Account, error)
}

// AWSSource reads live IAM through the AWS SDK, assuming the environment's
// role for Purpose.
type AWSSource struct {
	Base    aws.Config
	Purpose awsiam.Purpose
	Options awsiam.Options
}

// Read implements Source.
func (s *AWSSource) Read(ctx context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (*state.Account, error) {
	acct, err := awsiam.Connect(ctx, s.Base, env, s.Purpose)
	if err != nil {
		return nil, err
	}
	live, err := awsiam.NewReader(acct, s.Options).Read(ctx, needs)
	if err != nil {
		return nil, fmt.Errorf("environment %s: read IAM: %w", env.Name, err)
	}
	return live, nil
}

// SnapshotSource reads live state from snapshot files <Dir>/<env>.json
// written by `roster snapshot`.
type SnapshotSource struct {
	Dir string
}

// Read implements Source.
func (s *SnapshotSource) Read(_ context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (*state.Account, error) {
	name := filepath.Join(s.Dir, env.Name+".json")
	f, err := os.Open(name) //nolint:gosec // the user names the snapshot directory on purpose
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("environment %s: no snapshot %s (take one with: roster snapshot --env %s > %s)", env.Name, name, env.Name, name)
		}
		return nil, fmt.Errorf("environment %s: %w", env.Name, err)
	}
	defer f.Close()
	snap, err := state.ReadSnapshot(f)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %s: %w", env.Name, name, err)
	}
	if snap.Account.AccountID != env.AccountID {
		return nil, fmt.Errorf("environment %s: snapshot %s is of account %s, but environment.yaml says %s", env.Name, name, snap.Account.AccountID, env.AccountID)
	}
	if needs != nil {
		for _, u := range snap.Account.Users {
			if want := needs(u); !u.Details.Has(want) {
				return nil, fmt.Errorf("environment %s: snapshot %s lacks console or credential data for user %s; take a fresh one with roster snapshot", env.Name, name, u.Name)
			}
		}
	}
	return snap.Account, nil
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
