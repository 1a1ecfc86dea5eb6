package awsiam

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

var (
	benchUsers = flag.Int("roster.bench.users", 0,
		"managed users per account in BenchmarkRead* (default 1000, BenchmarkReadOrg 100; 50 with -short); BenchmarkPlanLargeAccount uses ten times as many")
	benchLatency = flag.Duration("roster.bench.latency", 20*time.Millisecond, "latency the fake adds to every call in BenchmarkRead*")
)

// benchSize returns the managed users per account for the read benchmarks.
func benchSize() int {
	switch {
	case *benchUsers > 0:
		return *benchUsers
	case testing.Short():
		return 50
	}
	return 1000
}

const benchAccounts = 4

// seedBench puts managed and unmanaged users into account id: a realistic
// mix of groups, managed and inline policies, tags and console access. It
// returns the manifest users that describe the managed ones.
func seedBench(s *iamtest.Server, id string, managed, unmanaged int) []*manifest.User {
	fa := s.Account(id)
	groups := []string{"developers", "operators", "readers", "billing", "security"}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"aws-portal:*","Resource":"*"}]}`
	for _, g := range groups {
		fa.PutGroup(iamtest.Group{Name: g, Path: "/teams/", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
			InlinePolicies: map[string]string{"deny-billing": doc}})
	}
	var users []*manifest.User
	for i := range managed + unmanaged {
		u := iamtest.User{
			Name:            fmt.Sprintf("user-%05d", i),
			Path:            "/people/",
			Groups:          []string{groups[i%len(groups)], groups[(i+2)%len(groups)]},
			ManagedPolicies: []string{"arn:aws:iam::aws:policy/IAMUserChangePassword"},
			Tags:            []iamtest.Tag{{Key: "team", Value: groups[i%len(groups)]}, {Key: "email", Value: fmt.Sprintf("user-%05d@example.com", i)}},
		}
		if i%5 == 0 {
			u.InlinePolicies = map[string]string{"deny-billing": doc}
		}
		if i%2 == 0 {
			u.LoginProfile = &iamtest.LoginProfile{Password: "Secret-Passw0rd!"}
		}
		if i < managed {
			u.Tags = append(u.Tags, iamtest.Tag{Key: managedTag, Value: "true"})
			mu := &manifest.User{
				Kind: manifest.Person, Name: u.Name, Path: u.Path, Groups: u.Groups, ManagedPolicies: u.ManagedPolicies,
				Tags: manifest.TagsOf(map[string]string{"team": u.Tags[0].Value, "email": u.Tags[1].Value}), Console: u.LoginProfile != nil,
			}
			if u.InlinePolicies != nil {
				mu.InlinePolicies = map[string]string{"deny-billing": doc}
			}
			if mu.Console {
				mu.PGPKey = "mQINBF"
			}
			if i%10 == 1 {
				tags := mu.Tags.Map()
				tags["team"] = "changed" // some drift for the plan
				mu.Tags = manifest.TagsOf(tags)
			}
			users = append(users, mu)
		} else {
			u.AccessKeys = []iamtest.AccessKey{{}}
		}
		fa.PutUser(u)
	}
	return users
}

// managedNeeds asks console access for managed users, as plan.Needs does
// when every managed user is still in the manifests.
func managedNeeds(u *state.User) state.Details {
	if u.Tags[managedTag] == "true" {
		return state.LoginProfile
	}
	return 0
}

func benchmarkRead(b *testing.B, newReader func(*Account) Reader) {
	managed := benchSize()
	s := iamtest.NewServer(b)
	var accts []*Account
	for i := range benchAccounts {
		id := fmt.Sprintf("%012d", 100000000000+i)
		seedBench(s, id, managed, managed/5)
		s.Account(id).AddRole("roster-plan")
		accts = append(accts, connectTo(b, s, id, "roster-plan"))
	}
	s.SetLatency(*benchLatency)
	ctx := context.Background()

	var calls, reads int
	var wall time.Duration
	for b.Loop() {
		s.ResetCalls()
		start := time.Now()
		var wg sync.WaitGroup
		for _, a := range accts {
			wg.Go(func() {
				live, err := newReader(a).Read(ctx, managedNeeds)
				if err != nil {
					b.Error(err)
					return
				}
				if len(live.Users) != managed+managed/5 {
					b.Errorf("read %d users, want %d", len(live.Users), managed+managed/5)
				}
			})
		}
		wg.Wait()
		wall += time.Since(start)
		reads++
		for _, a := range accts {
			calls += s.TotalCalls(a.ID)
		}
	}
	b.ReportMetric(float64(calls)/float64(reads*benchAccounts*managed), "calls/managed-user")
	b.ReportMetric(float64(calls)/float64(reads*benchAccounts), "calls/account")
	b.ReportMetric(wall.Seconds()/float64(reads), "s/read")
}

// BenchmarkReadFast reads four accounts at once with the account-wide reader
// against a fake that answers every call after 20 ms.
func BenchmarkReadFast(b *testing.B) {
	benchmarkRead(b, func(a *Account) Reader { return NewAuthDetailsReader(a, Options{Concurrency: DefaultConcurrency}) })
}

// BenchmarkReadPerUser is BenchmarkReadFast with the per-user reader, at the
// same concurrency: the baseline.
func BenchmarkReadPerUser(b *testing.B) {
	benchmarkRead(b, func(a *Account) Reader { return NewPerUserReader(a, Options{Concurrency: DefaultConcurrency}) })
}

// BenchmarkPlanLargeAccount reads an account of ten times the benchmark size
// (10,000 users by default) and diffs it against its manifests, reporting
// the peak heap of the whole process (the fake's state included) and above
// the heap before the read.
func BenchmarkPlanLargeAccount(b *testing.B) {
	n := 10 * benchSize()
	s := iamtest.NewServer(b)
	const id = "555566667777"
	users := seedBench(s, id, n*95/100, n*5/100)
	s.Account(id).AddRole("roster-plan")
	env := &manifest.Environment{Name: "production", AccountID: id, Production: true, Users: users,
		Guardrails: manifest.Guardrails{MaxDeletions: 5}}
	for _, g := range []string{"developers", "operators", "readers", "billing", "security"} {
		env.Groups = append(env.Groups, &manifest.Group{Name: g, Path: "/teams/",
			ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	}
	cfg := manifest.Config{OwnershipTag: managedTag, OwnerTag: manifest.DefaultOwnerTag}
	a := connectTo(b, s, id, "roster-plan")
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

	var peak, base uint64
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base = ms.HeapAlloc
		var hwm atomic.Uint64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			for {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > hwm.Load() {
					hwm.Store(ms.HeapAlloc)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		live, err := NewReader(a, Options{}).Read(ctx, plan.Needs(cfg, env, now))
		if err != nil {
			b.Fatal(err)
		}
		p := plan.Diff(cfg, env, live, now)
		close(stop)
		<-done
		if len(p.Changes) == 0 {
			b.Fatal("empty plan")
		}
		peak = max(peak, hwm.Load())
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peak-min(base, peak))/(1<<20), "peak-heap-above-fake-MB")
}
