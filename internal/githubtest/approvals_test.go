package githubtest

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	gh "github.com/google/go-github/v60/github"
)

// Tokens of the identities the approval endpoints tell apart.
const (
	actionsToken = "ghs_actions"   // the workflow's GITHUB_TOKEN
	otherApp     = "ghs_other_app" // another GitHub App's installation token
	orgApp       = "ghs_org_app"   // an app token with Members: read
	patToken     = "ghp_alice"     // a person's token without read:org
	orgPAT       = "ghp_org_alice" // a person's token with read:org
)

func approvalServer(t *testing.T) *Server {
	t.Helper()
	s := NewServer(t)
	s.AddRepo(repoName)
	s.AddToken(actionsToken, DefaultLogin)
	s.AddIdentity(otherApp, Identity{Login: "lookalike[bot]", App: &App{ID: 99, Slug: "lookalike", Owner: "mallory"}})
	s.AddIdentity(orgApp, Identity{Login: "roster-approvals[bot]", App: &App{ID: 77, Slug: "roster-approvals"}, OrgRead: true})
	s.AddToken(patToken, "alice")
	s.AddIdentity(orgPAT, Identity{Login: "alice", OrgRead: true})
	return s
}

func TestListReviews(t *testing.T) {
	t.Parallel()
	s := approvalServer(t)
	n := s.AddPullRequest(repoName, PullRequest{User: "alice", HeadSHA: "c1"})
	s.AddReview(repoName, n, Review{User: "bob", State: Approved})
	s.PushToPullRequest(repoName, n, "c2")
	dismissed := s.AddReview(repoName, n, Review{User: "carol", State: Approved, Body: "ok"})
	s.DismissReview(repoName, n, dismissed)
	s.AddReview(repoName, n, Review{User: "dave", State: Pending})
	s.AddReview(repoName, n, Review{State: Commented}) // a deleted account

	type review struct{ User, State, Commit string }
	list := func(token string) []review {
		var got []*gh.PullRequestReview
		if resp := do(t, s, "GET", "/repos/acme/access/pulls/1/reviews?per_page=2", token, "", &got); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		var page2 []*gh.PullRequestReview
		do(t, s, "GET", "/repos/acme/access/pulls/1/reviews?per_page=2&page=2", token, "", &page2)
		var out []review
		for _, r := range append(got, page2...) {
			if r.GetState() != Pending && r.SubmittedAt == nil {
				t.Errorf("review %d has no submitted_at", r.GetID())
			}
			out = append(out, review{r.GetUser().GetLogin(), r.GetState(), r.GetCommitID()})
		}
		return out
	}
	want := []review{{"bob", Approved, "c1"}, {"carol", Dismissed, "c2"}, {"", Commented, "c2"}}
	if diff := cmp.Diff(want, list(actionsToken)); diff != "" {
		t.Errorf("reviews seen by the workflow token (-want +got):\n%s", diff)
	}
	s.AddIdentity("ghp_dave", Identity{Login: "dave"})
	wantDave := []review{{"bob", Approved, "c1"}, {"carol", Dismissed, "c2"}, {"dave", Pending, "c2"}, {"", Commented, "c2"}}
	if diff := cmp.Diff(wantDave, list("ghp_dave")); diff != "" {
		t.Errorf("reviews seen by the pending review's author (-want +got):\n%s", diff)
	}
}

