package github

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/githubtest"
)

const (
	workflowToken = "ghs_workflow"  // the workflow's GITHUB_TOKEN
	lookalike     = "ghs_lookalike" // another app, installed by someone with write access
	personToken   = "ghp_mallory"   // a person with write access
)

// recordServer has a pull request whose head is "head1" and clients for
// the workflow's token, another app's and a person's.
func recordServer(t *testing.T) (srv *githubtest.Server, pr int, clients map[string]*Client) {
	t.Helper()
	srv = githubtest.NewServer(t)
	srv.AddToken(workflowToken, githubtest.DefaultLogin)
	srv.AddIdentity(lookalike, githubtest.Identity{Login: "github-actlons[bot]", App: &githubtest.App{ID: 666, Slug: "github-actlons", Owner: "mallory"}})
	srv.AddToken(personToken, "mallory")
	pr = srv.AddPullRequest(testRepo, githubtest.PullRequest{User: "mallory", HeadSHA: "head1"})
	clients = map[string]*Client{}
	for _, tok := range []string{workflowToken, lookalike, personToken} {
		clients[tok] = clientFor(t, srv, tok)
	}
	return srv, pr, clients
}

// seedRecord puts a plan-record check run by app on "head1", as a
// workflow or an app other than roster's plan job would write it.
func seedRecord(srv *githubtest.Server, app githubtest.App, status, text string) {
	srv.AddCheckRun(testRepo, githubtest.CheckRun{Name: PlanRecordName, HeadSHA: "head1", App: app, Status: status, Title: "t", Summary: "s", Text: text})
}

func TestPlanRecordLifecycle(t *testing.T) {
	t.Parallel()
	srv, pr, cl := recordServer(t)
	ctx := context.Background()
	c := cl[workflowToken]
	rec := PlanRecord{PullRequest: pr, HeadSHA: "head1", Digests: map[string]string{"production": "sha256:aaa", "staging": "sha256:bbb"}}

	if _, err := c.FindPlanRecord(ctx, testRepo, pr, "head1", GitHubActions); !errors.Is(err, ErrNoPlanRecord) {
		t.Fatalf("before planning: err = %v, want ErrNoPlanRecord", err)
	}
	wrote, err := c.CreateOrUpdatePlanRecord(ctx, testRepo, rec, RecordOptions{DetailsURL: "https://example.test/run/1"}, GitHubActions)
	if err != nil {
		t.Fatal(err)
	}
	if wrote.App != GitHubActions {
		t.Errorf("written by %v, want %v", wrote.App, GitHubActions)
	}
	// A re-run (a new review, the job re-run) updates the record in place.
	rec.Digests["production"] = "sha256:ccc"
	if _, err := c.CreateOrUpdatePlanRecord(ctx, testRepo, rec, RecordOptions{Summary: "plan"}, GitHubActions); err != nil {
		t.Fatal(err)
	}
	if posts, patches := srv.Count("POST", "/repos/*/*/check-runs"), srv.Count("PATCH", "/repos/*/*/check-runs/*"); posts != 1 || patches != 1 {
		t.Errorf("created %d and updated %d check runs, want 1 and 1", posts, patches)
	}
	got, err := c.FindPlanRecord(ctx, testRepo, pr, "head1", GitHubActions)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec, got.PlanRecord); diff != "" || got.CheckRunID != wrote.CheckRunID {
		t.Errorf("record read back (-want +got):\n%s (check run %d, want %d)", diff, got.CheckRunID, wrote.CheckRunID)
	}
	runs := srv.CheckRuns(testRepo)
	if len(runs) != 1 || runs[0].Name != PlanRecordName || runs[0].Status != "completed" || runs[0].Conclusion != "success" || runs[0].Summary != "plan" || !strings.HasPrefix(runs[0].Text, "```json\n") {
		t.Errorf("check run as stored: %+v", runs)
	}

	// A push moves the head: the old commit's record says nothing about it.
	srv.PushToPullRequest(testRepo, pr, "head2")
	if _, err := c.FindPlanRecord(ctx, testRepo, pr, "head2", GitHubActions); !errors.Is(err, ErrNoPlanRecord) {
		t.Errorf("new head without a plan: err = %v, want ErrNoPlanRecord", err)
	}
}

