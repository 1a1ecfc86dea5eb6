package github

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
}

func (t *waitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var waited time.Duration
	serverErrors, secondary := 0, 0
	cur := req
	for {
		resp, err := t.base.RoundTrip(cur)
		if err != nil {
			return nil, err
		}
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

// sleepContext waits for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
