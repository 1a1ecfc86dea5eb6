package awsiam

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
)

// fakeClock is a clock that moves only when a pacer sleeps or the test
// says so, recording the waits.
type fakeClock struct {
	t     time.Time
	waits []time.Duration
}

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.waits = append(c.waits, d)
	c.t = c.t.Add(d)
	return nil
}

func newTestPacer() (*Pacer, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return NewPacer(c.now, c.sleep), c
}

// answer lets one request go through the pacer and reports its answer.
func answer(t *testing.T, p *Pacer, throttled bool) {
	t.Helper()
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.Observe(throttled)
}

// cleanFirstWindow answers 21 requests without a throttle over a second:
// the first window, which sets the usual share of throttles at none.
func cleanFirstWindow(t *testing.T, p *Pacer, c *fakeClock) {
	t.Helper()
	for range 20 {
		answer(t, p, false)
	}
	c.t = c.t.Add(time.Second)
	answer(t, p, false)
}

// TestPacerStartsAtIAMsRate: requests at once are spaced at PaceStart a
// second.
func TestPacerStartsAtIAMsRate(t *testing.T) {
	t.Parallel()
	p, c := newTestPacer()
	for range 4 {
		if err := p.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	gap := time.Duration(float64(time.Second) / PaceStart)
	if diff := cmp.Diff([]time.Duration{gap, gap, gap}, c.waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

// TestPacerBacksOffOnItsOwnThrottling: when throttles appear as the rate
// grows (IAM's token bucket), the rate drops to a part of what got through,
// then grows additively.
func TestPacerBacksOffOnItsOwnThrottling(t *testing.T) {
	t.Parallel()
	p, c := newTestPacer()
	// A first second without throttles: the slow start grows the rate.
	cleanFirstWindow(t, p, c)
	grown := p.Rate()
	if want := PaceStart + 21*paceStartGrowth; math.Abs(grown-want) > 1e-9 {
		t.Fatalf("rate after 21 accepted requests = %v, want %v", grown, want)
	}
	// Then half the answers are throttles: the pacer is too fast.
	for range 10 {
		answer(t, p, true)
		answer(t, p, false)
	}
	got := p.Rate()
	if got >= grown*paceBackoff {
		t.Fatalf("rate after half the answers throttled = %v, want below %v", got, grown*paceBackoff)
	}
	// Afterwards growth is additive: paceGrowth a second at full use.
	answer(t, p, false)
	if want := got + paceGrowth/got; math.Abs(p.Rate()-want) > 1e-9 {
		t.Errorf("rate after one more accepted request = %v, want %v", p.Rate(), want)
	}
}

// TestPacerSlowStartDoublesEachSecond: while IAM accepts every request,
// a pacer used at its full rate doubles it every second.
func TestPacerSlowStartDoublesEachSecond(t *testing.T) {
	t.Parallel()
	p, c := newTestPacer()
	start := c.t
	for want := PaceStart; want <= 8*PaceStart; want *= 2 {
		end := start.Add(time.Duration(math.Log2(want/PaceStart) * float64(time.Second)))
		for c.t.Before(end) {
			answer(t, p, false)
		}
		if got := p.Rate(); math.Abs(got-want)/want > 0.05 {
			t.Errorf("rate after %v at full use = %.1f, want %.0f (±5%%)", c.t.Sub(start), got, want)
		}
	}
}

// TestPacerCutsToWhatIAMAccepts: when IAM's token bucket runs dry, IAM
// accepts its refill rate whatever the pacer sends; the pacer drops to
// paceBackoff times the rate accepted since the first throttle, not the
// window's whole, which counts the answers from before the bucket ran dry.
func TestPacerCutsToWhatIAMAccepts(t *testing.T) {
	t.Parallel()
	p, c := newTestPacer()
	cleanFirstWindow(t, p, c)
	for range 10 {
		answer(t, p, false) // the bucket's last tokens
	}
	// Then IAM accepts two requests in five.
	accepted, since := 0, 0
	for i := 0; ; i++ {
		before := p.Rate()
		throttled := i%5 < 3
		answer(t, p, throttled)
		since++
		if !throttled {
			accepted++
		}
		if got := p.Rate(); got < before {
			want := paceBackoff * before * float64(accepted) / float64(since)
			if math.Abs(got-want) > 1e-9 {
				t.Errorf("rate after the cut = %.2f, want %.2f (%v × %.2f × %d/%d accepted since the first throttle)", got, want, paceBackoff, before, accepted, since)
			}
			return
		}
		if i > 100 {
			t.Fatalf("no cut after %d answers, 60%% throttled", i)
		}
	}
}

// TestPacerIgnoresSteadyThrottling: a steady share of throttles that does
// not follow the pacer's rate is left to the retryer; the rate keeps
// growing.
func TestPacerIgnoresSteadyThrottling(t *testing.T) {
	t.Parallel()
	p, c := newTestPacer()
	for range 10 {
		for i := range 40 {
			answer(t, p, i%10 == 0) // one throttle in ten, every second
		}
		c.t = c.t.Add(time.Second)
	}
	if got := p.Rate(); got <= PaceStart {
		t.Errorf("rate after ten seconds of steady 10%% throttling = %v, want above the start (%v)", got, PaceStart)
	}
}

// TestPacerStaysWithinBounds: no amount of throttling takes the rate below
// PaceMin.
func TestPacerStaysWithinBounds(t *testing.T) {
	t.Parallel()
	p, c := newTestPacer()
	cleanFirstWindow(t, p, c)
	for range 200 {
		answer(t, p, true)
	}
	if got := p.Rate(); got != PaceMin {
		t.Errorf("rate after 200 throttles = %v, want PaceMin (%v)", got, PaceMin)
	}
}

// TestPacerWaitCancelled: a cancelled context ends the wait with its error.
func TestPacerWaitCancelled(t *testing.T) {
	t.Parallel()
	p, _ := newTestPacer()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = p.Wait(context.Background()) // the first request goes at once
	if err := p.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestIsThrottle: IAM's Throttling, the SDK's other throttle codes and HTTP
// 429 are throttles; other errors are not.
func TestIsThrottle(t *testing.T) {
	t.Parallel()
	status := func(code int) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: errors.New("answer"),
		}}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"Throttling", &smithy.GenericAPIError{Code: "Throttling"}, true},
		{"ThrottlingException", &smithy.GenericAPIError{Code: "ThrottlingException"}, true},
		{"RequestLimitExceeded", &smithy.GenericAPIError{Code: "RequestLimitExceeded"}, true},
		{"wrapped", fmt.Errorf("CreateUser: %w", &smithy.GenericAPIError{Code: "Throttling"}), true},
		{"HTTP 429", status(http.StatusTooManyRequests), true},
		{"NoSuchEntity", &smithy.GenericAPIError{Code: "NoSuchEntity"}, false},
		{"HTTP 500", status(http.StatusInternalServerError), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := isThrottle(tt.err); got != tt.want {
				t.Errorf("isThrottle(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestPacerIgnoresNoisyThrottling: IAM throttling one request in ten at
// random, whatever the rate, makes some windows of forty answers look two
// or three times as throttled by chance. None of them may cut the rate.
func TestPacerIgnoresNoisyThrottling(t *testing.T) {
	t.Parallel()
	p, c := newTestPacer()
	rng := rand.New(rand.NewPCG(42, 14))
	last := p.Rate()
	for w := range 60 {
		for range 40 {
			answer(t, p, rng.Float64() < 0.1)
			if r := p.Rate(); r < last {
				t.Fatalf("window %d: the rate dropped from %.1f to %.1f under steady random throttling", w, last, r)
			}
			last = p.Rate()
		}
		c.t = c.t.Add(time.Second)
	}
}