func TestPlanRecordAttacks(t *testing.T) {
	t.Parallel()
	genuine := PlanRecord{HeadSHA: "head1", Digests: map[string]string{"production": "sha256:reviewed"}}
	forged := PlanRecord{HeadSHA: "head1", Digests: map[string]string{"production": "sha256:forged"}}
	text := func(rec PlanRecord) string {
		s, err := encodeRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	tests := []struct {
		name    string
		attack  func(t *testing.T, srv *githubtest.Server, pr int, cl map[string]*Client)
		plan    bool  // the genuine plan job ran first
		wantErr error // of FindPlanRecord; nil means the genuine record is found
	}{
		{
			name: "a person cannot write a record with their own token",
			attack: func(t *testing.T, _ *githubtest.Server, pr int, cl map[string]*Client) {
				f := forged
				f.PullRequest = pr
				if _, err := cl[personToken].CreateOrUpdatePlanRecord(context.Background(), testRepo, f, RecordOptions{}, GitHubActions); !errors.Is(err, ErrNotAnApp) {
					t.Errorf("person's write: err = %v, want ErrNotAnApp", err)
				}
			},
			wantErr: ErrNoPlanRecord,
		},
		{
			name: "another app's record is ignored",
			attack: func(t *testing.T, _ *githubtest.Server, pr int, cl map[string]*Client) {
				f := forged
				f.PullRequest = pr
				_, err := cl[lookalike].CreateOrUpdatePlanRecord(context.Background(), testRepo, f, RecordOptions{}, App{Slug: "github-actlons"})
				if err != nil {
					t.Fatalf("the lookalike app writes its own check run: %v", err)
				}
			},
			wantErr: ErrNoPlanRecord,
		},
		{
			name: "another app's record beside the genuine one changes nothing",
			plan: true,
			attack: func(t *testing.T, srv *githubtest.Server, pr int, _ map[string]*Client) {
				f := forged
				f.PullRequest = pr
				seedRecord(srv, githubtest.App{ID: 666, Slug: "github-actlons"}, "", text(f))
			},
		},
		{
			name: "an app claiming the trusted slug with another id is ignored",
			attack: func(t *testing.T, srv *githubtest.Server, pr int, _ map[string]*Client) {
				f := forged
				f.PullRequest = pr
				seedRecord(srv, githubtest.App{ID: 999, Slug: "github-actions"}, "", text(f))
			},
			wantErr: ErrNoPlanRecord,
		},
		{
			name: "a second record of the trusted app that disagrees is refused",
			plan: true,
			attack: func(t *testing.T, srv *githubtest.Server, pr int, _ map[string]*Client) {
				f := forged
				f.PullRequest = pr
				seedRecord(srv, githubtest.GitHubActions, "", text(f))
			},
			wantErr: ErrBadPlanRecord,
		},
		{
			name: "a record of another pull request is refused",
			attack: func(t *testing.T, srv *githubtest.Server, pr int, _ map[string]*Client) {
				f := forged
				f.PullRequest = pr + 1
				seedRecord(srv, githubtest.GitHubActions, "", text(f))
			},
			wantErr: ErrBadPlanRecord,
		},
		{
			name: "a record whose text is not roster's block is refused",
			attack: func(t *testing.T, srv *githubtest.Server, _ int, _ map[string]*Client) {
				seedRecord(srv, githubtest.GitHubActions, "", "production: sha256:forged")
			},
			wantErr: ErrBadPlanRecord,
		},
		{
			name: "a record that is bare JSON, not roster's fenced block, is refused",
			attack: func(t *testing.T, srv *githubtest.Server, pr int, _ map[string]*Client) {
				f := genuine
				f.PullRequest = pr
				bare := strings.TrimPrefix(text(f), "```json\n")
				seedRecord(srv, githubtest.GitHubActions, "", bare)
			},
			wantErr: ErrBadPlanRecord,
		},
		{
			name: "a record still in progress is refused",
			attack: func(t *testing.T, srv *githubtest.Server, pr int, _ map[string]*Client) {
				f := genuine
				f.PullRequest = pr
				seedRecord(srv, githubtest.GitHubActions, "in_progress", text(f))
			},
			wantErr: ErrBadPlanRecord,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, pr, cl := recordServer(t)
			ctx := context.Background()
			want := genuine
			want.PullRequest = pr
			if tt.plan {
				if _, err := cl[workflowToken].CreateOrUpdatePlanRecord(ctx, testRepo, want, RecordOptions{}, GitHubActions); err != nil {
					t.Fatal(err)
				}
			}
			tt.attack(t, srv, pr, cl)
			got, err := cl[workflowToken].FindPlanRecord(ctx, testRepo, pr, "head1", GitHubActions)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("FindPlanRecord: err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil {
				if diff := cmp.Diff(want, got.PlanRecord); diff != "" {
					t.Errorf("record (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestPlanRecordRerunRepairsADuplicate(t *testing.T) {
	t.Parallel()
	srv, pr, cl := recordServer(t)
	ctx := context.Background()
	rec := PlanRecord{PullRequest: pr, HeadSHA: "head1", Digests: map[string]string{"production": "sha256:reviewed"}}
	if _, err := cl[workflowToken].CreateOrUpdatePlanRecord(ctx, testRepo, rec, RecordOptions{}, GitHubActions); err != nil {
		t.Fatal(err)
	}
	bad := rec
	bad.Digests = map[string]string{"production": "sha256:other"}
	doc, _ := encodeRecord(bad)
	seedRecord(srv, githubtest.GitHubActions, "", doc)
	if _, err := cl[workflowToken].FindPlanRecord(ctx, testRepo, pr, "head1", GitHubActions); !errors.Is(err, ErrBadPlanRecord) {
		t.Fatalf("disagreeing records: err = %v, want ErrBadPlanRecord", err)
	}
	if _, err := cl[workflowToken].CreateOrUpdatePlanRecord(ctx, testRepo, rec, RecordOptions{}, GitHubActions); err != nil {
		t.Fatal(err)
	}
	got, err := cl[workflowToken].FindPlanRecord(ctx, testRepo, pr, "head1", GitHubActions)
	if err != nil || got.Digests["production"] != "sha256:reviewed" {
		t.Errorf("after re-running the plan: %v, %v; want the reviewed digest", got.Digests, err)
	}
}

func TestPlanRecordWrongTrustedApp(t *testing.T) {
	t.Parallel()
	_, pr, cl := recordServer(t)
	rec := PlanRecord{PullRequest: pr, HeadSHA: "head1", Digests: map[string]string{"production": "sha256:x"}}
	_, err := cl[lookalike].CreateOrUpdatePlanRecord(context.Background(), testRepo, rec, RecordOptions{}, GitHubActions)
	if !errors.Is(err, ErrUntrustedApp) || !strings.Contains(err.Error(), "github-actlons (app 666)") {
		t.Errorf("err = %v, want ErrUntrustedApp naming the token's app", err)
	}
}

func TestPlanRecordAnotherAppCannotOverwrite(t *testing.T) {
	t.Parallel()
	srv, pr, cl := recordServer(t)
	ctx := context.Background()
	rec := PlanRecord{PullRequest: pr, HeadSHA: "head1", Digests: map[string]string{"production": "sha256:reviewed"}}
	if _, err := cl[workflowToken].CreateOrUpdatePlanRecord(ctx, testRepo, rec, RecordOptions{}, GitHubActions); err != nil {
		t.Fatal(err)
	}
	forged := rec
	forged.Digests = map[string]string{"production": "sha256:forged"}
	// The other app names the trusted app so that it tries to update the
	// genuine record in place; GitHub refuses.
	if _, err := cl[lookalike].CreateOrUpdatePlanRecord(ctx, testRepo, forged, RecordOptions{}, GitHubActions); !errors.Is(err, ErrUntrustedApp) {
		t.Errorf("overwrite by another app: err = %v, want ErrUntrustedApp", err)
	}
	got, err := cl[workflowToken].FindPlanRecord(ctx, testRepo, pr, "head1", GitHubActions)
	if err != nil || got.Digests["production"] != "sha256:reviewed" {
		t.Errorf("record after the attempt: %v, %v; want the reviewed digest", got.Digests, err)
	}
	if n := len(srv.CheckRuns(testRepo)); n != 1 {
		t.Errorf("%d check runs, want 1", n)
	}
}

func TestDefaultTrustedApp(t *testing.T) {
	t.Parallel()
	for api, want := range map[string]App{
		"":                               GitHubActions,
		"https://api.github.com/":        GitHubActions,
		"https://ghe.example.com/api/v3": {Slug: "github-actions"},
	} {
		if got := DefaultTrustedApp(api); got != want {
			t.Errorf("DefaultTrustedApp(%q) = %v, want %v", api, got, want)
		}
	}
	if (App{}).trusts(nil) {
		t.Error("an empty App trusts a missing app")
	}
}

func TestParseApp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    App
		wantErr string
	}{
		{in: "roster-bot", want: App{Slug: "roster-bot"}},
		{in: " roster-bot:123456 ", want: App{Slug: "roster-bot", ID: 123456}},
		{in: "github-actions:15368", want: GitHubActions},
		{in: "", wantErr: "is not a GitHub App"},
		{in: "Roster Bot", wantErr: "is not a GitHub App"},
		{in: "roster-bot[bot]", wantErr: "is not a GitHub App"},
		{in: "-bot", wantErr: "is not a GitHub App"},
		{in: "roster-bot:", wantErr: "must be a positive number"},
		{in: "roster-bot:0", wantErr: "must be a positive number"},
		{in: "roster-bot:12a", wantErr: "must be a positive number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseApp(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseApp(%q) = %v, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseApp(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