func TestCheckRunsOnlyAppsCreate(t *testing.T) {
	t.Parallel()
	s := approvalServer(t)
	s.AddPullRequest(repoName, PullRequest{HeadSHA: "head1"})
	body := `{"name":"roster/plan","head_sha":"head1","status":"completed","conclusion":"success","output":{"title":"t","summary":"s","text":"x"}}`

	var msg struct{ Message string }
	if resp := do(t, s, "POST", "/repos/acme/access/check-runs", patToken, body, &msg); resp.StatusCode != 403 || msg.Message != "Resource not accessible by personal access token" {
		t.Errorf("person's token: %d %q, want 403 Resource not accessible by personal access token", resp.StatusCode, msg.Message)
	}
	var cr gh.CheckRun
	if resp := do(t, s, "POST", "/repos/acme/access/check-runs", actionsToken, body, &cr); resp.StatusCode != 201 {
		t.Fatalf("workflow token: status %d, want 201", resp.StatusCode)
	}
	want := gh.CheckRun{
		Name: gh.String("roster/plan"), HeadSHA: gh.String("head1"), Status: gh.String("completed"), Conclusion: gh.String("success"),
		Output: &gh.CheckRunOutput{Title: gh.String("t"), Summary: gh.String("s"), Text: gh.String("x")},
		App:    &gh.App{ID: gh.Int64(15368), Slug: gh.String("github-actions"), Owner: &gh.User{Login: gh.String("github")}},
	}
	got := gh.CheckRun{
		Name: cr.Name, HeadSHA: cr.HeadSHA, Status: cr.Status, Conclusion: cr.Conclusion,
		Output: &gh.CheckRunOutput{Title: cr.Output.Title, Summary: cr.Output.Summary, Text: cr.Output.Text},
		App:    &gh.App{ID: cr.App.ID, Slug: cr.App.Slug, Owner: &gh.User{Login: cr.App.Owner.Login}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created check run (-want +got):\n%s", diff)
	}
	if cr.CompletedAt == nil || cr.StartedAt == nil {
		t.Errorf("completed check run lacks started_at or completed_at: %v", cr)
	}

	patch := `{"name":"roster/plan","output":{"title":"forged","summary":"forged"}}`
	for tok, want := range map[string]string{
		otherApp: "Invalid app_id `15368` - check run can only be modified by the GitHub App that created it.",
		patToken: "Resource not accessible by personal access token",
	} {
		if resp := do(t, s, "PATCH", "/repos/acme/access/check-runs/"+itoa(cr.GetID()), tok, patch, &msg); resp.StatusCode != 403 || msg.Message != want {
			t.Errorf("update by %s: %d %q, want 403 %q", tok, resp.StatusCode, msg.Message, want)
		}
	}
	if resp := do(t, s, "PATCH", "/repos/acme/access/check-runs/"+itoa(cr.GetID()), actionsToken, `{"output":{"title":"t2","summary":"s2"}}`, &cr); resp.StatusCode != 200 || cr.GetOutput().GetTitle() != "t2" || cr.GetOutput().GetText() != "x" {
		t.Errorf("update by its app: %d title %q text %q, want 200 t2 x", resp.StatusCode, cr.GetOutput().GetTitle(), cr.GetOutput().GetText())
	}
	if got := s.CheckRuns(repoName); len(got) != 1 || got[0].Title != "t2" || got[0].App != GitHubActions {
		t.Errorf("state after updates: %+v", got)
	}

	bad := []struct{ name, body string }{
		{"no name", `{"head_sha":"head1"}`},
		{"unknown commit", `{"name":"x","head_sha":"nope"}`},
		{"output without summary", `{"name":"x","head_sha":"head1","output":{"title":"t"}}`},
		{"completed without conclusion", `{"name":"x","head_sha":"head1","status":"completed"}`},
		{"summary too long", `{"name":"x","head_sha":"head1","output":{"title":"t","summary":"` + strings.Repeat("a", MaxCheckOutputLength+1) + `"}}`},
	}
	for _, b := range bad {
		if resp := do(t, s, "POST", "/repos/acme/access/check-runs", actionsToken, b.body, nil); resp.StatusCode != 422 {
			t.Errorf("%s: status %d, want 422", b.name, resp.StatusCode)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestListCheckRunsFilters(t *testing.T) {
	t.Parallel()
	s := approvalServer(t)
	s.AddPullRequest(repoName, PullRequest{HeadSHA: "h"})
	s.AddCommit(repoName, "m", nil)
	s.SetBranch(repoName, "main", "m")
	first := s.AddCheckRun(repoName, CheckRun{Name: "roster/plan", HeadSHA: "h", App: GitHubActions, Title: "old"})
	second := s.AddCheckRun(repoName, CheckRun{Name: "roster/plan", HeadSHA: "h", App: GitHubActions, Title: "new"})
	forged := s.AddCheckRun(repoName, CheckRun{Name: "roster/plan", HeadSHA: "h", App: App{ID: 99, Slug: "lookalike"}})
	other := s.AddCheckRun(repoName, CheckRun{Name: "build", HeadSHA: "h", App: GitHubActions})
	onMain := s.AddCheckRun(repoName, CheckRun{Name: "roster/plan", HeadSHA: "m", App: GitHubActions})

	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{other, forged, second}},
		{"?filter=all", []int64{other, forged, second, first}},
		{"?check_name=roster/plan&filter=all", []int64{forged, second, first}},
		{"?check_name=roster/plan&app_id=15368&filter=all", []int64{second, first}},
		{"?check_name=roster/plan&app_id=15368", []int64{second}},
		{"?app_id=99", []int64{forged}},
	}
	for _, tt := range tests {
		var res gh.ListCheckRunsResults
		if resp := do(t, s, "GET", "/repos/acme/access/commits/h/check-runs"+tt.query, patToken, "", &res); resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", tt.query, resp.StatusCode)
		}
		var got []int64
		for _, cr := range res.CheckRuns {
			got = append(got, cr.GetID())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" || res.GetTotal() != len(tt.want) {
			t.Errorf("%q: total %d, ids (-want +got):\n%s", tt.query, res.GetTotal(), diff)
		}
	}
	var res gh.ListCheckRunsResults
	do(t, s, "GET", "/repos/acme/access/commits/main/check-runs", patToken, "", &res)
	if len(res.CheckRuns) != 1 || res.CheckRuns[0].GetID() != onMain {
		t.Errorf("by branch name: %v, want check run %d", res.CheckRuns, onMain)
	}
	var page gh.ListCheckRunsResults
	resp := do(t, s, "GET", "/repos/acme/access/commits/h/check-runs?filter=all&per_page=3", patToken, "", &page)
	if len(page.CheckRuns) != 3 || page.GetTotal() != 4 || !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
		t.Errorf("first page: %d runs of %d, Link %q; want 3 of 4 with a next page", len(page.CheckRuns), page.GetTotal(), resp.Header.Get("Link"))
	}
}

