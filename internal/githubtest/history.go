package githubtest

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
)

// AddCommitOn records a commit on branch whose tree is files and whose
// parent is the branch's current commit, and moves the branch to it: a push,
// or a pull request's squash merge. The list-commits API walks these
// parents.
func (s *Server) AddCommitOn(repo, branch, sha string, files map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, true)
	if rp.commits == nil {
		rp.commits = map[string]map[string]string{}
	}
	if rp.branches == nil {
		rp.branches = map[string]string{}
	}
	rp.commits[sha] = maps.Clone(files)
	rp.setParent(sha, rp.branches[branch])
	rp.branches[branch] = sha
}

// setParent records parent ("" for none) as sha's first parent.
func (rp *repo) setParent(sha, parent string) {
	if parent == "" {
		return
	}
	if rp.parents == nil {
		rp.parents = map[string]string{}
	}
	rp.parents[sha] = parent
}

// listCommits answers GET /repos/{owner}/{repo}/commits: the commits
// reachable from sha (a branch or commit; the default branch when empty),
// newest first, following first parents; with path, only those whose
// tree under path differs from their parent's ("Only commits containing
// this file path will be returned").
func (s *Server) listCommits(c *call, rp *repo) *apiError {
	q := c.r.URL.Query()
	ref := q.Get("sha")
	if ref == "" {
		ref = DefaultBranch
	}
	start := rp.resolve(ref)
	if start == "" {
		return &apiError{status: http.StatusNotFound, message: "No commit found for SHA: " + ref}
	}
	p := strings.Trim(q.Get("path"), "/")
	out := []map[string]any{}
	seen := map[string]bool{}
	for sha := start; sha != "" && !seen[sha]; sha = rp.parents[sha] {
		seen[sha] = true
		parent := rp.parents[sha]
		if p == "" || !maps.Equal(subtree(rp.commits[sha], p), subtree(rp.commits[parent], p)) {
			out = append(out, s.commitJSON(rp, sha, parent))
		}
	}
	return paginate(s, c, out)
}

// subtree is the part of tree at path: the file itself, or the files below
// the folder.
func subtree(tree map[string]string, path string) map[string]string {
	out := map[string]string{}
	for f, content := range tree {
		if f == path || strings.HasPrefix(f, path+"/") {
			out[f] = content
		}
	}
	return out
}

// commitJSON is a commit as the commits API lists it.
func (s *Server) commitJSON(rp *repo, sha, parent string) map[string]any {
	api := fmt.Sprintf("%s%s/repos/%s", s.ts.URL, Prefix, rp.full())
	web := fmt.Sprintf("%s/%s/commit/", s.ts.URL, rp.full())
	parents := []map[string]any{}
	if parent != "" {
		parents = append(parents, map[string]any{"sha": parent, "url": api + "/commits/" + parent, "html_url": web + parent})
	}
	person := map[string]any{"name": "octocat", "email": "octocat@users.noreply.github.com", "date": ts(s.now())}
	return map[string]any{
		"sha":      sha,
		"node_id":  "C_" + sha[:min(len(sha), 12)],
		"url":      api + "/commits/" + sha,
		"html_url": web + sha,
		"commit": map[string]any{
			"message":       "",
			"author":        person,
			"committer":     person,
			"tree":          map[string]any{"sha": sha, "url": api + "/git/trees/" + sha},
			"url":           api + "/git/commits/" + sha,
			"comment_count": 0,
		},
		"author":    userJSON("octocat"),
		"committer": userJSON("octocat"),
		"parents":   parents,
	}
}
