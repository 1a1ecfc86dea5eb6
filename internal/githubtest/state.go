package githubtest

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Label is a repository label.
type Label struct {
	Name        string
	Color       string
	Description string
}

// Issue is an issue as the server holds it.
type Issue struct {
	Number int
	Title  string
	Body   string
	// State is "open" or "closed".
	State string
	// StateReason is "completed", "not_planned", "reopened" or empty.
	StateReason string
	Labels      []string
	// User is the author's login.
	User string
	// ClosedBy is the login that closed the issue, empty while it is open.
	ClosedBy  string
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  time.Time
}

// Comment is an issue or pull request conversation comment.
type Comment struct {
	ID int64
	// Number is the issue or pull request the comment belongs to.
	Number    int
	Body      string
	User      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// File is a file a pull request changes.
type File struct {
	Filename string
	// PreviousFilename is set for renamed files.
	PreviousFilename string
	// Status is "added", "removed", "modified", "renamed", "copied",
	// "changed" or "unchanged"; empty means "modified".
	Status    string
	Additions int
	Deletions int
}

// PullRequest is a pull request to seed.
type PullRequest struct {
	// Number is assigned from the repository's sequence when zero.
	Number int
	Title  string
	Body   string
	// User is the author's login; empty means "octocat".
	User    string
	HeadRef string
	HeadSHA string
	BaseRef string
	// Commits lists further commits of the pull request, which
	// GET /commits/{sha}/pulls associates with it besides HeadSHA.
	Commits []string
	// BaseSHA is the base branch's commit the pull request was compared
	// with (base.sha).
	BaseSHA string
	// Merged marks the pull request merged (and closed) with MergeCommitSHA.
	Merged         bool
	MergeCommitSHA string
	// Closed marks an unmerged pull request closed.
	Closed bool
	Files  []File
}

type item struct {
	Issue
	pr *PullRequest
	// mergedAt is set for merged pull requests.
	mergedAt time.Time
}

type repo struct {
	owner, name string
	next        int
	items       map[int]*item
	labels      []*Label
	comments    []*Comment
	reviews     []*Review
	checkRuns   []*CheckRun
	commits     map[string]map[string]string // SHA → path → content
	branches    map[string]string            // name → SHA
	commitLog   []Commit                     // commits made through the API
	parents     map[string]string            // SHA → first parent
}

func (rp *repo) full() string { return rp.owner + "/" + rp.name }

func (rp *repo) label(name string) *Label {
	for _, l := range rp.labels {
		if strings.EqualFold(l.Name, name) {
			return l
		}
	}
	return nil
}

// ensureLabel returns the label named name, creating it with GitHub's
// default color when missing, as GitHub does for labels named on an issue.
func (rp *repo) ensureLabel(name string) *Label {
	if l := rp.label(name); l != nil {
		return l
	}
	l := &Label{Name: name, Color: "ededed"}
	rp.labels = append(rp.labels, l)
	return l
}

func (rp *repo) comment(id int64) *Comment {
	for _, c := range rp.comments {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (s *Server) now() time.Time { return s.clock().UTC().Truncate(time.Second) }

func (s *Server) id() int64 {
	s.nextID++
	return s.nextID
}

// fatalf stops the test for a seeding mistake. It is only called from the
// test's goroutine, with s.mu held by a deferred unlock.
func (s *Server) fatalf(format string, args ...any) {
	s.t.Helper()
	s.t.Fatalf("githubtest: "+format, args...)
}

// repoLocked returns the repository, creating it when create is set.
func (s *Server) repoLocked(full string, create bool) *repo {
	rp := s.repos[full]
	if rp == nil && create {
		owner, name, ok := strings.Cut(full, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			s.fatalf("repository %q is not owner/name", full)
		}
		rp = &repo{owner: owner, name: name, next: 1, items: map[int]*item{}}
		s.repos[full] = rp
	}
	return rp
}

// AddRepo creates an empty repository ("owner/name").
func (s *Server) AddRepo(repo string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repoLocked(repo, true)
}

// AddLabel creates or replaces a label.
func (s *Server) AddLabel(repo string, l Label) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, true)
	if old := rp.label(l.Name); old != nil {
		*old = l
		return
	}
	rp.labels = append(rp.labels, &l)
}

func (rp *repo) number(n int) int {
	if n == 0 {
		n = rp.next
	}
	rp.next = max(rp.next, n+1)
	return n
}

// AddPullRequest seeds a pull request and returns its number.
func (s *Server) AddPullRequest(repo string, pr PullRequest) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, true)
	if rp.items[pr.Number] != nil {
		s.fatalf("%s#%d already exists", repo, pr.Number)
	}
	pr.Number = rp.number(pr.Number)
	if pr.User == "" {
		pr.User = "octocat"
	}
	if pr.BaseRef == "" {
		pr.BaseRef = "main"
	}
	pr.Files = slices.Clone(pr.Files)
	pr.Commits = slices.Clone(pr.Commits)
	now := s.now()
	it := &item{Issue: Issue{
		Number: pr.Number, Title: pr.Title, Body: pr.Body, State: "open", User: pr.User,
		CreatedAt: now, UpdatedAt: now,
	}, pr: &pr}
	if pr.Merged || pr.Closed {
		it.State, it.ClosedAt, it.ClosedBy = "closed", now, pr.User
		if pr.Merged {
			it.mergedAt = now
		}
	}
	rp.items[pr.Number] = it
	return pr.Number
}

