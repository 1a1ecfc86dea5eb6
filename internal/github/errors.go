package github

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrPermission is wrapped by every [*PermissionError].
var ErrPermission = errors.New("the GitHub token lacks a permission")

// ErrRateLimited is wrapped by every [*RateLimitError].
var ErrRateLimited = errors.New("GitHub API rate limit exceeded")

// ErrNoPullRequest means no merged pull request has the commit as its merge
// commit: the commit was pushed directly.
var ErrNoPullRequest = errors.New("no merged pull request for the commit")

// ErrUnauthorized means GitHub rejected the token itself (401).
var ErrUnauthorized = errors.New("GitHub rejected the token")

// ErrBodyTooLong means a comment or issue body is over GitHub's limit of
// [MaxBodyLength] characters; callers shorten it before sending.
var ErrBodyTooLong = errors.New("body is longer than GitHub accepts")

// ErrFilesTruncated means a pull request changes more files than GitHub
// lists (3,000); callers should treat every path as changed.
var ErrFilesTruncated = errors.New("GitHub lists only the first 3000 changed files")

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
