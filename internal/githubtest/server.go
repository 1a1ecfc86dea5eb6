package githubtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Prefix is the path under which the fake serves the API, as GitHub
// Enterprise Server does.
const Prefix = "/api/v3"

// DefaultLogin is the login that tokens act as until [Server.AddToken]
// registers tokens: the identity of a workflow's GITHUB_TOKEN.
const DefaultLogin = "github-actions[bot]"

// MaxBodyLength is the longest issue or comment body GitHub accepts, in
// characters.
const MaxBodyLength = 65536

// Server is a stateful fake of GitHub's REST API. Its methods are safe for
// concurrent use.
type Server struct {
	ts    *httptest.Server
	t     testing.TB
	clock func() time.Time

	mu       sync.Mutex
	repos    map[string]*repo
	tokens   map[string]Identity
	orgs     map[string]*org
	faults   []*Fault
	requests []Request
	nextID   int64
}

// Option configures a [Server].
type Option func(*Server)

// WithClock sets the clock used for created_at, updated_at and closed_at.
// The default clock starts at 2026-01-01T00:00:00Z and advances one second
// each time it is read, so timestamps are reproducible and strictly ordered.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.clock = now }
}

// NewServer starts a fake GitHub API server that is closed when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t:      t,
		repos:  map[string]*repo{},
		tokens: map[string]Identity{},
		orgs:   map[string]*org{},
		nextID: 1000,
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var tick int64
	s.clock = func() time.Time {
		tick++
		return start.Add(time.Duration(tick) * time.Second)
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(Prefix+"/", s.serveHTTP)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{
			"message": fmt.Sprintf("Not Found: the fake GitHub API lives under %s (GITHUB_API_URL=%s), not at %s", Prefix, s.APIURL(), r.URL.Path),
		})
	})
	s.ts = httptest.NewServer(mux)
	t.Cleanup(s.ts.Close)
	return s
}

// URL is the server's root, the GitHub Enterprise Server host.
func (s *Server) URL() string { return s.ts.URL }

// APIURL is the value for GITHUB_API_URL and the base URL for go-github's
// WithEnterpriseURLs: the server's root followed by /api/v3.
func (s *Server) APIURL() string { return s.ts.URL + Prefix }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close shuts the server down; it is also closed when the test ends.
func (s *Server) Close() { s.ts.Close() }

// AddToken registers a token acting as login. Once any token is registered,
// requests with other tokens are refused with 401 Bad credentials. A token
// acting as [DefaultLogin] is the workflow's GITHUB_TOKEN (an installation
// token of [GitHubActions]); any other login is a person's personal access
// token. [Server.AddIdentity] registers other kinds of tokens.
func (s *Server) AddToken(token, login string) {
	id := Identity{Login: login}
	if login == DefaultLogin {
		id.App = &GitHubActions
	}
	s.AddIdentity(token, id)
}

// AddIdentity registers a token acting as id, with the same effect on other
// tokens as [Server.AddToken].
func (s *Server) AddIdentity(token string, id Identity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = id
}

// Request is one request the server received, in order.
type Request struct {
	Method string
	// Path is the API path without the /api/v3 prefix, e.g.
	// /repos/o/r/issues/1/comments.
	Path  string
	Query url.Values
	// Body is the request body as sent (JSON for writes).
	Body string
	// Token is the token the request carried, empty when it had none.
	Token string
	// Login is the identity the token acted as.
	Login string
	// Status is the HTTP status answered.
	Status int
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// Count counts the successful (2xx) requests with the method and a path
// matching pattern ([path.Match] syntax, without the /api/v3 prefix), e.g.
// Count("PATCH", "/repos/*/*/issues/comments/*").
func (s *Server) Count(method, pattern string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method != method || r.Status < 200 || r.Status > 299 {
			continue
		}
		if ok, _ := path.Match(pattern, r.Path); ok {
			n++
		}
	}
	return n
}

// ResetRequests forgets the requests recorded so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// FaultKind is a way GitHub fails a request.
type FaultKind int

