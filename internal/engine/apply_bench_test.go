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

// BenchmarkApply1000Users creates 1,000 users in an empty account whose IAM
// answers every call after 20 ms and throttles 10% of them, with the
// product's adaptive retryer, once with apply's default concurrency and once
// serially. It reports the wall time of the apply (fresh plan included),
// the write calls IAM received, the operations the plan needed, and the
// retries (write calls minus operations). With -short it creates 50 users.
//
// The "standard-retry" variants use the SDK's standard retryer (same
// attempts, no client-side rate limit) to show what the executor's
// concurrency alone buys: the fake throttles at random whatever the request
// rate, which adaptive mode answers by slowing every caller down.
func BenchmarkApply1000Users(b *testing.B) {
	users := 1000
	if testing.Short() {
		users = 50
	}
	repo := benchRepo(users)
	retryers := []struct {
		name string
		new  func() aws.Retryer
	}{
		{"adaptive-retry", func() aws.Retryer { return awsiam.NewRetryer(awsiam.MaxAttempts) }},
		{"standard-retry", func() aws.Retryer { return testRetryerWithBackoff(awsiam.MaxBackoff) }},
	}
	for _, r := range retryers {
		for _, conc := range []int{apply.DefaultConcurrency, 1} {
			b.Run(fmt.Sprintf("%s/concurrency=%d", r.name, conc), func(b *testing.B) {
				var wall time.Duration
				var writes, ops int
				for range b.N {
					b.StopTimer()
					f := newFakeAWS(b, repo, nil, iamtest.WithLatency(20*time.Millisecond))
					f.base.Retryer = r.new
					f.srv.SetFaults(iamtest.Faults{Throttle: 0.1, Seed: 42})
					b.StartTimer()
					start := time.Now()
					res := f.apply(context.Background(), b, nil, ApplyOptions{Run: apply.Options{Concurrency: conc}})
					wall += time.Since(start)
					b.StopTimer()
					if res.Failed() {
						b.Fatalf("apply failed: %s: %s", res.Environments[0].Status, res.Environments[0].Reason)
					}
					writes += len(f.srv.Writes())
					ops += res.Tally().Done
				}
				n := float64(b.N)
				b.ReportMetric(wall.Seconds()/n, "wall-s")
				b.ReportMetric(float64(writes)/n, "write-calls")
				b.ReportMetric(float64(ops)/n, "ops")
				b.ReportMetric(float64(writes-ops)/n, "retries")
			})
		}
	}
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
		env.Users = append(env.Users, &manifest.User{Kind: manifest.Person, Name: fmt.Sprintf("user%04d", i), Tags: map[string]string{"team": "bench"}})
	}
	return &manifest.Repository{Config: manifest.Config{Order: []string{"development"}}, Environments: []*manifest.Environment{env}}
}

// BenchmarkApplyRateLimitedIAM creates 300 users (30 with -short) in an
// account that, like IAM, throttles writes by rate: at most 25 writes a
// second, 20 ms per call, apply's default concurrency. It compares the
// product's adaptive retryer with the standard one, reporting wall time,
// write calls, retries and failed operations: with throttling that follows
// the request rate, adaptive mode settles near the allowed rate instead of
// retrying into the limit.
func BenchmarkApplyRateLimitedIAM(b *testing.B) {
	users := 300
	if testing.Short() {
		users = 30
	}
	repo := benchRepo(users)
	for _, r := range []struct {
		name string
		new  func() aws.Retryer
	}{
		{"adaptive-retry", func() aws.Retryer { return awsiam.NewRetryer(awsiam.MaxAttempts) }},
		{"standard-retry", func() aws.Retryer { return testRetryerWithBackoff(awsiam.MaxBackoff) }},
	} {
		b.Run(r.name, func(b *testing.B) {
			var wall time.Duration
			var writes, ops, failed int
			for range b.N {
				b.StopTimer()
				f := newFakeAWS(b, repo, nil, iamtest.WithLatency(20*time.Millisecond))
				f.base.Retryer = r.new
				f.srv.SetFaults(iamtest.Faults{WriteRate: 25})
				b.StartTimer()
				start := time.Now()
				res := f.apply(context.Background(), b, nil, ApplyOptions{})
				wall += time.Since(start)
				b.StopTimer()
				writes += len(f.srv.Writes())
				ops += res.Tally().Done
				failed += res.Tally().Failed
			}
			n := float64(b.N)
			b.ReportMetric(wall.Seconds()/n, "wall-s")
			b.ReportMetric(float64(writes)/n, "write-calls")
			b.ReportMetric(float64(ops)/n, "ops-done")
			b.ReportMetric(float64(writes-ops)/n, "retries")
			b.ReportMetric(float64(failed)/n, "ops-failed")
		})
	}
}
