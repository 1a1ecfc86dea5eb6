package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/approval"
	"github.com/roster-dev/roster/internal/githubtest"
)

// clientFor returns a client of srv using token.
func clientFor(t *testing.T, srv *githubtest.Server, token string) *Client {
	t.Helper()
	c, err := New(context.Background(), Options{Token: token, APIURL: srv.APIURL(), HTTPClient: srv.Client(), MaxWait: -1, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestListReviews(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{User: "alice", HeadSHA: "c1"})
	var want []approval.Review
	for i := range 130 { // two pages
		state := githubtest.Commented
		if i%3 == 0 {
			state = githubtest.Approved
		}
		when := time.Date(2026, 4, 1, 0, 0, i, 0, time.UTC)
		login := fmt.Sprintf("reviewer-%d", i%7)
		srv.AddReview(testRepo, pr, githubtest.Review{User: login, State: state, SubmittedAt: when})
		want = append(want, approval.Review{Login: login, State: approval.State(state), CommitSHA: "c1", SubmittedAt: when})
	}
	srv.PushToPullRequest(testRepo, pr, "c2")
	dismissed := srv.AddReview(testRepo, pr, githubtest.Review{User: "bob", State: githubtest.Approved, SubmittedAt: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)})
	srv.DismissReview(testRepo, pr, dismissed)
	want = append(want, approval.Review{Login: "bob", State: approval.Dismissed, CommitSHA: "c2", SubmittedAt: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)})

	got, err := c.ListReviews(context.Background(), testRepo, pr)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reviews (-want +got):\n%s", diff)
	}
	if n := srv.Count("GET", "/repos/*/*/pulls/*/reviews"); n != 2 {
		t.Errorf("pages read = %d, want 2", n)
	}
}

func TestIsTeamMember(t *testing.T) {
	t.Parallel()
	srv := githubtest.NewServer(t)
	srv.AddRepo(testRepo)
	srv.AddToken("ghs_workflow", githubtest.DefaultLogin)
	srv.AddIdentity("ghs_members_app", githubtest.Identity{Login: "roster-approvals[bot]", App: &githubtest.App{ID: 77, Slug: "roster-approvals"}, OrgRead: true})
	srv.AddIdentity("ghp_readorg", githubtest.Identity{Login: "ops", OrgRead: true})
	srv.AddToken("ghp_plain", "ops")
	srv.AddTeamMember("example-corp", "iam-admins", githubtest.TeamMember{Login: "Alice"})
	srv.AddTeamMember("example-corp", "iam-admins", githubtest.TeamMember{Login: "invited", State: "pending"})

	tests := []struct {
		name, token, team, login string
		want                     bool
		wantStatus               int // of a *TeamAccessError; 0 means no error
	}{
		{"active member, app with Members: read", "ghs_members_app", "iam-admins", "alice", true, 0},
		{"active member, PAT with read:org", "ghp_readorg", "iam-admins", "ALICE", true, 0},
		{"pending invitation is not membership", "ghs_members_app", "iam-admins", "invited", false, 0},
		{"not a member", "ghs_members_app", "iam-admins", "mallory", false, 0},
		{"unknown team is an error, not a no", "ghs_members_app", "iam-admin", "alice", false, 404},
		{"attack: workflow token cannot read teams", "ghs_workflow", "iam-admins", "alice", false, 403},
		{"attack: PAT without read:org sees no team", "ghp_plain", "iam-admins", "alice", false, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := clientFor(t, srv, tt.token)
			got, err := c.IsTeamMember(context.Background(), "example-corp", tt.team, tt.login)
			if got != tt.want {
				t.Errorf("IsTeamMember = %v, want %v", got, tt.want)
			}
			var te *TeamAccessError
			switch {
			case tt.wantStatus == 0 && err != nil:
				t.Fatalf("err = %v, want none", err)
			case tt.wantStatus != 0 && (!errors.As(err, &te) || te.Status != tt.wantStatus):
				t.Fatalf("err = %v, want a TeamAccessError with status %d", err, tt.wantStatus)
			case tt.wantStatus != 0:
				for _, s := range []string{"approvals-token", "Members: read", "read:org", "example-corp/" + tt.team} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				if !errors.Is(err, ErrTeamAccess) || !errors.Is(err, ErrPermission) {
					t.Errorf("error %v is not ErrTeamAccess and ErrPermission", err)
				}
			}
		})
	}
}

