package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/roster-dev/roster/internal/clock"
)

// PublicAPIURL is GitHub.com's API, the default when GITHUB_API_URL is unset.
const PublicAPIURL = "https://api.github.com"

// MaxBodyLength is the longest comment or issue body GitHub accepts, in
// characters.
const MaxBodyLength = 65536

// ErrBodyTooLong means a comment or issue body is over GitHub's limit of
// [MaxBodyLength] characters; callers shorten it before sending.
var ErrBodyTooLong = errors.New("body is longer than GitHub accepts")

// Options configures [New].
type Options struct {
	// Token authenticates every request (the github-token input). Required.
	Token string
	// APIURL is GITHUB_API_URL; empty means [PublicAPIURL]. Any other URL is
	// treated as GitHub Enterprise Server.
	APIURL string
	// HTTPClient carries the requests; nil means a default client. Its
	// Transport is wrapped, never modified.
	HTTPClient *http.Client
	// MaxWait bounds the total time one request waits out rate limits; zero
	// means [DefaultMaxWait], negative means never wait.
	MaxWait time.Duration
	// Retries bounds the retries of a read or edit failing with a 5xx
	// status; zero means [DefaultRetries], negative means none.
	Retries int
	// Sleep waits for d or until ctx is done; nil means a real timer. Tests
	// inject one that records the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock rate limit resets are measured against; nil means
	// time.Now.
	Now func() time.Time
	// Author, when set, is the only login whose comments and issues are
	// recognised by their marker (e.g. "github-actions[bot]"), so a marker
	// pasted into someone else's comment is ignored. Empty trusts any author.
	Author string
	// UserAgent is sent with every request; empty means go-github's default.
	UserAgent string
}

// Client talks to one GitHub (or GitHub Enterprise Server) instance.
type Client struct {
	gh     *gh.Client
	author string
	wait   time.Duration
}

// New returns a client for opts. It makes no request.
func New(ctx context.Context, opts Options) (*Client, error) {
	_ = ctx
	if opts.Token == "" {
		return nil, errors.New("github: no token: set the github-token input (default ${{ github.token }})")
	}
	base := http.DefaultTransport
	hc := &http.Client{}
	if opts.HTTPClient != nil {
		*hc = *opts.HTTPClient
		if hc.Transport != nil {
			base = hc.Transport
		}
	}
	t := &waitTransport{base: base, maxWait: opts.MaxWait, retries: opts.Retries, sleep: opts.Sleep, now: opts.Now}
	switch {
	case t.maxWait == 0:
		t.maxWait = DefaultMaxWait
	case t.maxWait < 0:
		t.maxWait = 0
	}
	switch {
	case t.retries == 0:
		t.retries = DefaultRetries
	case t.retries < 0:
		t.retries = 0
	}
	if t.sleep == nil {
		t.sleep = clock.Sleep
	}
	if t.now == nil {
		t.now = time.Now
	}
	hc.Transport = t
	client := gh.NewClient(hc).WithAuthToken(opts.Token)
	if opts.UserAgent != "" {
		client.UserAgent = opts.UserAgent
	}
	if api := strings.TrimRight(strings.TrimSpace(opts.APIURL), "/"); api != "" && api != PublicAPIURL {
		var err error
		client, err = client.WithEnterpriseURLs(api, api)
		if err != nil {
			return nil, fmt.Errorf("github: GITHUB_API_URL %q: %w", opts.APIURL, err)
		}
	}
	return &Client{gh: client, author: opts.Author, wait: t.maxWait}, nil
}

// splitRepo parses "owner/name".
func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("github: repository %q is not owner/name (GITHUB_REPOSITORY)", repo)
	}
	return owner, name, nil
}

// Permissions: entries each kind of request needs.
var (
	permPullRead   = []string{"pull-requests: read"}
	permPullWrite  = []string{"pull-requests: write"}
	permIssueRead  = []string{"issues: read"}
	permIssueWrite = []string{"issues: write"}
	permCommitPull = []string{"contents: read", "pull-requests: read"}
)

// markedRepo parses the marker and the repository of a call that finds a
// comment or an issue by its marker.
func markedRepo(marker, repo string) (hm, owner, name string, err error) {
	if hm, err = hiddenMarker(marker); err != nil {
		return "", "", "", err
	}
	if owner, name, err = splitRepo(repo); err != nil {
		return "", "", "", err
	}
	return hm, owner, name, nil
}

// hiddenMarker turns a marker into the HTML comment stored in bodies. A
// marker already written as <!-- ... --> is used as it is.
func hiddenMarker(marker string) (string, error) {
	m := strings.TrimSpace(marker)
	if strings.HasPrefix(m, "<!--") && strings.HasSuffix(m, "-->") && len(m) > len("<!---->") {
		return m, nil
	}
	if m == "" || strings.Contains(m, "--") || strings.ContainsAny(m, "\n>") {
		return "", fmt.Errorf("github: marker %q must be non-empty, on one line, without \"--\" or \">\"", marker)
	}
	return "<!-- " + m + " -->", nil
}

func tooLong(op, body string) error {
	if n := len([]rune(body)); n > MaxBodyLength {
		return fmt.Errorf("%s: %w (%d characters, at most %d)", op, ErrBodyTooLong, n, MaxBodyLength)
	}
	return nil
}

// normalize ignores line-ending and trailing whitespace differences when
// comparing bodies, so a body GitHub stored slightly differently is not
// rewritten on every run.
func normalize(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), " \t\n")
}
