package github

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roster-dev/roster/internal/githubtest"
)

const listComments = "/repos/*/*/issues/*/comments"

func TestRateLimitsWaitedOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		faults    []githubtest.Fault
		maxWait   time.Duration
		wantWaits []time.Duration
		wantErr   error
		wantMsg   string
		wantPosts int
	}{
		{
			name:      "primary limit (403) waits until one second past the reset",
			faults:    []githubtest.Fault{{Kind: githubtest.PrimaryRateLimit, Method: "GET", Path: listComments, Times: 1, Reset: t0.Add(30 * time.Second)}},
			wantWaits: []time.Duration{31 * time.Second},
			wantPosts: 1,
		},
		{
			name:      "primary limit answered 429",
			faults:    []githubtest.Fault{{Kind: githubtest.PrimaryRateLimit, Status: 429, Method: "GET", Path: listComments, Times: 1, Reset: t0.Add(90 * time.Second)}},
			wantWaits: []time.Duration{91 * time.Second},
			wantPosts: 1,
		},
		{
			name:      "primary limit already reset waits a second",
			faults:    []githubtest.Fault{{Kind: githubtest.PrimaryRateLimit, Method: "GET", Path: listComments, Times: 1, Reset: t0.Add(-time.Minute)}},
			wantWaits: []time.Duration{time.Second},
			wantPosts: 1,
		},
		{
			name:      "a response using up the window makes the next request wait for the reset",
			faults:    []githubtest.Fault{{Kind: githubtest.LastInWindow, Method: "GET", Path: listComments, Times: 1, Reset: t0.Add(45 * time.Second)}},
			wantWaits: []time.Duration{46 * time.Second},
			wantPosts: 1,
		},
		{
			name:      "secondary limit honours Retry-After, also on a write",
			faults:    []githubtest.Fault{{Kind: githubtest.SecondaryRateLimit, Method: "POST", Path: listComments, Times: 1, RetryAfter: 7 * time.Second}},
			wantWaits: []time.Duration{7 * time.Second},
			wantPosts: 1,
		},
		{
			name:      "secondary limit without Retry-After waits a minute, then doubles",
			faults:    []githubtest.Fault{{Kind: githubtest.SecondaryRateLimit, Method: "GET", Path: listComments, Times: 2}},
			wantWaits: []time.Duration{time.Minute, 2 * time.Minute},
			wantPosts: 1,
		},
		{
			name: "waits add up to MaxWait",
			faults: []githubtest.Fault{
				{Kind: githubtest.SecondaryRateLimit, Method: "GET", Path: listComments, Times: 1, RetryAfter: 40 * time.Second},
				{Kind: githubtest.PrimaryRateLimit, Method: "GET", Path: listComments, Times: 1, Reset: t0.Add(19 * time.Second)},
			},
			maxWait:   time.Minute,
			wantWaits: []time.Duration{40 * time.Second, 20 * time.Second},
			wantPosts: 1,
		},
		{
			name:    "a reset beyond MaxWait fails at once, saying when",
			faults:  []githubtest.Fault{{Kind: githubtest.PrimaryRateLimit, Method: "GET", Path: listComments, Reset: t0.Add(20 * time.Minute)}},
			maxWait: 5 * time.Minute,
			wantErr: ErrRateLimited,
			wantMsg: "rate limit exceeded until 2026-03-01T12:20:00Z",
		},
		{
			name:      "a secondary limit that persists fails once the waits would pass MaxWait",
			faults:    []githubtest.Fault{{Kind: githubtest.SecondaryRateLimit, Method: "GET", Path: listComments}},
			maxWait:   4 * time.Minute,
			wantWaits: []time.Duration{time.Minute, 2 * time.Minute},
			wantErr:   ErrRateLimited,
			wantMsg:   "secondary rate limit exceeded",
		},
		{
			name:    "a 429 that persists fails clearly",
			faults:  []githubtest.Fault{{Kind: githubtest.PrimaryRateLimit, Status: 429, Method: "GET", Path: listComments, Reset: t0.Add(time.Hour)}},
			wantErr: ErrRateLimited,
			wantMsg: "rate limit exceeded until 2026-03-01T13:00:00Z",
		},
		{
			name:      "a read failing with 5xx is retried with backoff",
			faults:    []githubtest.Fault{{Kind: githubtest.ServerError, Status: 502, Method: "GET", Path: listComments, Times: 2}},
			wantWaits: []time.Duration{time.Second, 2 * time.Second},
			wantPosts: 1,
		},
		{
			name:      "a read failing with 5xx gives up after the retries",
			faults:    []githubtest.Fault{{Kind: githubtest.ServerError, Method: "GET", Path: listComments}},
			wantWaits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
			wantMsg:   "500",
		},
		{
			name:    "a comment creation failing with 5xx is not retried",
			faults:  []githubtest.Fault{{Kind: githubtest.ServerError, Status: 503, Method: "POST", Path: listComments, Times: 1}},
			wantMsg: "503",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, sl := setup(t, func(o *Options) { o.MaxWait = tt.maxWait })
			pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{HeadSHA: "a1"})
			for _, f := range tt.faults {
				srv.Inject(f)
			}
			_, err := c.UpsertComment(context.Background(), testRepo, pr, planMarker, "plan", true)
			if tt.wantMsg == "" && err != nil {
				t.Fatalf("UpsertComment: %v", err)
			}
			if tt.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tt.wantMsg)) {
				t.Fatalf("err = %v, want one saying %q", err, tt.wantMsg)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantWaits, sl.get()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if got := len(srv.Comments(testRepo, pr)); got != tt.wantPosts {
				t.Errorf("comments = %d, want %d", got, tt.wantPosts)
			}
		})
	}
}

