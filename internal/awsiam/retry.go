package awsiam

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// This file is where roster's AWS retries live: how often and how long
// calls are retried, how writes are paced (Pacer, in pacer.go), and how many
// calls are in flight across all accounts. GitHub's retries live in
// internal/github/retry.go.

// Retry settings of every client roster makes.
const (
	// MaxAttempts bounds the attempts of every call; AWS_MAX_ATTEMPTS
	// overrides it.
	MaxAttempts = 10
	// MaxBackoff caps the wait between two attempts.
	MaxBackoff = 20 * time.Second
)

// Concurrency bounds of one run, across all its accounts.
const (
	// DefaultReadConcurrency is how many read calls are in flight at once
	// unless Concurrency.Reads says otherwise.
	DefaultReadConcurrency = 32
	// DefaultWriteConcurrency is how many write calls are in flight at
	// once unless Concurrency.Writes says otherwise. Each account's writes
	// are also paced (Pacer).
	DefaultWriteConcurrency = 16
)

// Concurrency bounds the calls in flight to AWS across all the accounts of
// a run: a plan or drift over fifty accounts makes at most Reads calls at
// once, an apply at most Writes write calls. Zero means the default.
type Concurrency struct {
	Reads  int
	Writes int
}

// withDefaults fills zero fields with the defaults.
func (c Concurrency) withDefaults() Concurrency {
	if c.Reads <= 0 {
		c.Reads = DefaultReadConcurrency
	}
	if c.Writes <= 0 {
		c.Writes = DefaultWriteConcurrency
	}
	return c
}

// bounds are the semaphores of one configuration, shared by every account
// and client made from it.
type bounds struct {
	reads, writes chan struct{}
}

func newBounds(c Concurrency) *bounds {
	c = c.withDefaults()
	return &bounds{reads: make(chan struct{}, c.Reads), writes: make(chan struct{}, c.Writes)}
}

// newHTTPClient is the one HTTP client of a configuration: every account's
// clients share its connections, and it keeps as many idle connections per
// host as calls may be in flight, so a bounded burst reuses them instead of
// opening and closing connections to the one IAM endpoint.
func newHTTPClient(c Concurrency) aws.HTTPClient {
	c = c.withDefaults()
	idle := max(c.Reads, c.Writes)
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = idle
		tr.MaxIdleConns = max(tr.MaxIdleConns, 2*idle)
	})
}

// NewReadRetryer returns the retryer of the clients that read IAM (plans,
// drift, snapshots): the SDK's standard mode, with exponential backoff and
// jitter, at most attempts attempts, waits capped at MaxBackoff, and no
// retry quota (attempts bound the retries). Reads are idempotent and a plan
// on a pull request should stay fast: adaptive mode, once throttled, slows
// every later request of the client (a 1,000-user read went from 1.6 s to
// 25 s after 1% throttling in the benchmarks).
func NewReadRetryer(attempts int) aws.Retryer {
	return newReadRetryer(attempts, nil)
}

func newReadRetryer(attempts int, b *bounds) *readRetryer {
	r := &readRetryer{RetryerV2: standard(attempts, nil), bounds: b}
	if b != nil {
		r.RetryerV2 = &boundedRetryer{RetryerV2: r.RetryerV2, sem: b.reads}
	}
	return r
}

// standard is the SDK's standard retryer with roster's attempts and
// backoff cap, and no retry quota. backoff replaces the SDK's exponential
// backoff with jitter when not nil (tests shorten the waits with it).
func standard(attempts int, backoff retry.BackoffDelayer) aws.RetryerV2 {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = attempts
		so.MaxBackoff = MaxBackoff
		so.RateLimiter = ratelimit.None
		if backoff != nil {
			so.Backoff = backoff
		}
	})
}

// readRetryer marks the retryer LoadConfig installs, so NewWriter knows to
// replace it with the write retryer (and keeps a retryer a caller chose), and
// carries the configuration's bounds to the writer.
type readRetryer struct {
	aws.RetryerV2
	bounds  *bounds
	backoff retry.BackoffDelayer // nil: the SDK's
}

