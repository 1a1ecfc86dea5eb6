package github

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/roster-dev/roster/internal/githubtest"
)

const planMarker = "roster:plan"

func TestUpsertCommentCreatedOnceThenEdited(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{Title: "add alice", HeadSHA: "a1"})
	srv.AddComment(testRepo, pr, "bob", "looks good")
	ctx := context.Background()

	steps := []struct {
		body string
		want CommentAction
	}{
		{"plan v1", CommentCreated},
		{"plan v1", CommentUnchanged},
		{"plan v2", CommentUpdated},
		{"plan v3", CommentUpdated},
		{"plan v3", CommentUnchanged},
	}
	var got []CommentAction
	var ids []int64
	for _, s := range steps {
		res, err := c.UpsertComment(ctx, testRepo, pr, planMarker, s.body, true)
		if err != nil {
			t.Fatalf("UpsertComment(%q): %v", s.body, err)
		}
		got = append(got, res.Action)
		ids = append(ids, res.ID)
	}
	var want []CommentAction
	for _, s := range steps {
		want = append(want, s.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Errorf("comment IDs %v: want one comment throughout", ids)
			break
		}
	}
	if n := srv.Count("POST", "/repos/*/*/issues/*/comments"); n != 1 {
		t.Errorf("comments created = %d, want 1", n)
	}
	if n := srv.Count("PATCH", "/repos/*/*/issues/comments/*"); n != 2 {
		t.Errorf("comments edited = %d, want 2", n)
	}
	comments := srv.Comments(testRepo, pr)
	var bodies []string
	for _, cm := range comments {
		bodies = append(bodies, cm.Body)
	}
	wantBodies := []string{"looks good", "<!-- roster:plan -->\nplan v3"}
	if diff := cmp.Diff(wantBodies, bodies); diff != "" {
		t.Errorf("comments on the pull request (-want +got):\n%s", diff)
	}
	for _, r := range srv.Requests() {
		if r.Token != testToken {
			t.Errorf("%s %s carried token %q, want the configured one", r.Method, r.Path, r.Token)
		}
	}
}

func TestUpsertCommentNotCreatedWhenMissing(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{HeadSHA: "a1"})

	res, err := c.UpsertComment(context.Background(), testRepo, pr, planMarker, "no changes", false)
	if err != nil {
		t.Fatalf("UpsertComment: %v", err)
	}
	if diff := cmp.Diff(Result{Action: CommentNone}, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if got := srv.Comments(testRepo, pr); len(got) != 0 {
		t.Errorf("comments = %+v, want none", got)
	}

	// An existing comment is still updated when creation is not wanted.
	srv.AddComment(testRepo, pr, githubtest.DefaultLogin, "<!-- roster:plan -->\nold plan")
	res, err = c.UpsertComment(context.Background(), testRepo, pr, planMarker, "no changes", false)
	if err != nil {
		t.Fatalf("UpsertComment: %v", err)
	}
	if res.Action != CommentUpdated {
		t.Errorf("action = %v, want updated", res.Action)
	}
}

func TestUpsertCommentFindsMarkerOnLaterPage(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, func(o *Options) { o.Author = githubtest.DefaultLogin })
	pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{HeadSHA: "a1"})
	// A person quoting the marker does not make their comment the sticky one.
	srv.AddComment(testRepo, pr, "mallory", "<!-- roster:plan -->\nfake digests")
	for i := range 230 {
		srv.AddComment(testRepo, pr, "bob", fmt.Sprintf("review note %d", i))
	}
	sticky := srv.AddComment(testRepo, pr, githubtest.DefaultLogin, "<!-- roster:plan -->\nold plan")
	srv.AddComment(testRepo, pr, "bob", "another note")
	srv.ResetRequests()

	res, err := c.UpsertComment(context.Background(), testRepo, pr, planMarker, "new plan", true)
	if err != nil {
		t.Fatalf("UpsertComment: %v", err)
	}
	if res.Action != CommentUpdated || res.ID != sticky {
		t.Errorf("result = %+v, want the comment %d updated", res, sticky)
	}
	if n := srv.Count("GET", "/repos/*/*/issues/*/comments"); n != 3 {
		t.Errorf("comment pages read = %d, want 3 (100 per page)", n)
	}
	if n := srv.Count("POST", "/repos/*/*/issues/*/comments"); n != 0 {
		t.Errorf("comments created = %d, want 0", n)
	}
	for _, cm := range srv.Comments(testRepo, pr) {
		if cm.User == "mallory" && !strings.Contains(cm.Body, "fake digests") {
			t.Errorf("another author's comment was edited: %q", cm.Body)
		}
	}

	got, found, err := c.FindComment(context.Background(), testRepo, pr, planMarker)
	if err != nil || !found {
		t.Fatalf("FindComment = %v, %v", found, err)
	}
	if diff := cmp.Diff("<!-- roster:plan -->\nnew plan", got.Body); diff != "" {
		t.Errorf("FindComment body (-want +got):\n%s", diff)
	}
}

func TestUpsertCommentRefusesOverlongBody(t *testing.T) {
	t.Parallel()
	srv, c, _ := setup(t, nil)
	pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{HeadSHA: "a1"})

	_, err := c.UpsertComment(context.Background(), testRepo, pr, planMarker, strings.Repeat("x", MaxBodyLength), true)
	if !errorsIs(err, ErrBodyTooLong) {
		t.Fatalf("err = %v, want ErrBodyTooLong", err)
	}
	if got := srv.Requests(); len(got) != 0 {
		t.Errorf("requests = %d, want none", len(got))
	}
}

func TestMarkerForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, marker, body string
		want               string
	}{
		{"bare marker is hidden on the first line", "roster:plan", "plan", "<!-- roster:plan -->\nplan"},
		{"marker already an HTML comment", "<!-- roster:plan -->", "plan", "<!-- roster:plan -->\nplan"},
		{"body already holding the marker is kept as is", "<!-- roster:plan -->", "## Plan\n<!-- roster:plan -->\nplan", "## Plan\n<!-- roster:plan -->\nplan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c, _ := setup(t, nil)
			pr := srv.AddPullRequest(testRepo, githubtest.PullRequest{HeadSHA: "a1"})
			for range 2 {
				if _, err := c.UpsertComment(context.Background(), testRepo, pr, tt.marker, tt.body, true); err != nil {
					t.Fatalf("UpsertComment: %v", err)
				}
			}
			var got []string
			for _, cm := range srv.Comments(testRepo, pr) {
				got = append(got, cm.Body)
			}
			if diff := cmp.Diff([]string{tt.want}, got); diff != "" {
				t.Errorf("comments (-want +got):\n%s", diff)
			}
		})
	}
}
