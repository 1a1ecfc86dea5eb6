package awsiam

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestPacerSimulatedRandomThrottling: IAM throttling one attempt in ten
// whatever the rate, 1,000 creations at 20-30 ms a call. Eight workers
// finish well over five times faster than one (the goal; eight is
// the ceiling, as each throttled attempt waits its backoff either way),
// with at most 0.15 retries per write, and chance seldom makes the pacer
// cut its rate.
func TestPacerSimulatedRandomThrottling(t *testing.T) {
	t.Parallel()
	const seeds, ops = 15, 1000
	var speedups []float64
	cuts := 0
	for seed := uint64(1); seed <= seeds; seed++ {
		sim := paceSim{workers: 8, ops: ops, latency: 20 * time.Millisecond, jitter: 10 * time.Millisecond, throttle: randomThrottling(0.1, seed), seed: seed}
		conc := sim.run()
		sim.workers, sim.throttle = 1, randomThrottling(0.1, seed)
		serial := sim.run()
		speedups = append(speedups, serial.wall.Seconds()/conc.wall.Seconds())
		if r := float64(conc.retries) / ops; r > 0.15 {
			t.Errorf("seed %d: %.3f retries per write, want at most 0.15", seed, r)
		}
		if !slices.IsSorted(conc.rates) {
			cuts++
		}
	}
	slices.Sort(speedups)
	if m := speedups[seeds/2]; m < 6 {
		t.Errorf("median speedup of 8 workers over 1 = %.2f (all: %.2f), want at least 6", m, speedups)
	}
	if cuts > 2 {
		t.Errorf("%d of %d runs cut the rate under steady random throttling, want at most 2", cuts, seeds)
	}
}

// TestPacerSimulatedTokenBucket: an account that accepts 25 writes a second
// (IAM's token bucket, one second's worth held), 300 creations by eight
// workers. The apply ends within 15% of the floor the rate sets, with at
// most 15 retries (the goal), whatever the latency's jitter.
func TestPacerSimulatedTokenBucket(t *testing.T) {
	t.Parallel()
	const ops, rate = 300, 25
	floor := time.Duration(ops / rate * float64(time.Second))
	for _, jitter := range []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond} {
		for seed := uint64(1); seed <= 5; seed++ {
			res := paceSim{workers: 8, ops: ops, latency: 20 * time.Millisecond, jitter: jitter, throttle: bucketThrottling(rate), seed: seed}.run()
			if res.wall > floor*115/100 || res.retries > 15 {
				t.Errorf("jitter %v, seed %d: %v (floor %v), %d retries; want within 15%% of the floor and at most 15 retries (rates %.1f)",
					jitter, seed, res.wall, floor, res.retries, res.rates)
			}
		}
	}
}

// paceSim drives a Pacer the way an apply drives its writer, on simulated
// time, so the pacer's whole behaviour under IAM's two kinds of throttling
// is tested in milliseconds and the same way every run: workers take
// operations from one queue; each attempt waits its turn on the pacer,
// reaches IAM, and is answered latency later; a throttled attempt waits the
// SDK's standard backoff for throttles and tries again.
type paceSim struct {
	workers int
	ops     int
	latency time.Duration
	jitter  time.Duration // latency varies by up to this much more
	// throttle is IAM's answer to an attempt arriving at t.
	throttle func(t time.Time) bool
	seed     uint64
}

// paceSimResult is what one simulated apply did.
type paceSimResult struct {
	wall     time.Duration // first attempt to last answer
	attempts int
	retries  int
	rates    []float64 // the pacer's rate at each whole second
}

// simEvent is one worker's next step.
type simEvent struct {
	at        time.Time
	seq       int // orders events at the same time by scheduling
	worker    int
	kind      simKind
	retry     int  // retries this operation has had
	throttled bool // the answer, for simAnswer
}

type simKind int

const (
	simReady  simKind = iota // the worker is ready to attempt
	simArrive                // the attempt reaches IAM
	simAnswer                // IAM's answer reaches the worker
)

type simQueue []simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// run simulates the apply from a new pacer and returns what it did.
func (s paceSim) run() paceSimResult {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	var wait time.Duration
	p := NewPacer(func() time.Time { return now }, func(_ context.Context, d time.Duration) error {
		wait = d // the worker goes d later; simulated time moves by events
		return nil
	})
	rng := rand.New(rand.NewPCG(s.seed, 7))
	q := &simQueue{}
	seq := 0
	push := func(e simEvent) {
		seq++
		e.seq = seq
		heap.Push(q, e)
	}
	var res paceSimResult
	left := s.ops
	for w := range min(s.workers, s.ops) {
		left--
		push(simEvent{at: start, worker: w, kind: simReady})
	}
	nextSecond := start
	for q.Len() > 0 {
		e := heap.Pop(q).(simEvent)
		now = e.at
		for !nextSecond.After(now) {
			res.rates = append(res.rates, p.Rate())
			nextSecond = nextSecond.Add(time.Second)
		}
		switch e.kind {
		case simReady:
			wait = 0
			_ = p.Wait(context.Background())
			e.kind, e.at = simArrive, now.Add(wait)
			push(e)
		case simArrive:
			res.attempts++
			e.kind, e.at, e.throttled = simAnswer, now.Add(s.latency+time.Duration(rng.Float64()*float64(s.jitter))), s.throttle(now)
			push(e)
		case simAnswer:
			p.Observe(e.throttled)
			res.wall = now.Sub(start)
			if e.throttled && e.retry+1 < MaxAttempts {
				res.retries++
				e.kind, e.at, e.retry = simReady, now.Add(throttleBackoff(rng, e.retry)), e.retry+1
				push(e)
				continue
			}
			if left > 0 {
				left--
				push(simEvent{at: now, worker: e.worker, kind: simReady})
			}
		}
	}
	return res
}

// throttleBackoff is the SDK's standard wait before retry i (0-based) of a
// throttled call: b × min(1 s × 2^i, MaxBackoff), b uniform in [0, 1) (AWS
// SDKs' retry behaviour, throttling errors).
func throttleBackoff(rng *rand.Rand, i int) time.Duration {
	d := min(time.Second<<i, MaxBackoff)
	return time.Duration(rng.Float64() * float64(d))
}

// randomThrottling throttles each attempt with probability share, whatever
// the rate (IAM's noise, other callers).
func randomThrottling(share float64, seed uint64) func(time.Time) bool {
	rng := rand.New(rand.NewPCG(seed, 14))
	return func(time.Time) bool { return rng.Float64() < share }
}

// bucketThrottling throttles like IAM's token bucket: rate tokens a
// second, at most one second's worth held, full at the start; an attempt
// that finds no token is throttled and takes none.
func bucketThrottling(rate float64) func(time.Time) bool {
	var tokens float64
	var last time.Time
	return func(t time.Time) bool {
		if last.IsZero() {
			tokens, last = rate, t
		}
		tokens = min(rate, tokens+t.Sub(last).Seconds()*rate)
		last = t
		if tokens < 1 {
			return true
		}
		tokens--
		return false
	}
}