// AddIssue seeds an issue and returns its number. Labels it names are
// created when missing; an empty State means open and an empty User
// "octocat".
func (s *Server) AddIssue(repo string, is Issue) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, true)
	if rp.items[is.Number] != nil {
		s.fatalf("%s#%d already exists", repo, is.Number)
	}
	is.Number = rp.number(is.Number)
	if is.User == "" {
		is.User = "octocat"
	}
	if is.State == "" {
		is.State = "open"
	}
	now := s.now()
	if is.CreatedAt.IsZero() {
		is.CreatedAt = now
	}
	if is.UpdatedAt.IsZero() {
		is.UpdatedAt = is.CreatedAt
	}
	if is.State == "closed" && is.ClosedAt.IsZero() {
		is.ClosedAt = now
	}
	is.Labels = slices.Clone(is.Labels)
	for _, l := range is.Labels {
		rp.ensureLabel(l)
	}
	rp.items[is.Number] = &item{Issue: is}
	return is.Number
}

// AddComment seeds a comment by login on an issue or pull request and
// returns its ID.
func (s *Server) AddComment(repo string, number int, login, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, false)
	if rp == nil || rp.items[number] == nil {
		s.fatalf("AddComment: %s#%d does not exist", repo, number)
	}
	now := s.now()
	c := &Comment{ID: s.id(), Number: number, Body: body, User: login, CreatedAt: now, UpdatedAt: now}
	rp.comments = append(rp.comments, c)
	return c.ID
}

// CloseIssueAsUser closes an issue the way a person does in the web
// interface: closed_by is login and the reason "completed" or "not_planned"
// (empty means "completed"). The body is left alone.
func (s *Server) CloseIssueAsUser(repo string, number int, login, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.itemLocked(repo, number)
	if reason == "" {
		reason = "completed"
	}
	now := s.now()
	it.State, it.StateReason, it.ClosedBy, it.ClosedAt, it.UpdatedAt = "closed", reason, login, now, now
}

// ReopenIssueAsUser reopens an issue the way a person does (GitHub does not
// show who reopened an issue, so no login is needed).
func (s *Server) ReopenIssueAsUser(repo string, number int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.itemLocked(repo, number)
	now := s.now()
	it.State, it.StateReason, it.ClosedBy, it.ClosedAt, it.UpdatedAt = "open", "reopened", "", time.Time{}, now
}

// EditIssueBodyAsUser replaces an issue's body the way a person editing it does.
func (s *Server) EditIssueBodyAsUser(repo string, number int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := s.itemLocked(repo, number)
	it.Body, it.UpdatedAt = body, s.now()
}

func (s *Server) itemLocked(repo string, number int) *item {
	rp := s.repoLocked(repo, false)
	if rp == nil || rp.items[number] == nil {
		s.fatalf("%s#%d does not exist", repo, number)
	}
	return rp.items[number]
}

// Issues returns the repository's issues (not pull requests) by number.
func (s *Server) Issues(repo string) []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, false)
	if rp == nil {
		return nil
	}
	var out []Issue
	for _, it := range rp.items {
		if it.pr == nil {
			is := it.Issue
			is.Labels = slices.Clone(is.Labels)
			out = append(out, is)
		}
	}
	slices.SortFunc(out, func(a, b Issue) int { return a.Number - b.Number })
	return out
}

// Issue returns one issue or pull request's issue fields.
func (s *Server) Issue(repo string, number int) (Issue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, false)
	if rp == nil || rp.items[number] == nil {
		return Issue{}, false
	}
	is := rp.items[number].Issue
	is.Labels = slices.Clone(is.Labels)
	return is, true
}

// Comments returns the comments on an issue or pull request, oldest first.
func (s *Server) Comments(repo string, number int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, false)
	if rp == nil {
		return nil
	}
	var out []Comment
	for _, c := range rp.comments {
		if c.Number == number {
			out = append(out, *c)
		}
	}
	return out
}

// Labels returns the repository's labels in creation order.
func (s *Server) Labels(repo string) []Label {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, false)
	if rp == nil {
		return nil
	}
	out := make([]Label, 0, len(rp.labels))
	for _, l := range rp.labels {
		out = append(out, *l)
	}
	return out
}

func bodyTooLong(body string) bool { return utf8.RuneCountInString(body) > MaxBodyLength }
