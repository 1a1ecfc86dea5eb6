package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
)

// rolloutRepo is one environment declaring groups groups and users users,
// each user in one group, round robin: a first rollout.
func rolloutRepo(users, groups int) *manifest.Repository {
	repo := benchRepo(users)
	env := repo.Environments[0]
	for g := range groups {
		env.Groups = append(env.Groups, &manifest.Group{Name: fmt.Sprintf("team%02d", g)})
	}
	for i, u := range env.Users {
		u.Groups = []string{env.Groups[i%groups].Name}
	}
	return repo
}

// virtualClock is a clock shared by the fake and the writers that moves
// only when a writer waits, safe for concurrent use.
type virtualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *virtualClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *virtualClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return nil
}

// notFoundRetries is the number of writes IAM answered NoSuchEntity.
func notFoundRetries(s *iamtest.Server) int {
	n := 0
	for _, c := range s.Writes() {
		if c.Error == "NoSuchEntity" {
			n++
		}
	}
	return n
}

// applyWithPropagation applies f's repository with writers that wait for
// propagation on p, and fails the test unless every environment applied.
func applyWithPropagation(t testing.TB, f *fakeAWS, p awsiam.Propagation) *apply.Result {
	t.Helper()
	writers := awsiam.Writers(f.base, awsiam.WriterOptions{Propagation: p})
	res, err := Apply(context.Background(), f.repo, f.repo.Environments, f.source(), writers, exampleNow, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() {
		e := res.Environments[0]
		t.Fatalf("apply: %s: %s (%+v)", e.Status, e.Reason, e.Tally())
	}
	return res
}

// TestFirstRolloutWaitsOutPropagation: with IAM's eventual consistency (a
// two-second propagation delay in the fake, on a clock the writers move
// when they wait), a first rollout of 200 users in 10 groups converges:
// memberships of new users in new groups are retried until IAM sees both,
// and the next plan is empty.
func TestFirstRolloutWaitsOutPropagation(t *testing.T) {
	t.Parallel()
	clock := &virtualClock{t: exampleNow}
	f := newFakeAWS(t, rolloutRepo(200, 10), nil,
		iamtest.WithClock(clock.now), iamtest.WithPropagationDelay(2*time.Second))
	// The virtual clock adds up every writer's waits, though in IAM they
	// overlap: two hundred memberships waiting at once move it minutes
	// while one call is in flight, past the product's two-minute bound on
	// one operation's wait (TestWriteWaitsForPropagation holds that
	// bound). An hour of virtual time keeps this test on convergence.
	res := applyWithPropagation(t, f, awsiam.Propagation{Now: clock.now, Sleep: clock.sleep, Timeout: time.Hour})
	if got := res.Tally().Done; got != 10+2*200 {
		t.Errorf("operations done = %d, want %d (10 groups, 200 users and memberships)", got, 10+2*200)
	}
	if notFoundRetries(f.srv) == 0 {
		t.Error("no call was answered NoSuchEntity: the propagation delay was not exercised")
	}
	requireEmptyPlan(t, f, nil)
}

// BenchmarkApplyPropagation measures a first rollout of 200 users in 10
// groups (20 in 2 with -short) against the fake with a 2-second
// propagation delay, in real time, 20 ms a call, and the same rollout
// without the delay. It reports both wall times, their ratio and the calls
// answered NoSuchEntity (each one retried).
func BenchmarkApplyPropagation(b *testing.B) {
	users, groups := 200, 10
	if testing.Short() {
		users, groups = 20, 2
	}
	repo := rolloutRepo(users, groups)
	var plain, delayed time.Duration
	retries := 0
	for range b.N {
		for _, delay := range []time.Duration{0, 2 * time.Second} {
			b.StopTimer()
			f := newFakeAWS(b, repo, nil, iamtest.WithLatency(benchLatency), iamtest.WithPropagationDelay(delay))
			f.base.Retryer = func() aws.Retryer { return awsiam.NewReadRetryer(awsiam.MaxAttempts) }
			b.StartTimer()
			start := time.Now()
			applyWithPropagation(b, f, awsiam.Propagation{})
			wall := time.Since(start)
			b.StopTimer()
			requireEmptyPlan(b, f, nil)
			if delay == 0 {
				plain += wall
				continue
			}
			delayed += wall
			retries += notFoundRetries(f.srv)
		}
	}
	n := float64(b.N)
	b.ReportMetric(plain.Seconds()/n, "no-delay-s")
	b.ReportMetric(delayed.Seconds()/n, "delay-s")
	b.ReportMetric(delayed.Seconds()/plain.Seconds(), "ratio")
	b.ReportMetric(float64(retries)/n, "retries")
}