func TestTeamMembership(t *testing.T) {
	t.Parallel()
	s := approvalServer(t)
	s.AddTeamMember("Example-Corp", "iam-admins", TeamMember{Login: "OctoCat", Role: "maintainer"})
	s.AddTeamMember("example-corp", "iam-admins", TeamMember{Login: "newbie", State: "pending"})
	s.AddTeam("example-corp", "empty")

	tests := []struct {
		name, token, path string
		wantStatus        int
		wantBody          string
		wantHeader        string
	}{
		{"active maintainer, any case", orgApp, "/orgs/example-corp/teams/iam-admins/memberships/octocat", 200, `"role":"maintainer","state":"active"`, ""},
		{"pending invitation", orgPAT, "/orgs/EXAMPLE-CORP/teams/iam-admins/memberships/newbie", 200, `"role":"member","state":"pending"`, ""},
		{"not a member", orgApp, "/orgs/example-corp/teams/iam-admins/memberships/mallory", 404, `"Not Found"`, ""},
		{"team visible", orgApp, "/orgs/example-corp/teams/empty", 200, `"slug":"empty"`, ""},
		{"no such team", orgApp, "/orgs/example-corp/teams/nope/memberships/octocat", 404, `"Not Found"`, ""},
		{"workflow token", actionsToken, "/orgs/example-corp/teams/iam-admins/memberships/octocat", 403, "Resource not accessible by integration", "members=read"},
		{"workflow token, team", actionsToken, "/orgs/example-corp/teams/iam-admins", 403, "Resource not accessible by integration", "members=read"},
		{"person without read:org", patToken, "/orgs/example-corp/teams/iam-admins/memberships/octocat", 404, `"Not Found"`, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", s.APIURL()+tt.path, nil)
		req.Header.Set("Authorization", "Bearer "+tt.token)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tt.wantStatus || !strings.Contains(string(data), tt.wantBody) || resp.Header.Get("X-Accepted-GitHub-Permissions") != tt.wantHeader {
			t.Errorf("%s: %d %s (X-Accepted-GitHub-Permissions %q), want %d containing %s (%q)", tt.name, resp.StatusCode, data, resp.Header.Get("X-Accepted-GitHub-Permissions"), tt.wantStatus, tt.wantBody, tt.wantHeader)
		}
	}
}

func TestContents(t *testing.T) {
	t.Parallel()
	s := approvalServer(t)
	env := "account_id: \"111122223333\"\napprovals:\n  required: 2\n" + strings.Repeat("# padding to span several base64 lines\n", 5)
	s.AddCommit(repoName, "before", map[string]string{
		"access/production/environment.yaml": env,
		"access/production/users/alice.yaml": "users: []\n",
		"access/roster.yaml":                 "order: [production]\n",
		"big.bin":                            strings.Repeat("x", MaxContentSize+1),
	})
	s.SetBranch(repoName, "main", "before")

	var file gh.RepositoryContent
	if resp := do(t, s, "GET", "/repos/acme/access/contents/access/production/environment.yaml?ref=before", patToken, "", &file); resp.StatusCode != 200 {
		t.Fatalf("file: status %d", resp.StatusCode)
	}
	got, err := file.GetContent()
	if err != nil || got != env || file.GetType() != "file" || file.GetSize() != len(env) || file.GetEncoding() != "base64" || !strings.Contains(*file.Content, "\n") {
		t.Errorf("file: %q (err %v) type %q size %d, want the seeded content", got, err, file.GetType(), file.GetSize())
	}
	var alice gh.RepositoryContent
	do(t, s, "GET", "/repos/acme/access/contents/access/production/users/alice.yaml?ref=main", patToken, "", &alice)
	if want := "dd16570a6ba621615521ec3042f1b243ce86d2f1"; alice.GetSHA() != want { // git hash-object of "users: []\n"
		t.Errorf("blob sha %q, want Git's %q", alice.GetSHA(), want)
	}

	var dir []*gh.RepositoryContent
	do(t, s, "GET", "/repos/acme/access/contents/access", patToken, "", &dir) // default branch
	var entries []string
	for _, e := range dir {
		entries = append(entries, e.GetType()+" "+e.GetPath())
	}
	if diff := cmp.Diff([]string{"dir access/production", "file access/roster.yaml"}, entries); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}

	var big gh.RepositoryContent
	do(t, s, "GET", "/repos/acme/access/contents/big.bin?ref=before", patToken, "", &big)
	if big.GetEncoding() != "none" || big.Content == nil || *big.Content != "" {
		t.Errorf("file over 1 MB: encoding %q, want none and no content", big.GetEncoding())
	}
	for _, p := range []string{"/repos/acme/access/contents/access/nope.yaml?ref=before", "/repos/acme/access/contents/access?ref=unknown"} {
		if resp := do(t, s, "GET", p, patToken, "", nil); resp.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404", p, resp.StatusCode)
		}
	}
}