func TestTeamLookupFailureFailsSafeInEvaluate(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil) // the workflow's GITHUB_TOKEN
	srv.AddTeamMember("example-corp", "iam-admins", githubtest.TeamMember{Login: "alice"})
	res, err := approval.Evaluate(context.Background(), approval.Input{
		Rule:   approval.Rule{Required: 1, Reviewers: []string{"example-corp/iam-admins"}},
		Author: "bob", HeadSHA: "h",
		Reviews: []approval.Review{{Login: "alice", State: approval.Approved, CommitSHA: "h"}},
	}, c)
	if res.Met() || !errors.Is(err, ErrTeamAccess) {
		t.Errorf("Evaluate with a token that cannot read teams: met %v, err %v; want unmet and ErrTeamAccess", res.Met(), err)
	}
}

func TestFileAndDirAtRef(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	env := "account_id: \"111122223333\"\napprovals:\n  required: 2\n  reviewers: [octocat, example-corp/iam-admins]\n"
	srv.AddCommit(testRepo, "before", map[string]string{
		"access/production/environment.yaml": env,
		"access/staging/environment.yaml":    "account_id: \"444455556666\"\n",
		"access/roster.yaml":                 "order: [staging, production]\n",
	})
	srv.AddCommit(testRepo, "after", map[string]string{"access/production/environment.yaml": "approvals: {required: 0}\n"})
	ctx := context.Background()

	got, err := c.FileAtRef(ctx, testRepo, "access/production/environment.yaml", "before")
	if err != nil || string(got) != env {
		t.Errorf("FileAtRef(before) = %q, %v; want the rules as they were before", got, err)
	}
	if _, err := c.FileAtRef(ctx, testRepo, "access/testing/environment.yaml", "before"); !errors.Is(err, ErrFileNotFound) {
		t.Errorf("missing file: err = %v, want ErrFileNotFound", err)
	}
	if _, err := c.FileAtRef(ctx, testRepo, "access", "before"); err == nil || !strings.Contains(err.Error(), "folder") {
		t.Errorf("a folder read as a file: err = %v", err)
	}
	dir, err := c.DirAtRef(ctx, testRepo, "access", "before")
	if err != nil {
		t.Fatal(err)
	}
	for i := range dir {
		if dir[i].Type == "dir" {
			dir[i].SHA = "" // a tree's ID: the fake's own
		}
	}
	want := []DirEntry{
		{Name: "production", Path: "access/production", Type: "dir"},
		{Name: "roster.yaml", Path: "access/roster.yaml", Type: "file", SHA: BlobSHA([]byte("order: [staging, production]\n"))},
		{Name: "staging", Path: "access/staging", Type: "dir"},
	}
	if diff := cmp.Diff(want, dir); diff != "" {
		t.Errorf("DirAtRef (-want +got):\n%s", diff)
	}
	if _, err := c.DirAtRef(ctx, testRepo, "access", "unknown-sha"); !errors.Is(err, ErrFileNotFound) {
		t.Errorf("unknown commit: err = %v, want ErrFileNotFound", err)
	}
}

// BlobSHA is Git's object ID: `printf 'hello\n' | git hash-object --stdin`.
func TestBlobSHA(t *testing.T) {
	t.Parallel()
	for content, want := range map[string]string{
		"hello\n": "ce013625030ba8dba906f756967f9e9ca394464a",
		"":        "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
	} {
		if got := BlobSHA([]byte(content)); got != want {
			t.Errorf("BlobSHA(%q) = %s, want %s", content, got, want)
		}
	}
}
