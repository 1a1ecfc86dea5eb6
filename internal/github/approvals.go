package github

import (
	"context"
	"crypto/sha1" //nolint:gosec // Git's object IDs (BlobSHA)
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/roster-dev/roster/internal/approval"
)

var (
	permContentsRead = []string{"contents: read"}
	permChecksRead   = []string{"checks: read"}
	permChecksWrite  = []string{"checks: write"}
)

// ErrFileNotFound means no file exists at the path in that commit.
var ErrFileNotFound = errors.New("no such file at that commit")

// ErrTeamAccess is wrapped by every [*TeamAccessError].
var ErrTeamAccess = errors.New("the token cannot read the organization's team membership")

// TeamAccessError means GitHub would not say whether someone is in a team:
// the token cannot read the organization's teams (a workflow's GITHUB_TOKEN
// never can), or the team does not exist.
type TeamAccessError struct {
	Org, Team, Login string
	// Status is GitHub's answer: 403, or 404 for a team the token cannot see.
	Status int
	// Message is GitHub's message.
	Message string
}

// Error names the team, GitHub's answer, and the input to set.
func (e *TeamAccessError) Error() string {
	what := "the token cannot read the organization's teams"
	if e.Status == http.StatusNotFound {
		what = "the team does not exist, or the token cannot see it"
	}
	return fmt.Sprintf("read whether %s is in team %s/%s: %s (GitHub answered %d %q); check the team's slug in approvals.reviewers, and set the approvals-token input (default: github-token) to a token that can read the organization's members: a GitHub App installation token with the organization permission \"Members: read\", or a personal access token with read:org; the workflow's GITHUB_TOKEN cannot read teams",
		e.Login, e.Org, e.Team, what, e.Status, e.Message)
}

// Unwrap makes errors.Is true for [ErrTeamAccess] and [ErrPermission].
func (e *TeamAccessError) Unwrap() []error { return []error{ErrTeamAccess, ErrPermission} }

var _ approval.Teams = (*Client)(nil)

