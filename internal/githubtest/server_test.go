package githubtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const repoName = "acme/access"

// answer is the status and headers of a response whose body was read.
type answer struct {
	StatusCode int
	Header     http.Header
}

// do sends one request with token (none when empty) and decodes the JSON
// answer into out (when non-nil).
func do(t *testing.T, s *Server, method, path, token, body string, out any) answer {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.APIURL()+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return answer{StatusCode: resp.StatusCode, Header: resp.Header}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	s.AddRepo(repoName)

	var msg struct{ Message string }
	if resp := do(t, s, "GET", "/repos/acme/access/issues", "", "", &msg); resp.StatusCode != 401 || msg.Message != "Requires authentication" {
		t.Errorf("no token: %d %q, want 401 Requires authentication", resp.StatusCode, msg.Message)
	}
	var user struct{ Login string }
	do(t, s, "GET", "/user", "any-token", "", &user)
	if user.Login != DefaultLogin {
		t.Errorf("any token acts as %q, want %q", user.Login, DefaultLogin)
	}

	s.AddToken("pat", "alice")
	if resp := do(t, s, "GET", "/user", "any-token", "", &msg); resp.StatusCode != 401 || msg.Message != "Bad credentials" {
		t.Errorf("unregistered token: %d %q, want 401 Bad credentials", resp.StatusCode, msg.Message)
	}
	do(t, s, "GET", "/user", "pat", "", &user)
	if user.Login != "alice" {
		t.Errorf("registered token acts as %q, want alice", user.Login)
	}
	var tokens []string
	for _, r := range s.Requests() {
		tokens = append(tokens, r.Token)
	}
	if diff := cmp.Diff([]string{"", "any-token", "any-token", "pat"}, tokens); diff != "" {
		t.Errorf("recorded tokens (-want +got):\n%s", diff)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	s.AddRepo(repoName)
	tests := []struct{ name, url string }{
		{"unknown repository", s.APIURL() + "/repos/acme/other/issues"},
		{"unknown issue", s.APIURL() + "/repos/acme/access/issues/9"},
		{"outside the API prefix", s.URL() + "/repos/acme/access/issues"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", tt.url, nil)
		req.Header.Set("Authorization", "token x")
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404", tt.name, resp.StatusCode)
		}
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	n := s.AddPullRequest(repoName, PullRequest{HeadSHA: "a"})
	for range 5 {
		s.AddComment(repoName, n, "bob", "hi")
	}
	tests := []struct {
		query    string
		wantLen  int
		wantRels []string
	}{
		{"?per_page=2", 2, []string{"next", "last"}},
		{"?per_page=2&page=2", 2, []string{"next", "last", "first", "prev"}},
		{"?per_page=2&page=3", 1, []string{"first", "prev"}},
		{"?per_page=2&page=4", 0, []string{"first", "prev"}},
		{"", 5, nil},
	}
	for _, tt := range tests {
		var got []map[string]any
		resp := do(t, s, "GET", "/repos/acme/access/issues/1/comments"+tt.query, "x", "", &got)
		if len(got) != tt.wantLen {
			t.Errorf("%q: %d comments, want %d", tt.query, len(got), tt.wantLen)
		}
		var rels []string
		for _, part := range strings.Split(resp.Header.Get("Link"), ",") {
			if _, rel, ok := strings.Cut(part, `rel="`); ok {
				rels = append(rels, strings.TrimSuffix(rel, `"`))
			}
			if part != "" && !strings.Contains(part, "<"+s.APIURL()+"/repos/acme/access/issues/1/comments?") {
				t.Errorf("%q: link %q does not point back under the API URL", tt.query, part)
			}
		}
		if diff := cmp.Diff(tt.wantRels, rels); diff != "" {
			t.Errorf("%q: Link relations (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestListIssuesFilters(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	s.AddIssue(repoName, Issue{Title: "one", Labels: []string{"roster:drift", "env:prod"}})
	s.AddIssue(repoName, Issue{Title: "two", Labels: []string{"roster:drift"}, State: "closed"})
	s.AddPullRequest(repoName, PullRequest{Title: "three", HeadSHA: "a"})
	s.AddIssue(repoName, Issue{Title: "four", Labels: []string{"roster:drift", "env:prod"}})
	tests := []struct{ query, want string }{
		{"", "four three one"},
		{"?state=all", "four three two one"},
		{"?state=closed", "two"},
		{"?state=all&labels=roster:drift", "four two one"},
		{"?labels=roster:drift,env:prod", "four one"},
		{"?labels=ROSTER:DRIFT,env:prod&direction=asc", "one four"},
	}
	for _, tt := range tests {
		var got []struct {
			Title       string
			PullRequest *struct{ URL string } `json:"pull_request"`
		}
		do(t, s, "GET", "/repos/acme/access/issues"+tt.query, "x", "", &got)
		var titles []string
		for _, g := range got {
			titles = append(titles, g.Title)
			if (g.PullRequest != nil) != (g.Title == "three") {
				t.Errorf("%q: %s pull_request field = %v", tt.query, g.Title, g.PullRequest)
			}
		}
		if diff := cmp.Diff(tt.want, strings.Join(titles, " ")); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestWritesValidated(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	n := s.AddIssue(repoName, Issue{Title: "t"})
	long := `{"body":"` + strings.Repeat("x", MaxBodyLength+1) + `"}`
	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{"comment too long", "POST", "/repos/acme/access/issues/1/comments", long, 422},
		{"empty comment", "POST", "/repos/acme/access/issues/1/comments", `{"body":""}`, 422},
		{"issue without title", "POST", "/repos/acme/access/issues", `{"body":"b"}`, 422},
		{"issue body too long", "PATCH", "/repos/acme/access/issues/1", long, 422},
		{"bad state", "PATCH", "/repos/acme/access/issues/1", `{"state":"gone"}`, 422},
		{"not JSON", "POST", "/repos/acme/access/labels", `{`, 400},
		{"new label", "POST", "/repos/acme/access/labels", `{"name":"x"}`, 201},
		{"label exists", "POST", "/repos/acme/access/labels", `{"name":"X"}`, 422},
	}
	for _, tt := range tests {
		if resp := do(t, s, tt.method, tt.path, "x", tt.body, nil); resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	if got := s.Comments(repoName, n); len(got) != 0 {
		t.Errorf("refused writes left comments: %+v", got)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	n := s.AddIssue(repoName, Issue{Title: "t"})
	reset := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	s.Inject(Fault{Kind: PrimaryRateLimit, Method: "POST", Path: "/repos/*/*/issues/*/comments", Times: 1, Reset: reset})
	s.Inject(Fault{Kind: SecondaryRateLimit, Method: "POST", Times: 1, RetryAfter: 30 * time.Second})
	s.Inject(Fault{Kind: NoPermission, Method: "PATCH", Permissions: "issues=write"})

	type fault struct {
		Status  int
		Headers map[string]string
		Message string
	}
	var got []fault
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/repos/acme/access/issues/1/comments", `{"body":"a"}`},
		{"POST", "/repos/acme/access/issues/1/comments", `{"body":"b"}`},
		{"POST", "/repos/acme/access/issues/1/comments", `{"body":"c"}`},
		{"PATCH", "/repos/acme/access/issues/1", `{"title":"new"}`},
	} {
		var msg struct{ Message string }
		resp := do(t, s, req.method, req.path, "x", req.body, &msg)
		a := fault{Status: resp.StatusCode, Headers: map[string]string{}}
		if resp.StatusCode != 201 {
			a.Message = msg.Message
		}
		headers := []string{"Retry-After", "X-Accepted-GitHub-Permissions"}
		if resp.Header.Get("X-RateLimit-Remaining") == "0" {
			headers = append(headers, "X-RateLimit-Remaining", "X-RateLimit-Reset")
		}
		for _, h := range headers {
			if v := resp.Header.Get(h); v != "" && resp.StatusCode != 201 {
				a.Headers[h] = v
			}
		}
		got = append(got, a)
	}
	want := []fault{
		{403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1777593600"}, "API rate limit exceeded for installation ID 1000."},
		{403, map[string]string{"Retry-After": "30"}, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000."},
		{201, map[string]string{}, ""},
		{403, map[string]string{"X-Accepted-GitHub-Permissions": "issues=write"}, "Resource not accessible by integration"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	var bodies []string
	for _, c := range s.Comments(repoName, n) {
		bodies = append(bodies, c.Body)
	}
	if diff := cmp.Diff([]string{"c"}, bodies); diff != "" {
		t.Errorf("faulted requests changed state (-want +got):\n%s", diff)
	}
	if is, _ := s.Issue(repoName, n); is.Title != "t" {
		t.Errorf("title = %q after a refused edit", is.Title)
	}
	if got := s.Count("POST", "/repos/*/*/issues/*/comments"); got != 1 {
		t.Errorf("Count of successful comment creations = %d, want 1", got)
	}
}

func TestIssueStateByAPIAndByPerson(t *testing.T) {
	t.Parallel()
	s := NewServer(t)
	n := s.AddIssue(repoName, Issue{Title: "t", Body: "b"})

	do(t, s, "PATCH", "/repos/acme/access/issues/1", "x", `{"state":"closed","state_reason":"completed"}`, nil)
	is, _ := s.Issue(repoName, n)
	if is.State != "closed" || is.ClosedBy != DefaultLogin || is.StateReason != "completed" || is.ClosedAt.IsZero() {
		t.Errorf("closed through the API: %+v", is)
	}
	do(t, s, "PATCH", "/repos/acme/access/issues/1", "x", `{"state":"open"}`, nil)
	is, _ = s.Issue(repoName, n)
	if is.State != "open" || is.ClosedBy != "" || is.StateReason != "reopened" {
		t.Errorf("reopened through the API: %+v", is)
	}
	s.CloseIssueAsUser(repoName, n, "alice", "not_planned")
	var got struct {
		State       string
		StateReason string                 `json:"state_reason"`
		ClosedBy    struct{ Login string } `json:"closed_by"`
	}
	do(t, s, "GET", "/repos/acme/access/issues/1", "x", "", &got)
	if got.State != "closed" || got.StateReason != "not_planned" || got.ClosedBy.Login != "alice" {
		t.Errorf("closed by a person, as the API shows it: %+v", got)
	}
}
