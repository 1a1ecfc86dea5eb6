package githubtest

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Review states, as GitHub names them.
const (
	Approved         = "APPROVED"
	ChangesRequested = "CHANGES_REQUESTED"
	Commented        = "COMMENTED"
	Dismissed        = "DISMISSED"
	Pending          = "PENDING"
)

// Review is a pull request review.
type Review struct {
	// ID is assigned by the server.
	ID int64
	// Number is the pull request reviewed.
	Number int
	// User is the reviewer's login; empty for a deleted account (GitHub
	// answers "user": null).
	User string
	// State is APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED or PENDING.
	State string
	// CommitID is the head commit the review was submitted on; empty means
	// the pull request's head when the review is added.
	CommitID string
	Body     string
	// SubmittedAt is zero for a PENDING review; otherwise empty means now.
	SubmittedAt time.Time
}

// AddReview submits a review on a pull request (or starts a PENDING one) and
// returns its ID. Reviews are listed in the order they are added, as GitHub
// lists them chronologically.
func (s *Server) AddReview(repo string, number int, rv Review) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.itemLocked(repo, number)
	if it.pr == nil {
		s.fatalf("AddReview: %s#%d is an issue, not a pull request", repo, number)
	}
	if !slices.Contains([]string{Approved, ChangesRequested, Commented, Dismissed, Pending}, rv.State) {
		s.fatalf("AddReview: state %q is not a review state", rv.State)
	}
	rv.ID, rv.Number = s.id(), number
	if rv.CommitID == "" {
		rv.CommitID = it.pr.HeadSHA
	}
	switch {
	case rv.State == Pending:
		rv.SubmittedAt = time.Time{}
	case rv.SubmittedAt.IsZero():
		rv.SubmittedAt = s.now()
	}
	rp := s.repoLocked(repo, false)
	rp.reviews = append(rp.reviews, &rv)
	return rv.ID
}

// DismissReview dismisses a review, as a maintainer or a new push (with
// "Dismiss stale pull request approvals" on) does: its state becomes
// DISMISSED and it stays in the list.
func (s *Server) DismissReview(repo string, number int, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, false)
	if rp != nil {
		for _, rv := range rp.reviews {
			if rv.ID == id && rv.Number == number {
				rv.State = Dismissed
				return
			}
		}
	}
	s.fatalf("DismissReview: no review %d on %s#%d", id, repo, number)
}

// PushToPullRequest moves a pull request's head to a new commit, as a push to
// its branch does; the old head stays one of its commits.
func (s *Server) PushToPullRequest(repo string, number int, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.itemLocked(repo, number)
	if it.pr == nil {
		s.fatalf("PushToPullRequest: %s#%d is an issue, not a pull request", repo, number)
	}
	it.pr.Commits = append(it.pr.Commits, it.pr.HeadSHA)
	it.pr.HeadSHA = sha
	it.UpdatedAt = s.now()
}

// Reviews returns a pull request's reviews in the order they were added.
func (s *Server) Reviews(repo string, number int) []Review {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, false)
	if rp == nil {
		return nil
	}
	var out []Review
	for _, rv := range rp.reviews {
		if rv.Number == number {
			out = append(out, *rv)
		}
	}
	return out
}

// listReviews answers GET /repos/{o}/{r}/pulls/{n}/reviews. A PENDING review
// is visible only to its author, as on GitHub.
func (s *Server) listReviews(c *call, rp *repo, number int) *apiError {
	out := []map[string]any{}
	for _, rv := range rp.reviews {
		if rv.Number != number {
			continue
		}
		if rv.State == Pending && !strings.EqualFold(rv.User, c.login) {
			continue
		}
		out = append(out, s.reviewJSON(rp, rv))
	}
	return paginate(s, c, out)
}

func (s *Server) reviewJSON(rp *repo, rv *Review) map[string]any {
	pr := fmt.Sprintf("%s/%s/pull/%d", s.ts.URL, rp.full(), rv.Number)
	m := map[string]any{
		"id":                 rv.ID,
		"node_id":            fmt.Sprintf("PRR_%d", rv.ID),
		"user":               userJSON(rv.User),
		"body":               rv.Body,
		"state":              rv.State,
		"commit_id":          rv.CommitID,
		"author_association": "MEMBER",
		"html_url":           fmt.Sprintf("%s#pullrequestreview-%d", pr, rv.ID),
		"pull_request_url":   fmt.Sprintf("%s%s/repos/%s/pulls/%d", s.ts.URL, Prefix, rp.full(), rv.Number),
	}
	if !rv.SubmittedAt.IsZero() {
		m["submitted_at"] = ts(rv.SubmittedAt)
	}
	return m
}
