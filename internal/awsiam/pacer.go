package awsiam

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/roster-dev/roster/internal/clock"
)

// Pacing defaults. AWS does not publish IAM's request rates: IAM "implements a
// token bucket algorithm for throttling, in which a bucket of virtual tokens
// is refilled every second", per API and per account ("How to monitor and
// query IAM resources at scale – Part 2", AWS Security Blog, 2022), and its
// quotas cannot be raised ("How do I resolve API throttling or 'Rate
// exceeded' errors for IAM and AWS STS?", AWS re:Post knowledge center).
// Writes reported in the low tens a second per account are where IAM starts
// to answer Throttling, so a writer starts at 20 a second and lets IAM's
// answers move it.
const (
	// PaceStart is the write rate (requests a second) a new pacer allows.
	PaceStart = 20.0
	// PaceMin is the lowest rate a pacer backs off to.
	PaceMin = 1.0
	// PaceMax is the highest rate a pacer grows to.
	PaceMax = 500.0
)

// AIMD settings of a Pacer.
const (
	// paceWindow is how long the pacer watches answers before it judges
	// them (and the longest it waits to do so).
	paceWindow = time.Second
	// paceMinAnswers is the fewest answers a judgement rests on.
	paceMinAnswers = 10
	// paceMargin is how far above its usual share of throttles a window
	// must be to count as throttled by the pacer's own rate.
	paceMargin = 0.10
	// paceBackoff is the multiplicative decrease: the new rate is this part
	// of the rate IAM accepted while it throttled.
	paceBackoff = 0.7
	// paceStartGrowth is the growth per accepted request before the first
	// decrease: ln 2, so that the rate doubles every second while IAM
	// accepts every request at the full rate (a slow start, as TCP's
	// doubles its window every round trip).
	paceStartGrowth = math.Ln2
	// paceGrowth is the additive increase afterwards, in requests a second
	// gained per second at full use.
	paceGrowth = 1.5
	// paceKeep is how much of the answers seen so far the usual share of
	// throttles keeps at each judged window (the rest is forgotten, so it
	// follows a change of IAM's behaviour within a few windows).
	paceKeep = 0.8
	// paceSigmas is how unlikely, by chance, a window's throttles must be
	// (in standard deviations of the usual share's count) to count as the
	// pacer's own doing.
	paceSigmas = 4.0
	// paceMinExcess is the fewest throttles beyond the usual share's count
	// that count as the pacer's own doing, however small the usual share:
	// with a usual share near zero, estimated from the first few dozen
	// answers, a handful of throttles is still within chance.
	paceMinExcess = 6.0
)

// Pacer paces the write requests of one account: a client-side rate limiter
// (golang.org/x/time/rate) whose rate follows IAM's answers by additive
// increase and multiplicative decrease (AIMD). Every request waits its turn
// (Wait) and reports its answer (Observe).
//
// The rate grows with each accepted request: doubling every second until
// IAM first throttles it (a slow start from PaceStart), then by paceGrowth
// a second. Answers are judged per window of about a second: when the
// window's share of throttled answers is well above the share usually seen
// (in earlier windows) and more than chance explains, the pacer itself is
// going too fast, and the rate drops to paceBackoff times the rate IAM
// accepted since the window's first throttle (IAM's token bucket is empty
// then, so that is its refill rate). A steady share of throttles that does
// not follow the rate (other callers in the account, IAM's own noise) is
// left to the retryer's backoff instead of slowing every request. Safe for
// concurrent use.
type Pacer struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu        sync.Mutex
	limiter   *rate.Limiter
	rate      float64
	slowStart bool
	win       paceWindowStats
	usual     float64 // usual share of throttled answers (seenK / seenN)
	seenN     float64 // answers behind usual, older windows weighing less
	seenK     float64 // throttles among them
	judged    bool    // usual is set
}

// paceWindowStats counts the answers of the current window.
type paceWindowStats struct {
	start     time.Time
	answers   int
	throttles int
	// sinceThrottle counts the answers from the window's first throttle
	// on, that one included.
	sinceThrottle int
}

// NewPacer returns a pacer at PaceStart requests a second. now and sleep
// are the clock (nil means the real one); tests pass a fake to see the
// waits without waiting.
func NewPacer(now func() time.Time, sleep func(context.Context, time.Duration) error) *Pacer {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = clock.Sleep
	}
	t := now()
	return &Pacer{
		now:       now,
		sleep:     sleep,
		limiter:   rate.NewLimiter(rate.Limit(PaceStart), 1),
		rate:      PaceStart,
		slowStart: true,
		win:       paceWindowStats{start: t},
	}
}