func TestRateLimitWaitStopsWithContext(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewServer(t)
	srv.AddRepo(testRepo)
	pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{HeadSHA: "a1"})
	srv.Inject(githubtest.Fault{Kind: githubtest.SecondaryRateLimit, RetryAfter: time.Hour})
	c, err := New(context.Background(), Options{Token: testToken, APIURL: srv.APIURL(), HTTPClient: srv.Client(), MaxWait: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.UpsertComment(ctx, testRepo, pr, planMarker, "plan", true)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestPermissionErrorsNameThePermission(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
		call   func(*Client, int) error
		want   []string
	}{
		{
			name: "creating the plan comment", method: "POST", path: listComments,
			call: func(c *Client, pr int) error {
				_, err := c.UpsertComment(context.Background(), testRepo, pr, planMarker, "plan", true)
				return err
			},
			want: []string{"pull-requests: write"},
		},
		{
			name: "reading comments", method: "GET", path: listComments,
			call: func(c *Client, pr int) error {
				_, _, err := c.FindComment(context.Background(), testRepo, pr, planMarker)
				return err
			},
			want: []string{"pull-requests: read"},
		},
		{
			name: "creating an issue", method: "POST", path: "/repos/*/*/issues",
			call: func(c *Client, _ int) error {
				_, err := c.SyncIssue(context.Background(), testRepo, driftSpec("f", "drift", ""))
				return err
			},
			want: []string{"issues: write"},
		},
		{
			name: "creating a label", method: "POST", path: "/repos/*/*/labels",
			call: func(c *Client, _ int) error {
				_, err := c.SyncIssue(context.Background(), testRepo, driftSpec("f", "drift", ""))
				return err
			},
			want: []string{"issues: write"},
		},
		{
			name: "listing issues", method: "GET", path: "/repos/*/*/issues",
			call: func(c *Client, _ int) error {
				_, err := c.ResolveIssue(context.Background(), testRepo, "roster:drift:production", "gone")
				return err
			},
			want: []string{"issues: read"},
		},
		{
			name: "finding the pull request of a commit", method: "GET", path: "/repos/*/*/commits/*/pulls",
			call: func(c *Client, _ int) error {
				_, err := c.PullRequestForCommit(context.Background(), testRepo, "abc")
				return err
			},
			want: []string{"contents: read", "pull-requests: read"},
		},
		{
			name: "listing changed files", method: "GET", path: "/repos/*/*/pulls/*/files",
			call: func(c *Client, pr int) error {
				_, err := c.ChangedFiles(context.Background(), testRepo, pr)
				return err
			},
			want: []string{"pull-requests: read"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, sl := setup(t, nil)
			pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{HeadSHA: "a1"})
			srv.Inject(githubtest.Fault{Kind: githubtest.NoPermission, Method: tt.method, Path: tt.path, Permissions: "issues=write; pull_requests=write"})

			err := tt.call(c, pr)
			var pe *PermissionError
			if !errors.As(err, &pe) || !errors.Is(err, ErrPermission) {
				t.Fatalf("err = %v, want a *PermissionError", err)
			}
			if diff := cmp.Diff(tt.want, pe.Permissions); diff != "" {
				t.Errorf("permissions (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), "add `"+tt.want[0]+"`") {
				t.Errorf("message %q does not say what to add", err)
			}
			if len(sl.get()) != 0 {
				t.Errorf("a missing permission was waited on: %v", sl.get())
			}
		})
	}
}

func TestRejectedToken(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.AddToken("another-token", "someone")
	pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{HeadSHA: "a1"})

	_, err := c.UpsertComment(context.Background(), testRepo, pr, planMarker, "plan", true)
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "github-token") {
		t.Errorf("err = %v, want ErrUnauthorized pointing at the github-token input", err)
	}
	if _, err := New(context.Background(), Options{}); err == nil {
		t.Error("New without a token succeeded")
	}
}

func TestAPIURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		apiURL func(*githubtest.Server) string
	}{
		{"GITHUB_API_URL as GitHub Enterprise Server sets it", func(s *githubtest.Server) string { return s.APIURL() }},
		{"with a trailing slash", func(s *githubtest.Server) string { return s.APIURL() + "/" }},
		{"the host alone gets /api/v3", func(s *githubtest.Server) string { return s.URL() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _ := setup(t, nil)
			c2, err := New(context.Background(), Options{Token: testToken, APIURL: tt.apiURL(srv), HTTPClient: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			_ = c
			pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{HeadSHA: "a1"})
			if _, err := c2.UpsertComment(context.Background(), testRepo, pr, planMarker, "plan", true); err != nil {
				t.Fatalf("UpsertComment: %v", err)
			}
			if got := len(srv.Comments(testRepo, pr)); got != 1 {
				t.Errorf("comments = %d, want 1", got)
			}
		})
	}

	for _, api := range []string{"", PublicAPIURL, PublicAPIURL + "/"} {
		c, err := New(context.Background(), Options{Token: testToken, APIURL: api})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.gh.BaseURL.String(); got != "https://api.github.com/" {
			t.Errorf("APIURL %q: base URL %q, want GitHub.com's", api, got)
		}
	}
}
