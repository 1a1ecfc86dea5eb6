package github

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file is where GitHub's retries live: rate limits waited out and
// server errors retried by the client's transport. AWS's retries live in
// internal/awsiam/retry.go.

// DefaultMaxWait is how long a request waits out rate limits in total unless
// Options.MaxWait says otherwise.
const DefaultMaxWait = 5 * time.Minute

// DefaultRetries is how many times a read or edit failing with a 5xx status
// is retried unless Options.Retries says otherwise.
const DefaultRetries = 3

// secondaryWait is GitHub's advice for a secondary rate limit without
// Retry-After: wait at least one minute.
const secondaryWait = time.Minute

// waitTransport waits out rate limits and retries server errors; see the
// package documentation for the rules.
type waitTransport struct {
	base    http.RoundTripper
	maxWait time.Duration
	retries int
	sleep   func(context.Context, time.Duration) error
	now     func() time.Time

	mu sync.Mutex
	// exhaustedUntil is the reset of a rate limit window a successful
	// response said was used up (X-RateLimit-Remaining: 0).
	exhaustedUntil time.Time
}

func (t *waitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var waited time.Duration
	serverErrors, secondary := 0, 0
	cur := req
	// The previous response used up the window: wait for the reset before
	// sending, when that fits the budget (otherwise send, and let GitHub's
	// answer say how long it is).
	t.mu.Lock()
	until := t.exhaustedUntil
	t.mu.Unlock()
	if !until.IsZero() {
		d := until.Sub(t.now()) + time.Second
		if d > 0 && d <= t.maxWait {
			if err := t.sleep(req.Context(), d); err != nil {
				return nil, err
			}
			waited += d
		}
		t.mu.Lock()
		if t.exhaustedUntil.Equal(until) {
			t.exhaustedUntil = time.Time{}
		}
		t.mu.Unlock()
	}
	for {
		resp, err := t.base.RoundTrip(cur)
		if err != nil {
			return nil, err
		}
		t.noteExhausted(resp)
		d, limited := t.rateLimitWait(resp, secondary)
		retry := false
		switch {
		case limited:
			if isSecondary(resp) {
				secondary++
			}
			if waited+d > t.maxWait {
				return resp, nil
			}
			waited += d
			retry = true
		case resp.StatusCode >= 500 && idempotent(req.Method) && serverErrors < t.retries:
			serverErrors++
			d = time.Duration(1<<(serverErrors-1)) * time.Second
			retry = true
		}
		if !retry {
			return resp, nil
		}
		next, ok := rewind(req)
		if !ok {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if err := t.sleep(req.Context(), d); err != nil {
			return nil, err
		}
		cur = next
	}
}

// noteExhausted remembers the reset of a window that a response other than
// a rate limit answer says is used up, and hides those headers from
// go-github: it would otherwise refuse every request until the reset without
// sending it, leaving nothing for this transport to wait out.
func (t *waitTransport) noteExhausted(resp *http.Response) {
	if resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests {
		return
	}
	secs, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return
	}
	t.mu.Lock()
	t.exhaustedUntil = time.Unix(secs, 0)
	t.mu.Unlock()
	resp.Header.Del("X-RateLimit-Remaining")
	resp.Header.Del("X-RateLimit-Reset")
}

// rateLimitWait says whether resp is a rate limit and how long to wait,
// following GitHub's documented order: Retry-After, then
// X-RateLimit-Remaining 0 with X-RateLimit-Reset, then one minute (doubling
// with each earlier secondary limit) for a secondary limit.
func (t *waitTransport) rateLimitWait(resp *http.Response, earlierSecondary int) (time.Duration, bool) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs >= 0 {
			return max(time.Duration(secs)*time.Second, time.Second), true
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(t.now()), time.Second), true
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if secs, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			// One second past the reset, so the new window has begun.
			return max(time.Unix(secs, 0).Sub(t.now())+time.Second, time.Second), true
		}
	}
	if isSecondary(resp) || resp.StatusCode == http.StatusTooManyRequests {
		return secondaryWait << min(earlierSecondary, 10), true
	}
	return 0, false
}

// isSecondary reads resp's body (putting it back) to tell GitHub's secondary
// rate limit from other 403s, such as a missing permission.
func isSecondary(resp *http.Response) bool {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return false
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	s := strings.ToLower(string(data))
	return strings.Contains(s, "secondary rate limit") || strings.Contains(s, "abuse")
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// rewind returns a copy of req with a fresh body, or false when the body
// cannot be replayed.
func rewind(req *http.Request) (*http.Request, bool) {
	next := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return next, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	next.Body = body
	return next, true
}
