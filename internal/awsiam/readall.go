package awsiam

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// Result is the outcome of reading one environment.
type Result struct {
	Env *manifest.Environment
	// Account is the session; nil when Connect failed.
	Account *Account
	// Live is the live state; nil when reading failed.
	Live *state.Account
	// FellBack is set when the role lacked
	// iam:GetAccountAuthorizationDetails and the per-user reader was used.
	FellBack bool
	// Err names the environment.
	Err error
}

// ReadAll connects to every environment and reads it, all environments at
// once (each reader bounds its own calls by opts.Concurrency). needs returns
// the per-user needs function of an environment (see plan.Needs); it may be
// nil. Results are in the order of envs; the error joins every
// environment's error, and environments that succeeded still have their
// results.
func ReadAll(ctx context.Context, base aws.Config, envs []*manifest.Environment, purpose Purpose,
	needs func(*manifest.Environment) func(*state.User) state.Details, opts Options) ([]Result, error) {
	results := make([]Result, len(envs))
	var wg sync.WaitGroup
	for i, env := range envs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := Result{Env: env}
			res.Account, res.Err = Connect(ctx, base, env, purpose)
			if res.Err == nil {
				r := NewReader(res.Account, opts)
				var n func(*state.User) state.Details
				if needs != nil {
					n = needs(env)
				}
				res.Live, res.Err = r.Read(ctx, n)
				res.FellBack = r.FellBack()
			}
			results[i] = res
		}()
	}
	wg.Wait()
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return results, errors.Join(errs...)
}
