package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// busySource counts the environments being read at once; each read takes
// a moment, so that unbounded reads would overlap.
type busySource struct {
	mu        sync.Mutex
	now, peak int
	reads     int
}

func (s *busySource) Read(_ context.Context, env *manifest.Environment, _ func(*state.User) state.Details) (*state.Account, error) {
	s.mu.Lock()
	s.now++
	s.reads++
	s.peak = max(s.peak, s.now)
	s.mu.Unlock()
	time.Sleep(100 * time.Millisecond)
	s.mu.Lock()
	s.now--
	s.mu.Unlock()
	return &state.Account{AccountID: env.AccountID, Users: map[string]*state.User{}, Groups: map[string]*state.Group{}}, nil
}

func (s *busySource) ReadWithReport(ctx context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (*state.Account, *state.CredentialReport, error, error) {
	live, err := s.Read(ctx, env, needs)
	return live, nil, nil, err
}

// TestEnvironmentsAtOnce: plan, the plan with hygiene and drift read at
// most EnvironmentsAtOnce environments at once, whatever the size of the
// organization, so that only that many accounts' live state is held.
func TestEnvironmentsAtOnce(t *testing.T) {
	t.Parallel()
	repo := &manifest.Repository{}
	for i := range 3 * EnvironmentsAtOnce {
		id := fmt.Sprintf("%012d", 100000000000+i)
		repo.Environments = append(repo.Environments, &manifest.Environment{Name: fmt.Sprintf("env%02d", i), AccountID: id,
			Guardrails: manifest.Guardrails{MaxDeletions: manifest.DefaultMaxDeletions}})
		repo.Config.Order = append(repo.Config.Order, repo.Environments[i].Name)
	}
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	jobs := map[string]func(Source) (int, error){
		"plan": func(src Source) (int, error) {
			p, err := Plan(context.Background(), repo, repo.Environments, src, now)
			return len(p.Environments), err
		},
		"plan with hygiene": func(src Source) (int, error) {
			p, _, err := PlanHygiene(context.Background(), repo, repo.Environments, src, now)
			return len(p.Environments), err
		},
		"drift": func(src Source) (int, error) {
			r, err := Drift(context.Background(), repo, repo.Environments, src, now)
			return len(r), err
		},
	}
	for name, job := range jobs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := &busySource{}
			n, err := job(src)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(repo.Environments) || src.reads != len(repo.Environments) {
				t.Errorf("%d results of %d reads, want %d of each", n, src.reads, len(repo.Environments))
			}
			if src.peak > EnvironmentsAtOnce || src.peak < 2 {
				t.Errorf("%d environments read at once, want between 2 and %d", src.peak, EnvironmentsAtOnce)
			}
		})
	}
}
