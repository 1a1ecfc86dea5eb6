package action

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// Events the Action reacts to with command auto.
const (
	eventPullRequest       = "pull_request"
	eventPullRequestTarget = "pull_request_target"
	eventPullRequestReview = "pull_request_review"
	eventPush              = "push"
	eventSchedule          = "schedule"
	eventWorkflowDispatch  = "workflow_dispatch"
	eventIssues            = "issues"
)

// runContext is what the Action needs to know about the workflow run.
type runContext struct {
	Event string
	Owner string
	Repo  string
	SHA   string
	Ref   string
	// DefaultBranch is the repository's default branch, from the payload.
	DefaultBranch string
	// PullRequest is the pull request's number on pull_request events.
	PullRequest int
	// PullRequestAction is the payload's action (opened, synchronize…).
	PullRequestAction string
	// HeadSHA is the pull request's head commit.
	HeadSHA string
	// BaseSHA is the pull request's base commit: the approvals in force
	// are read there, never from the pull request's own files.
	BaseSHA string
	// HeadRef is the pull request's branch.
	HeadRef string
	// PullRequestAuthor is the login of the pull request's author, whose
	// own approval never counts.
	PullRequestAuthor string
	// Before is the push's before commit: the branch as it stood before
	// the push.
	Before string
	// Issue is the issue of an issues event.
	Issue issueEvent
	// RunURL links to the workflow run, for the job summary.
	RunURL string
	// RepoURL links to the repository on GitHub.
	RepoURL   string
	APIURL    string
	Workspace string
}

// readContext reads the run's context and event payload.
func readContext(gh *githubactions.Action) (*runContext, error) {
	c, err := gh.Context()
	if err != nil {
		return nil, fmt.Errorf("read the workflow run's context: %w", err)
	}
	rc := &runContext{
		Event:     c.EventName,
		SHA:       c.SHA,
		Ref:       c.Ref,
		APIURL:    c.APIURL,
		Workspace: c.Workspace,
	}
	rc.Owner, rc.Repo = c.Repo()
	if c.Repository != "" && c.ServerURL != "" {
		rc.RepoURL = strings.TrimRight(c.ServerURL, "/") + "/" + c.Repository
	}
	if c.Repository != "" && c.RunID != 0 {
		rc.RunURL = fmt.Sprintf("%s/%s/actions/runs/%d", strings.TrimRight(c.ServerURL, "/"), c.Repository, c.RunID)
	}
	ev := c.Event
	if repo, ok := ev["repository"].(map[string]any); ok {
		rc.DefaultBranch, _ = repo["default_branch"].(string)
	}
	if pr, ok := ev["pull_request"].(map[string]any); ok {
		rc.PullRequest = intField(pr, "number")
		if head, ok := pr["head"].(map[string]any); ok {
			rc.HeadSHA, _ = head["sha"].(string)
			rc.HeadRef, _ = head["ref"].(string)
		}
		if base, ok := pr["base"].(map[string]any); ok {
			rc.BaseSHA, _ = base["sha"].(string)
		}
		if user, ok := pr["user"].(map[string]any); ok {
			rc.PullRequestAuthor, _ = user["login"].(string)
		}
	}
	if rc.PullRequest == 0 && (rc.Event == eventPullRequest || rc.Event == eventPullRequestTarget) {
		rc.PullRequest = intField(ev, "number")
	}
	rc.PullRequestAction, _ = ev["action"].(string)
	if is, ok := ev["issue"].(map[string]any); ok && rc.Event == eventIssues {
		rc.Issue = readIssue(is)
	}
	if rc.Event == eventPush {
		if after, ok := ev["after"].(string); ok && after != "" {
			rc.SHA = after
		}
		if ref, ok := ev["ref"].(string); ok && ref != "" {
			rc.Ref = ref
		}
		rc.Before, _ = ev["before"].(string)
	}
	return rc, nil
}

// intField reads a JSON number (decoded as float64) or numeric string.
func intField(m map[string]any, key string) int {
	switch v := m[key].(type) {
	case float64:
		return int(v)
	case string:
		n, _ := strconv.Atoi(v)
		return n
	}
	return 0
}

// shortSHA is the first seven characters of a commit hash.
func shortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// onDefaultBranch reports whether the run is for the repository's default
// branch. Without a default branch in the payload, main and master count.
func (rc *runContext) onDefaultBranch() bool {
	branch, ok := strings.CutPrefix(rc.Ref, "refs/heads/")
	if !ok {
		return false
	}
	if rc.DefaultBranch != "" {
		return branch == rc.DefaultBranch
	}
	return branch == "main" || branch == "master"
}

// issueEvent is the part of an issues event's issue an access request
// needs.
type issueEvent struct {
	Number int
	Author string
	Body   string
	Labels []string
}

func readIssue(is map[string]any) issueEvent {
	out := issueEvent{Number: intField(is, "number")}
	out.Body, _ = is["body"].(string)
	if u, ok := is["user"].(map[string]any); ok {
		out.Author, _ = u["login"].(string)
	}
	labels, _ := is["labels"].([]any)
	for _, l := range labels {
		if m, ok := l.(map[string]any); ok {
			if name, ok := m["name"].(string); ok {
				out.Labels = append(out.Labels, name)
			}
		}
	}
	return out
}
