package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
)

// benchLatency is how long the fake takes to answer each call in the apply
// benchmarks, about what IAM takes from a runner in the same region.
const benchLatency = 20 * time.Millisecond

// BenchmarkApplyThrottled measures the product's write path (the paced
// write retryer LoadConfig's configuration gives the writer) against the
// fake's two throttling models, 20 ms a call:
//
//   - random: 10% of all calls throttled whatever the rate, 1,000 creations
//     (50 with -short), applied with apply's default concurrency and
//     serially, alternately in the same run. It reports both wall times, the
//     speedup of the concurrent apply over the serial one, and its retries
//     per write (goal: at least 5x, at most 0.15).
//   - rate: the account accepts 25 writes a second (a token bucket of one
//     second's worth, like IAM), 300 creations (30 with -short), default
//     concurrency. It reports the wall time, the floor the rate sets
//     (creations ÷ 25 a second), their ratio and the retries (goal: within
//     15% of the floor, at most 15 retries).
func BenchmarkApplyThrottled(b *testing.B) {
	b.Run("random", benchApplyRandomThrottling)
	b.Run("rate", benchApplyRateThrottling)
}

func benchApplyRandomThrottling(b *testing.B) {
	users := 1000
	if testing.Short() {
		users = 50
	}
	repo := benchRepo(users)
	var serial, conc time.Duration
	var writes, ops int
	for range b.N {
		for _, c := range []int{1, apply.DefaultConcurrency} {
			wall, w, o := benchApply(b, repo, c, iamtest.Faults{Throttle: 0.1, Seed: 42})
			if c == 1 {
				serial += wall
				continue
			}
			conc += wall
			writes += w
			ops += o
		}
	}
	n := float64(b.N)
	b.ReportMetric(serial.Seconds()/n, "serial-s")
	b.ReportMetric(conc.Seconds()/n, "concurrent-s")
	b.ReportMetric(serial.Seconds()/conc.Seconds(), "speedup")
	b.ReportMetric(float64(writes-ops)/float64(ops), "retries/write")
}

func benchApplyRateThrottling(b *testing.B) {
	users := 300
	if testing.Short() {
		users = 30
	}
	const rate = 25
	repo := benchRepo(users)
	var wall time.Duration
	var writes, ops int
	for range b.N {
		d, w, o := benchApply(b, repo, apply.DefaultConcurrency, iamtest.Faults{WriteRate: rate})
		wall += d
		writes += w
		ops += o
	}
	n := float64(b.N)
	floor := float64(users) / rate
	b.ReportMetric(wall.Seconds()/n, "wall-s")
	b.ReportMetric(floor, "floor-s")
	b.ReportMetric(wall.Seconds()/n/floor, "wall/floor")
	b.ReportMetric(float64(writes-ops)/n, "retries")
}

// benchApply applies repo to an empty account of a fresh fake with faults,
// through the product's write path, with concurrency c, and returns the
// apply's wall time (fresh plan included), the write calls IAM received and
// the operations done. A failed apply ends the benchmark.
func benchApply(b *testing.B, repo *manifest.Repository, c int, faults iamtest.Faults) (time.Duration, int, int) {
	b.Helper()
	b.StopTimer()
	defer b.StopTimer()
	f := newFakeAWS(b, repo, nil, iamtest.WithLatency(benchLatency))
	// LoadConfig's retryer, which gives the writer the paced write retryer.
	f.base.Retryer = func() aws.Retryer { return awsiam.NewReadRetryer(awsiam.MaxAttempts) }
	f.srv.SetFaults(faults)
	b.StartTimer()
	start := time.Now()
	res := f.apply(context.Background(), b, nil, ApplyOptions{Run: apply.Options{Concurrency: c}})
	wall := time.Since(start)
	if res.Failed() {
		b.Fatalf("apply failed: %s: %s", res.Environments[0].Status, res.Environments[0].Reason)
	}
	return wall, len(f.srv.Writes()), res.Tally().Done
}

// benchRepo is one environment declaring n users and nothing else.
func benchRepo(n int) *manifest.Repository {
	env := &manifest.Environment{
		Name:       "development",
		AccountID:  "111111111111",
		RoleARN:    "arn:aws:iam::111111111111:role/roster-apply",
		Guardrails: manifest.Guardrails{MaxDeletions: manifest.DefaultMaxDeletions},
	}
	for i := range n {
		env.Users = append(env.Users, &manifest.User{Kind: manifest.Person, Name: fmt.Sprintf("user%04d", i), Tags: manifest.TagsOf(map[string]string{"team": "bench"})})
	}
	return &manifest.Repository{Config: manifest.Config{Order: []string{"development"}}, Environments: []*manifest.Environment{env}}
}