// ListReviews returns every review of a pull request in GitHub's order
// (oldest first), reading every page. Pending reviews are listed only to
// their author; roster's token sees submitted reviews.
func (c *Client) ListReviews(ctx context.Context, repo string, number int) ([]approval.Review, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	var out []approval.Review
	opts := &gh.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.gh.PullRequests.ListReviews(ctx, owner, name, number, opts)
		if err != nil {
			return nil, c.fail(fmt.Sprintf("list the reviews of %s#%d", repo, number), permPullRead, err)
		}
		for _, r := range page {
			out = append(out, approval.Review{
				Login:       r.GetUser().GetLogin(),
				State:       approval.State(r.GetState()),
				CommitSHA:   r.GetCommitID(),
				SubmittedAt: r.GetSubmittedAt().Time,
			})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// IsTeamMember reports whether login is an active member of the
// organization's team (a pending invitation is not membership). When GitHub
// will not say (the token cannot read the organization's teams, or the team
// is unknown), it returns a [*TeamAccessError]: GitHub answers 404 both for
// "not a member" and for a team the token cannot see, so a 404 is taken as
// "not a member" only once the team itself is readable.
func (c *Client) IsTeamMember(ctx context.Context, org, team, login string) (bool, error) {
	m, _, err := c.gh.Teams.GetTeamMembershipBySlug(ctx, org, team, login)
	if err == nil {
		return m.GetState() == "active", nil
	}
	if status, msg, ok := teamRefusal(err); ok {
		if status != http.StatusNotFound {
			return false, &TeamAccessError{Org: org, Team: team, Login: login, Status: status, Message: msg}
		}
		_, _, terr := c.gh.Teams.GetTeamBySlug(ctx, org, team)
		if terr == nil {
			return false, nil
		}
		if status, msg, ok := teamRefusal(terr); ok {
			return false, &TeamAccessError{Org: org, Team: team, Login: login, Status: status, Message: msg}
		}
		err = terr
	}
	return false, c.fail(fmt.Sprintf("read whether %s is in team %s/%s", login, org, team), []string{"(approvals-token) organization Members: read"}, err)
}

// teamRefusal recognises GitHub's refusals of a team lookup: 404, or 403
// "Resource not accessible by ...".
func teamRefusal(err error) (status int, message string, ok bool) {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return 0, "", false
	}
	switch s := er.Response.StatusCode; {
	case s == http.StatusNotFound:
		return s, er.Message, true
	case s == http.StatusForbidden && strings.Contains(er.Message, "not accessible by"):
		return s, er.Message, true
	}
	return 0, "", false
}

// MaxDirEntries is the most entries GitHub's contents API lists of one
// folder; a folder listed with that many may hold more.
const MaxDirEntries = 1000

// BlobSHA is Git's object ID of a file with content: a file whose BlobSHA
// equals a DirEntry's SHA holds exactly what the commit holds there.
func BlobSHA(content []byte) string {
	h := sha1.New() //nolint:gosec // Git names objects by SHA-1; GitHub rejects known collision attacks (sha1dc)
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// DirEntry is one entry of a folder at a commit.
type DirEntry struct {
	Name string
	Path string
	// Type is "file", "dir", "symlink" or "submodule" (GitHub lists a
	// submodule as "file").
	Type string
	// SHA is Git's object ID of the entry: for a file, its blob's
	// ([BlobSHA] of its content).
	SHA string
}

// FileAtRef returns the content of the file at path in the commit ref (a SHA
// or a branch), e.g. an environment.yaml as the default branch had it before
// a merge. A missing file wraps [ErrFileNotFound]; a folder, or a file over
// the contents API's 1 MB, is an error.
func (c *Client) FileAtRef(ctx context.Context, repo, path, ref string) ([]byte, error) {
	fc, _, err := c.contents(ctx, repo, path, ref)
	if err != nil {
		return nil, err
	}
	op := fmt.Sprintf("read %s at %s in %s", path, ref, repo)
	if fc == nil {
		return nil, fmt.Errorf("%s: it is a folder, not a file", op)
	}
	if t := fc.GetType(); t != "file" {
		// A symbolic link to something other than a file of the
		// repository, or a submodule: GitHub sends no content.
		return nil, fmt.Errorf("%s: it is a %s, not a file", op, t)
	}
	if fc.GetEncoding() == "none" {
		return nil, fmt.Errorf("%s: the file is %d bytes, over the 1 MB GitHub's contents API returns", op, fc.GetSize())
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return []byte(s), nil
}

// DirAtRef lists the folder at path in the commit ref, sorted by name as
// GitHub lists it: at most [MaxDirEntries] entries. A missing folder wraps
// [ErrFileNotFound].
func (c *Client) DirAtRef(ctx context.Context, repo, path, ref string) ([]DirEntry, error) {
	fc, dir, err := c.contents(ctx, repo, path, ref)
	if err != nil {
		return nil, err
	}
	if fc != nil {
		return nil, fmt.Errorf("list %s at %s in %s: it is a file, not a folder", path, ref, repo)
	}
	out := make([]DirEntry, 0, len(dir))
	for _, e := range dir {
		out = append(out, DirEntry{Name: e.GetName(), Path: e.GetPath(), Type: e.GetType(), SHA: e.GetSHA()})
	}
	return out, nil
}

func (c *Client) contents(ctx context.Context, repo, path, ref string) (*gh.RepositoryContent, []*gh.RepositoryContent, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, nil, err
	}
	if ref == "" {
		return nil, nil, fmt.Errorf("read %s in %s: no commit given", path, repo)
	}
	fc, dir, _, err := c.gh.Repositories.GetContents(ctx, owner, name, path, &gh.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		op := fmt.Sprintf("read %s at %s in %s", path, ref, repo)
		var er *gh.ErrorResponse
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound {
			return nil, nil, fmt.Errorf("%s: %w (GitHub: %s)", op, ErrFileNotFound, er.Message)
		}
		return nil, nil, c.fail(op, permContentsRead, err)
	}
	return fc, dir, nil
}