// NewRetryer returns the retry half of the writer: the SDK's standard
// mode, at most attempts attempts, waits capped at MaxBackoff, no retry
// quota. The writer paces it with a Pacer (see writeRetryer); IAM limits
// the rate of writes per account, and the pacer keeps the account's
// requests near that rate instead of retrying into it.
func NewRetryer(attempts int) aws.Retryer { return standard(attempts, nil) }

// writeRetryer wraps a client's retryer for the writer: every attempt waits
// its turn on the account's pacer and reports whether IAM throttled it.
type writeRetryer struct {
	aws.RetryerV2
	pacer *Pacer
}

// writeRetryerFor returns the writer's retryer for a session on cfg, or
// nil to keep the session's own. LoadConfig's read retryer becomes the write
// retryer: the standard mode with the same attempts, bounded by the writes
// semaphore, paced by pacer. A retryer a caller chose (tests with shortened
// waits, say) is kept as it is.
func writeRetryerFor(cfg aws.Config, pacer *Pacer) aws.Retryer {
	if cfg.Retryer == nil {
		return nil
	}
	r, ok := cfg.Retryer().(*readRetryer)
	if !ok {
		return nil
	}
	inner := standard(r.MaxAttempts(), r.backoff)
	if r.bounds != nil {
		inner = &boundedRetryer{RetryerV2: inner, sem: r.bounds.writes}
	}
	return &writeRetryer{RetryerV2: inner, pacer: pacer}
}

// GetAttemptToken waits for the pacer before each attempt, and reports the
// attempt's answer to it.
func (r *writeRetryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if err := r.pacer.Wait(ctx); err != nil {
		return nil, err
	}
	release, err := r.RetryerV2.GetAttemptToken(ctx)
	if err != nil {
		return nil, err
	}
	return func(opErr error) error {
		r.pacer.Observe(isThrottle(opErr))
		return release(opErr)
	}, nil
}

// isThrottle reports whether err is AWS refusing a request for its rate:
// the SDK's throttle codes (Throttling, ThrottlingException,
// RequestLimitExceeded, ...) and HTTP 429.
func isThrottle(err error) bool {
	if err == nil {
		return false
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusTooManyRequests
}

// boundedRetryer holds one place of a semaphore for each attempt, so that
// the attempts in flight across every client sharing the semaphore stay
// within its size. Backoff waits hold no place.
type boundedRetryer struct {
	aws.RetryerV2
	sem chan struct{}
}

// GetAttemptToken takes a place before the attempt and gives it back after.
func (r *boundedRetryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release, err := r.RetryerV2.GetAttemptToken(ctx)
	if err != nil {
		<-r.sem
		return nil, err
	}
	return func(opErr error) error {
		<-r.sem
		return release(opErr)
	}, nil
}

// IAM is eventually consistent: right after CreateUser or CreateGroup, a
// call that names the new entity (AddUserToGroup, AttachUserPolicy,
// CreateLoginProfile, TagUser, ...) can answer NoSuchEntity for a few
// seconds. The writer waits that out for the operations that depend on a
// user or group it created itself, and for no others: a NoSuchEntity about
// anything else is a real answer (see Writer.Write).
const (
	// PropagationTimeout bounds the wait for a new entity to become
	// visible; AWS's Terraform provider waits up to two minutes too.
	PropagationTimeout = 2 * time.Minute
	// propagationFirstWait and propagationMaxWait shape the waits between
	// attempts: doubling from the first, capped at the max.
	propagationFirstWait = 250 * time.Millisecond
	propagationMaxWait   = 2 * time.Second
)

// Propagation is how a writer waits for IAM's eventual consistency. The
// zero value is the product's: PropagationTimeout, the real clock.
type Propagation struct {
	// Timeout bounds the wait of one operation; zero means
	// PropagationTimeout, negative means no wait at all.
	Timeout time.Duration
	// Now reads the clock the bound is measured on; nil is time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends; nil waits on a real timer. Tests
	// pass one that moves a fake clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p Propagation) withDefaults() Propagation {
	if p.Timeout == 0 {
		p.Timeout = PropagationTimeout
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	return p
}

// sleep waits d, or returns ctx's error when it ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