const (
	// PrimaryRateLimit answers Status (403 by default, or 429) with
	// X-RateLimit-Remaining: 0 and X-RateLimit-Reset at Reset.
	PrimaryRateLimit FaultKind = iota + 1
	// SecondaryRateLimit answers 403 with GitHub's secondary rate limit
	// message and, when RetryAfter is set, a Retry-After header.
	SecondaryRateLimit
	// NoPermission answers 403 "Resource not accessible by integration", as
	// GitHub answers a GITHUB_TOKEN whose workflow did not grant the
	// permission; Permissions fills X-Accepted-GitHub-Permissions.
	NoPermission
	// ServerError answers Status (500 by default).
	ServerError
	// LastInWindow serves the request normally but answers
	// X-RateLimit-Remaining: 0 and X-RateLimit-Reset at Reset, as GitHub
	// answers the last request a rate limit window allows.
	LastInWindow
)

// Fault makes matching requests fail. A faulted request changes no state.
type Fault struct {
	Kind FaultKind
	// Method restricts the fault to one HTTP method; empty matches any.
	Method string
	// Path restricts the fault to API paths matching this [path.Match]
	// pattern (without the /api/v3 prefix); empty matches any.
	Path string
	// Times is how many matching requests fail; 0 means every one.
	Times int
	// Status overrides the HTTP status.
	Status int
	// Reset is when the primary rate limit resets (PrimaryRateLimit,
	// LastInWindow).
	Reset time.Time
	// RetryAfter is the secondary rate limit's Retry-After; 0 omits it.
	RetryAfter time.Duration
	// Permissions is the X-Accepted-GitHub-Permissions value for
	// NoPermission, e.g. "issues=write; pull_requests=write".
	Permissions string

	used int
}

// Inject adds a fault. Faults are tried in the order added; the first that
// matches a request answers it.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// matchFault returns the first live fault matching the request and uses it up.
func (s *Server) matchFault(method, p string) *Fault {
	for _, f := range s.faults {
		if f.Times > 0 && f.used >= f.Times {
			continue
		}
		if f.Method != "" && f.Method != method {
			continue
		}
		if f.Path != "" {
			if ok, _ := path.Match(f.Path, p); !ok {
				continue
			}
		}
		f.used++
		return f
	}
	return nil
}

func (s *Server) writeFault(w http.ResponseWriter, f *Fault) int {
	h := w.Header()
	switch f.Kind {
	case PrimaryRateLimit:
		status := f.Status
		if status == 0 {
			status = http.StatusForbidden
		}
		h.Set("X-RateLimit-Limit", "5000")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Used", "5000")
		h.Set("X-RateLimit-Reset", strconv.FormatInt(f.Reset.Unix(), 10))
		h.Set("X-RateLimit-Resource", "core")
		writeJSON(w, status, map[string]string{
			"message":           "API rate limit exceeded for installation ID 1000.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits",
		})
		return status
	case SecondaryRateLimit:
		status := f.Status
		if status == 0 {
			status = http.StatusForbidden
		}
		if f.RetryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
		}
		writeJSON(w, status, map[string]string{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
		return status
	case NoPermission:
		status := f.Status
		if status == 0 {
			status = http.StatusForbidden
		}
		if f.Permissions != "" {
			h.Set("X-Accepted-GitHub-Permissions", f.Permissions)
		}
		writeJSON(w, status, map[string]string{
			"message":           "Resource not accessible by integration",
			"documentation_url": "https://docs.github.com/rest",
		})
		return status
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		writeJSON(w, status, map[string]string{"message": "Server Error"})
		return status
	}
}

// apiError is an error answer with GitHub's JSON shape.
type apiError struct {
	status  int
	message string
	errs    []map[string]string
}

func (e *apiError) Error() string { return e.message }

func notFound() *apiError { return &apiError{status: http.StatusNotFound, message: "Not Found"} }

func invalid(format string, args ...any) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, message: fmt.Sprintf(format, args...)}
}

