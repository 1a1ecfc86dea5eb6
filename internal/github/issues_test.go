package github

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roster-dev/roster/internal/githubtest"
)

var driftLabels = []string{"roster:drift", "env:production"}

func driftSpec(fingerprint, body, changed string) IssueSpec {
	return IssueSpec{
		Marker:         "roster:drift:production",
		Title:          "Drift in production",
		Labels:         driftLabels,
		Body:           body,
		Fingerprint:    fingerprint,
		ChangedComment: changed,
	}
}

// issueView is what a person sees of the drift issue.
type issueView struct {
	State    string
	Body     string
	Comments []string
}

func TestIssueLifecycle(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	ctx := context.Background()
	// Neither a pull request nor an unlabelled issue quoting the marker is
	// the drift issue.
	srv.AddPullRequest(testRepo, githubtest.PullRequest{HeadSHA: "a1", Body: "<!-- roster:drift:production -->"})
	srv.AddIssue(testRepo, githubtest.Issue{Title: "question", Body: "what is <!-- roster:drift:production -->?"})

	sync := func(spec IssueSpec) func() (IssueResult, error) {
		return func() (IssueResult, error) { return c.SyncIssue(ctx, testRepo, spec) }
	}
	resolve := func(comment string) func() (IssueResult, error) {
		return func() (IssueResult, error) {
			return c.ResolveIssue(ctx, testRepo, "roster:drift:production", comment)
		}
	}
	const n = 3 // the drift issue's number: after the pull request and the question
	steps := []struct {
		name   string
		before func()
		do     func() (IssueResult, error)
		want   IssueResult
		view   issueView
	}{
		{
			name: "nothing to report creates nothing",
			do:   sync(driftSpec("", "", "")),
			want: IssueResult{Action: IssueNone},
		},
		{
			name: "drift appears",
			do:   sync(driftSpec("f1", "alice has an extra policy", "changed")),
			want: IssueResult{Action: IssueCreated, Number: n},
			view: issueView{State: "open", Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f1 -->\nalice has an extra policy"},
		},
		{
			name: "same findings, reworded body: edited without a comment",
			do:   sync(driftSpec("f1", "alice has an extra policy (since Monday)", "changed")),
			want: IssueResult{Action: IssueUpdated, Number: n},
			view: issueView{State: "open", Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f1 -->\nalice has an extra policy (since Monday)"},
		},
		{
			name: "same again: nothing written",
			do:   sync(driftSpec("f1", "alice has an extra policy (since Monday)", "changed")),
			want: IssueResult{Action: IssueUnchanged, Number: n},
			view: issueView{State: "open", Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f1 -->\nalice has an extra policy (since Monday)"},
		},
		{
			name: "findings change: edited with one comment",
			do:   sync(driftSpec("f2", "alice and bob drifted", "Added: bob")),
			want: IssueResult{Action: IssueUpdated, Number: n, Commented: true},
			view: issueView{State: "open", Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f2 -->\nalice and bob drifted", Comments: []string{"Added: bob"}},
		},
		{
			name: "drift gone: closed with a comment",
			do:   resolve("Drift resolved."),
			want: IssueResult{Action: IssueResolved, Number: n, Commented: true},
			view: issueView{State: "closed", Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f2 -->\nalice and bob drifted\n<!-- roster:resolved -->", Comments: []string{"Added: bob", "Drift resolved."}},
		},
		{
			name: "resolving again does nothing",
			do:   resolve("Drift resolved."),
			want: IssueResult{Action: IssueNone},
			view: issueView{State: "closed", Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f2 -->\nalice and bob drifted\n<!-- roster:resolved -->", Comments: []string{"Added: bob", "Drift resolved."}},
		},
		{
			name: "drift returns after roster closed it: the same issue reopens",
			do:   sync(driftSpec("f2", "alice and bob drifted", "Drift is back.")),
			want: IssueResult{Action: IssueReopened, Number: n, Commented: true},
			view: issueView{State: "open", Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f2 -->\nalice and bob drifted", Comments: []string{"Added: bob", "Drift resolved.", "Drift is back."}},
		},
		{
			name:   "closed by a person, same findings: stays closed",
			before: func() { srv.CloseIssueAsUser(testRepo, n, "alice", "not_planned") },
			do:     sync(driftSpec("f2", "alice and bob drifted, still", "changed")),
			want:   IssueResult{Action: IssueKeptClosed, Number: n},
			view:   issueView{State: "closed", Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f2 -->\nalice and bob drifted", Comments: []string{"Added: bob", "Drift resolved.", "Drift is back."}},
		},
		{
			name: "closed by a person, new findings: reopened with a comment",
			do:   sync(driftSpec("f3", "carol drifted", "")),
			want: IssueResult{Action: IssueReopened, Number: n, Commented: true},
			view: issueView{State: "open", Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f3 -->\ncarol drifted", Comments: []string{"Added: bob", "Drift resolved.", "Drift is back.", reopenedComment}},
		},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		got, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got.URL = ""
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: result (-want +got):\n%s", s.name, diff)
		}
		if s.want.Action == IssueNone && s.view.State == "" {
			continue
		}
		is, _ := srv.Issue(testRepo, n)
		view := issueView{State: is.State, Body: is.Body}
		for _, cm := range srv.Comments(testRepo, n) {
			view.Comments = append(view.Comments, cm.Body)
		}
		if diff := cmp.Diff(s.view, view); diff != "" {
			t.Errorf("%s: issue (-want +got):\n%s", s.name, diff)
		}
	}

	if got := len(srv.Issues(testRepo)); got != 2 {
		t.Errorf("issues = %d, want 2 (the question and one drift issue)", got)
	}
	var labels []string
	for _, l := range srv.Labels(testRepo) {
		labels = append(labels, l.Name+" #"+l.Color)
	}
	if diff := cmp.Diff([]string{"roster:drift #5319e7", "env:production #5319e7"}, labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	is, _ := srv.Issue(testRepo, n)
	if diff := cmp.Diff(driftLabels, is.Labels); diff != "" {
		t.Errorf("issue labels (-want +got):\n%s", diff)
	}

	found, ok, err := c.FindIssue(ctx, testRepo, "roster:drift:production", driftLabels)
	if err != nil || !ok {
		t.Fatalf("FindIssue = %v, %v", ok, err)
	}
	found.URL = ""
	want := Issue{
		Number: n, Title: "Drift in production", State: "open", Fingerprint: "f3",
		Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f3 -->\ncarol drifted",
	}
	if diff := cmp.Diff(want, found); diff != "" {
		t.Errorf("FindIssue (-want +got):\n%s", diff)
	}
}

func TestFindIssueClosed(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	ctx := context.Background()
	if _, err := c.SyncIssue(ctx, testRepo, driftSpec("f1", "drift", "")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.FindIssue(ctx, testRepo, "roster:drift:staging", driftLabels); ok {
		t.Error("FindIssue found an issue for another marker")
	}
	if _, ok, _ := c.FindIssue(ctx, testRepo, "roster:drift:production", []string{"env:staging"}); ok {
		t.Error("FindIssue found an issue without the labels")
	}

	srv.CloseIssueAsUser(testRepo, 1, "alice", "")
	got, _, err := c.FindIssue(ctx, testRepo, "roster:drift:production", driftLabels)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "closed" || got.ClosedBy != "alice" || got.ResolvedByRoster {
		t.Errorf("hand-closed issue = %+v, want closed by alice, not by roster", got)
	}

	srv.ReopenIssueAsUser(testRepo, 1)
	if _, err := c.ResolveIssue(ctx, testRepo, "roster:drift:production", ""); err != nil {
		t.Fatal(err)
	}
	got, _, err = c.FindIssue(ctx, testRepo, "roster:drift:production", driftLabels)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "closed" || got.ClosedBy != githubtest.DefaultLogin || !got.ResolvedByRoster {
		t.Errorf("resolved issue = %+v, want closed by roster", got)
	}
	if n := len(srv.Comments(testRepo, 1)); n != 0 {
		t.Errorf("ResolveIssue without a comment posted %d comments", n)
	}
}

func TestSyncIssueUsesExistingLabels(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	srv.AddLabel(testRepo, githubtest.Label{Name: "roster:drift", Color: "ff0000"})

	if _, err := c.SyncIssue(context.Background(), testRepo, driftSpec("f1", "drift", "")); err != nil {
		t.Fatalf("SyncIssue: %v", err)
	}
	if n := srv.Count("POST", "/repos/*/*/labels"); n != 1 {
		t.Errorf("labels created = %d, want 1 (only the missing one)", n)
	}
	if got := srv.Labels(testRepo)[0]; got.Color != "ff0000" {
		t.Errorf("existing label's color = %q, want it left alone", got.Color)
	}
}

func TestSyncIssueFindsMostRecentOnLaterPage(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	old := srv.AddIssue(testRepo, githubtest.Issue{
		Title: "Drift in production", Labels: driftLabels, State: "closed", User: githubtest.DefaultLogin,
		Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f0 -->\nold\n<!-- roster:resolved -->",
	})
	recent := srv.AddIssue(testRepo, githubtest.Issue{
		Title: "Drift in production", Labels: driftLabels, User: githubtest.DefaultLogin,
		Body: "<!-- roster:drift:production -->\n<!-- roster:fingerprint=f1 -->\nrecent",
	})
	for range 150 {
		srv.AddIssue(testRepo, githubtest.Issue{Title: "unrelated", Labels: driftLabels, Body: "talk"})
	}

	got, err := c.SyncIssue(context.Background(), testRepo, driftSpec("f1", "recent", "changed"))
	if err != nil {
		t.Fatalf("SyncIssue: %v", err)
	}
	if got.Action != IssueUnchanged || got.Number != recent {
		t.Errorf("result = %+v, want #%d unchanged (not #%d)", got, recent, old)
	}
}

func TestIssueInputsRejected(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	tests := []struct {
		name string
		spec IssueSpec
		repo string
	}{
		{"fingerprint with a space", IssueSpec{Marker: "m", Title: "t", Body: "b", Fingerprint: "a b"}, testRepo},
		{"fingerprint closing the comment", IssueSpec{Marker: "m", Title: "t", Body: "b", Fingerprint: "x-->"}, testRepo},
		{"empty marker", IssueSpec{Title: "t", Body: "b"}, testRepo},
		{"marker closing the comment", IssueSpec{Marker: "a -->", Title: "t", Body: "b"}, testRepo},
		{"repository without owner", IssueSpec{Marker: "m", Title: "t", Body: "b"}, "access"},
		{"no title", IssueSpec{Marker: "m", Body: "b"}, testRepo},
	}
	for _, tt := range tests {
		if _, err := c.SyncIssue(context.Background(), tt.repo, tt.spec); err == nil {
			t.Errorf("%s: SyncIssue succeeded, want an error", tt.name)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("requests = %d, want none for rejected input", n)
	}
	if _, err := c.SyncIssue(context.Background(), testRepo, IssueSpec{Marker: "m", Title: "t", Body: strings.Repeat("é", MaxBodyLength)}); !errorsIs(err, ErrBodyTooLong) {
		t.Errorf("overlong body: err = %v, want ErrBodyTooLong", err)
	}
}