// Rate is the current rate in requests a second.
func (p *Pacer) Rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rate
}

// Wait blocks until the pacer lets one more request go, or ctx is done.
func (p *Pacer) Wait(ctx context.Context) error {
	p.mu.Lock()
	r := p.limiter.ReserveN(p.now(), 1)
	p.mu.Unlock()
	d := r.DelayFrom(p.now())
	if d <= 0 {
		return nil
	}
	if err := p.sleep(ctx, d); err != nil {
		r.CancelAt(p.now())
		return err
	}
	return nil
}

// Observe records the answer to a request that Wait let go: throttled
// when IAM refused it for its rate. Other failures say nothing about the
// rate and are not counted.
func (p *Pacer) Observe(throttled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	p.win.answers++
	if throttled || p.win.sinceThrottle > 0 {
		p.win.sinceThrottle++
	}
	if throttled {
		p.win.throttles++
	} else {
		p.grow(t)
	}
	// Judge early when throttles pile up, so that a burst over IAM's rate
	// is cut short; otherwise once the window is over.
	if t.Sub(p.win.start) >= paceWindow || (throttled && p.judged && p.tooMany()) {
		p.judge(t)
	}
}

// grow is the additive increase (or the slow start) for one accepted
// request.
func (p *Pacer) grow(t time.Time) {
	if p.slowStart {
		p.set(t, p.rate+paceStartGrowth)
		return
	}
	// paceGrowth a second when requests go at the full rate.
	p.set(t, p.rate+paceGrowth/p.rate)
}

// tooMany reports whether the window, with enough answers, is throttled
// well beyond the usual share.
func (p *Pacer) tooMany() bool {
	return p.win.answers >= paceMinAnswers && p.beyondUsual()
}

// beyondUsual reports whether the window's throttles are more than the usual
// share explains: above it by paceMargin, and by more than chance would
// give. The count the usual share predicts varies (binomially) from window
// to window, and the usual share is itself an estimate from the answers
// seen; a window must exceed the prediction by paceSigmas standard
// deviations of both, and by at least paceMinExcess throttles. Without
// this, a steady 10% of throttles seen over windows of twenty answers would
// now and then look like 25%, and each such window would cut the rate for
// nothing.
func (p *Pacer) beyondUsual() bool {
	n, k, u := float64(p.win.answers), float64(p.win.throttles), p.usual
	expected := n * u
	sd := math.Sqrt(n * u * (1 - u) * (1 + n/max(p.seenN, 1)))
	return p.share() > u+paceMargin && k > expected+max(paceSigmas*sd, paceMinExcess)
}

func (p *Pacer) share() float64 { return float64(p.win.throttles) / float64(p.win.answers) }

// judge closes the window. When it was throttled beyond the usual share,
// the rate drops to paceBackoff times the rate IAM accepted in it: the
// current rate's accepted part since the window's first throttle, and at
// most the accepted answers over the window's length when the window is
// long enough to time. The window is the pacer's own doing, so it does not
// count towards the usual share. The first window with enough answers only
// sets the usual share.
func (p *Pacer) judge(t time.Time) {
	if p.win.answers < paceMinAnswers {
		p.win = paceWindowStats{start: t}
		return
	}
	if p.judged && p.beyondUsual() {
		through := p.rate * (1 - float64(p.win.throttles)/float64(p.win.sinceThrottle))
		if d := t.Sub(p.win.start); d >= paceWindow/10 {
			through = min(through, float64(p.win.answers-p.win.throttles)/d.Seconds())
		}
		p.set(t, paceBackoff*through)
		p.slowStart = false
	} else {
		p.seenN = paceKeep*p.seenN + float64(p.win.answers)
		p.seenK = paceKeep*p.seenK + float64(p.win.throttles)
		p.usual, p.judged = p.seenK/p.seenN, true
	}
	p.win = paceWindowStats{start: t}
}

// set changes the rate, kept within [PaceMin, PaceMax].
func (p *Pacer) set(t time.Time, r float64) {
	p.rate = min(max(r, PaceMin), PaceMax)
	p.limiter.SetLimitAt(t, rate.Limit(p.rate))
}
