package github

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
)

// ErrPermission is wrapped by every [*PermissionError].
var ErrPermission = errors.New("the GitHub token lacks a permission")

// ErrRateLimited is wrapped by every [*RateLimitError].
var ErrRateLimited = errors.New("GitHub API rate limit exceeded")

// ErrUnauthorized means GitHub rejected the token itself (401).
var ErrUnauthorized = errors.New("GitHub rejected the token")

// PermissionError is a request GitHub refused because the token lacks a
// permission; Permissions are the workflow permissions: entries that grant it.
type PermissionError struct {
	// Op says what roster was doing, e.g. "create comment on o/r#3".
	Op string
	// Permissions are what to add under the job's permissions:, e.g.
	// "pull-requests: write".
	Permissions []string
	// Accepted is GitHub's X-Accepted-GitHub-Permissions header, when sent.
	Accepted string
	// Message is GitHub's message.
	Message string
}

// Error says what failed and which permission to add.
func (e *PermissionError) Error() string {
	msg := fmt.Sprintf("%s: the GitHub token lacks a permission (GitHub said %q); add `%s` to the job's permissions: in the workflow", e.Op, e.Message, strings.Join(e.Permissions, "` and `"))
	if e.Accepted != "" {
		msg += fmt.Sprintf(" (GitHub accepts: %s)", e.Accepted)
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrPermission) true.
func (e *PermissionError) Unwrap() error { return ErrPermission }

// RateLimitError is a rate limit that would have needed a longer wait than
// the client allows.
type RateLimitError struct {
	Op string
	// Secondary is set for GitHub's secondary (abuse) rate limit.
	Secondary bool
	// Reset is when the primary limit resets; zero when unknown.
	Reset time.Time
	// RetryAfter is the secondary limit's requested wait; zero when unknown.
	RetryAfter time.Duration
	// MaxWait is the longest the client waits.
	MaxWait time.Duration
	// Message is GitHub's message.
	Message string
}

// Error says which limit was hit, until when, and what to do.
func (e *RateLimitError) Error() string {
	kind := "rate limit"
	if e.Secondary {
		kind = "secondary rate limit"
	}
	var when string
	switch {
	case !e.Reset.IsZero():
		when = " until " + e.Reset.UTC().Format(time.RFC3339)
	case e.RetryAfter > 0:
		when = fmt.Sprintf(" for %s", e.RetryAfter)
	}
	return fmt.Sprintf("%s: GitHub API %s exceeded%s, longer than roster waits (%s); rerun the job later (GitHub said %q)", e.Op, kind, when, e.MaxWait, e.Message)
}

// Unwrap makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// fail turns go-github's errors into roster's: op says what was being done
// and perms which permissions: entries it needs.
func (c *Client) fail(op string, perms []string, err error) error {
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	var er *gh.ErrorResponse
	switch {
	case errors.As(err, &rl):
		return &RateLimitError{Op: op, Reset: rl.Rate.Reset.Time, MaxWait: c.wait, Message: rl.Message}
	case errors.As(err, &ab):
		e := &RateLimitError{Op: op, Secondary: true, MaxWait: c.wait, Message: ab.Message}
		if ab.RetryAfter != nil {
			e.RetryAfter = *ab.RetryAfter
		}
		return e
	case errors.As(err, &er) && er.Response != nil:
		switch status := er.Response.StatusCode; {
		case status == http.StatusTooManyRequests:
			e := &RateLimitError{Op: op, MaxWait: c.wait, Message: er.Message}
			if secs, err := strconv.ParseInt(er.Response.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil && er.Response.Header.Get("X-RateLimit-Remaining") == "0" {
				e.Reset = time.Unix(secs, 0)
			} else {
				e.Secondary = true
			}
			return e
		case status == http.StatusForbidden && strings.Contains(er.Message, "not accessible by"):
			return &PermissionError{Op: op, Permissions: perms, Accepted: er.Response.Header.Get("X-Accepted-GitHub-Permissions"), Message: er.Message}
		case status == http.StatusUnauthorized:
			return fmt.Errorf("%s: %w (401 %s): check the github-token input", op, ErrUnauthorized, er.Message)
		case status == http.StatusNotFound:
			return fmt.Errorf("%s: not found (404): check the repository and number, and that the token can read the repository (%s): %w", op, strings.Join(perms, ", "), err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}
