package cli

import (
	"bytes"
	"context"
	"flag"
	"io"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/testfixture"
)

// Sizes of the organization BenchmarkPlanOrgScale plans. Zero means the
// default (testfixture.OrgSize). An organization at scale is -plan.envs 50
// -plan.users 5000.
var (
	planEnvs   = flag.Int("plan.envs", 0, "environments in BenchmarkPlanOrgScale's organization")
	planUsers  = flag.Int("plan.users", 0, "users per environment in BenchmarkPlanOrgScale's organization")
	planFormat = flag.String("plan.format", "markdown", "the output format BenchmarkPlanOrgScale plans to")
)

// benchNow is the clock of the plan benchmark: before the generated users
// expire.
var benchNow = time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)

// BenchmarkPlanOrgScale runs roster plan --live over an organization of N
// environments × M users from snapshots (with 20% more users unmanaged, and
// nothing to change), as the command line does it: load and validate the
// tree, read and diff every environment, render. It reports the wall time
// and the peak of the Go heap and of the memory the runtime holds from the
// system (about the process's RSS; /usr/bin/time -v on the built binary
// over tools/genorg's output measures the RSS itself).
func BenchmarkPlanOrgScale(b *testing.B) {
	envs, users := testfixture.OrgSize(testing.Short(), *planEnvs, *planUsers)
	dir := b.TempDir()
	keys, err := testfixture.OrgKeys(4, benchNow)
	if err != nil {
		b.Fatal(err)
	}
	org := testfixture.Org{Envs: envs, Users: users, Keys: keys, Unmanaged: 0.2}
	access, live := filepath.Join(dir, "access"), filepath.Join(dir, "live")
	if err := org.WriteTree(access); err != nil {
		b.Fatal(err)
	}
	if err := org.WriteSnapshots(access, live, benchNow); err != nil {
		b.Fatal(err)
	}
	var wall time.Duration
	var peak memPeak
	for range b.N {
		runtime.GC()
		stop := peak.watch()
		start := time.Now()
		var stderr bytes.Buffer
		code := Run(context.Background(), []string{"plan", "--dir", access, "--live", live, "--format", *planFormat}, Env{
			Stdout: io.Discard, Stderr: &stderr, Getenv: func(string) string { return "" }, Now: func() time.Time { return benchNow },
		})
		wall += time.Since(start)
		stop()
		if code != ExitOK {
			b.Fatalf("roster plan: exit %d\n%s", code, stderr.String())
		}
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s")
	b.ReportMetric(peak.heap/(1<<20), "peak-heap-MiB")
	b.ReportMetric(peak.held/(1<<20), "peak-held-MiB")
	b.ReportMetric(float64(envs*users), "users")
}

// memPeak samples the runtime's memory until stopped and keeps the peaks:
// heap is the bytes of heap objects (live and not yet swept), held what
// the runtime has mapped and not given back to the system.
type memPeak struct {
	heap, held float64
}

// watch samples every few milliseconds until the returned function is
// called.
func (p *memPeak) watch() (stop func()) {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	read := func() {
		metrics.Read(samples)
		p.heap = max(p.heap, float64(samples[0].Value.Uint64()))
		p.held = max(p.held, float64(samples[1].Value.Uint64()-samples[2].Value.Uint64()))
	}
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				read()
				return
			case <-t.C:
				read()
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