// call is one request being served.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	path   string
	segs   []string
	body   []byte
	login  string
	id     Identity
	status int
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p := strings.TrimPrefix(r.URL.EscapedPath(), Prefix)
	if p == "" {
		p = "/"
	}
	rec := Request{Method: r.Method, Path: p, Query: r.URL.Query(), Body: string(body), Token: token(r)}

	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() { s.requests = append(s.requests, rec) }()

	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	if rec.Token == "" {
		rec.Status = writeJSON(w, http.StatusUnauthorized, map[string]string{
			"message": "Requires authentication", "documentation_url": "https://docs.github.com/rest",
		})
		return
	}
	id := Identity{Login: DefaultLogin, App: &GitHubActions}
	if len(s.tokens) > 0 {
		known, ok := s.tokens[rec.Token]
		if !ok {
			rec.Status = writeJSON(w, http.StatusUnauthorized, map[string]string{
				"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
			})
			return
		}
		id = known
	}
	login := id.Login
	rec.Login = login
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	if f := s.matchFault(r.Method, p); f != nil {
		if f.Kind != LastInWindow {
			rec.Status = s.writeFault(w, f)
			return
		}
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(f.Reset.Unix(), 10))
	}

	var segs []string
	for _, seg := range strings.Split(strings.Trim(p, "/"), "/") {
		u, err := url.PathUnescape(seg)
		if err != nil {
			u = seg
		}
		segs = append(segs, u)
	}
	c := &call{w: w, r: r, path: p, segs: segs, body: body, login: login, id: id}
	if err := s.route(c); err != nil {
		body := map[string]any{"message": err.message, "documentation_url": "https://docs.github.com/rest"}
		if err.errs != nil {
			body["errors"] = err.errs
		}
		c.status = writeJSON(w, err.status, body)
	}
	rec.Status = c.status
}

func token(r *http.Request) string {
	a := r.Header.Get("Authorization")
	for _, scheme := range []string{"Bearer ", "bearer ", "token ", "Token "} {
		if strings.HasPrefix(a, scheme) {
			return strings.TrimSpace(strings.TrimPrefix(a, scheme))
		}
	}
	return ""
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return status
}

func (c *call) reply(status int, v any) *apiError {
	c.status = writeJSON(c.w, status, v)
	return nil
}

func (c *call) decode(v any) *apiError {
	dec := json.NewDecoder(bytes.NewReader(c.body))
	if err := dec.Decode(v); err != nil {
		return &apiError{status: http.StatusBadRequest, message: "Problems parsing JSON"}
	}
	return nil
}

// paginate answers one page of items with GitHub's Link header.
func paginate[T any](s *Server, c *call, items []T) *apiError {
	out, err := pageOf(s, c, items)
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, out)
}

// pageOf returns the page of items the request asks for and sets GitHub's
// Link header, for lists answered inside an object (check runs).
func pageOf[T any](s *Server, c *call, items []T) ([]T, *apiError) {
	q := c.r.URL.Query()
	perPage := 30
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, invalid("per_page must be a positive integer")
		}
		perPage = min(n, 100)
	}
	page := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, invalid("page must be a positive integer")
		}
		page = n
	}
	last := max(1, (len(items)+perPage-1)/perPage)
	lo := min((page-1)*perPage, len(items))
	hi := min(lo+perPage, len(items))
	link := func(n int) string {
		u := *c.r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(n))
		v.Set("per_page", strconv.Itoa(perPage))
		u.RawQuery = v.Encode()
		return fmt.Sprintf("<%s%s>", s.ts.URL, u.RequestURI())
	}
	var rels []string
	if page < last {
		rels = append(rels, link(page+1)+`; rel="next"`, link(last)+`; rel="last"`)
	}
	if page > 1 {
		rels = append(rels, link(1)+`; rel="first"`, link(min(page-1, last))+`; rel="prev"`)
	}
	if len(rels) > 0 {
		c.w.Header().Set("Link", strings.Join(rels, ", "))
	}
	out := items[lo:hi]
	if out == nil {
		out = []T{}
	}
	return out, nil
}
