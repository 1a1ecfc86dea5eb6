package githubtest

import (
	"crypto/sha1" // Git names commits by SHA-1; the fake derives stable IDs the same way
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Commit is a commit made through the API (PUT contents), as the fake
// records it.
type Commit struct {
	SHA     string
	Parent  string
	Message string
	// Author is the login of the token that made it.
	Author string
}

// routeGit serves the Git references, contents writes and pull request
// creation of a repository: what a workflow uses to propose a change
// without a checkout. ok is false when rest is none of them.
func (s *Server) routeGit(c *call, rp *repo, rest []string) (err *apiError, ok bool) {
	m := c.r.Method
	switch {
	case len(rest) >= 3 && rest[0] == "git" && rest[1] == "ref" && m == http.MethodGet:
		ref := "refs/" + strings.Join(rest[2:], "/")
		sha, found := rp.ref(ref)
		if !found {
			return notFound(), true
		}
		return c.reply(http.StatusOK, s.refJSON(rp, ref, sha)), true
	case len(rest) == 2 && rest[0] == "git" && rest[1] == "refs" && m == http.MethodPost:
		return s.createRef(c, rp), true
	case len(rest) >= 2 && rest[0] == "contents" && m == http.MethodPut:
		return s.putContents(c, rp, strings.Join(rest[1:], "/")), true
	case len(rest) == 1 && rest[0] == "pulls" && m == http.MethodPost:
		return s.createPull(c, rp), true
	}
	return nil, false
}

// ref resolves a full reference (refs/heads/<branch>) to its commit.
func (rp *repo) ref(ref string) (string, bool) {
	branch, ok := strings.CutPrefix(ref, "refs/heads/")
	if !ok {
		return "", false
	}
	sha, ok := rp.branches[branch]
	return sha, ok
}

func (s *Server) refJSON(rp *repo, ref, sha string) map[string]any {
	api := fmt.Sprintf("%s%s/repos/%s", s.ts.URL, Prefix, rp.full())
	return map[string]any{
		"ref":     ref,
		"node_id": "REF_" + sha[:min(len(sha), 12)],
		"url":     api + "/git/" + ref,
		"object":  map[string]any{"sha": sha, "type": "commit", "url": api + "/git/commits/" + sha},
	}
}

// createRef answers POST /git/refs: a new branch at a known commit.
func (s *Server) createRef(c *call, rp *repo) *apiError {
	var in struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if !strings.HasPrefix(in.Ref, "refs/") || strings.Count(in.Ref, "/") < 2 {
		return invalid("Reference name must start with 'refs/' and have at least two slashes.")
	}
	if _, exists := rp.ref(in.Ref); exists {
		return invalid("Reference already exists")
	}
	if _, ok := rp.commits[in.SHA]; !ok {
		return invalid("Object does not exist")
	}
	if rp.branches == nil {
		rp.branches = map[string]string{}
	}
	rp.branches[strings.TrimPrefix(in.Ref, "refs/heads/")] = in.SHA
	return c.reply(http.StatusCreated, s.refJSON(rp, in.Ref, in.SHA))
}

// putContents answers PUT /contents/{path}: a commit on the branch (the
// default branch when none is given) that creates or replaces one file.
// Replacing needs the blob SHA of the file being replaced, as on GitHub.
func (s *Server) putContents(c *call, rp *repo, p string) *apiError {
	var in struct {
		Message *string `json:"message"`
		Content *string `json:"content"`
		SHA     string  `json:"sha"`
		Branch  string  `json:"branch"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Message == nil || in.Content == nil {
		return invalid("Invalid request.\n\n\"message\" and \"content\" are required.")
	}
	content, derr := base64.StdEncoding.DecodeString(*in.Content)
	if derr != nil {
		return invalid("content is not valid Base64")
	}
	branch := in.Branch
	if branch == "" {
		branch = DefaultBranch
	}
	parent, ok := rp.branches[branch]
	if !ok {
		return &apiError{status: http.StatusNotFound, message: "Branch " + branch + " not found"}
	}
	p = strings.Trim(p, "/")
	tree := maps.Clone(rp.commits[parent])
	old, exists := tree[p]
	status := http.StatusCreated
	switch {
	case exists && in.SHA == "":
		return invalid("Invalid request.\n\n\"sha\" wasn't supplied.")
	case exists && in.SHA != blobSHA(old):
		return &apiError{status: http.StatusConflict, message: fmt.Sprintf("%s does not match %s", p, in.SHA)}
	case exists:
		status = http.StatusOK
	}
	tree[p] = string(content)
	h := sha1.New()
	fmt.Fprintf(h, "commit %s\x00%s\x00%s\x00%s", parent, p, content, *in.Message)
	sha := hex.EncodeToString(h.Sum(nil))
	if rp.commits == nil {
		rp.commits = map[string]map[string]string{}
	}
	rp.commits[sha] = tree
	rp.commitLog = append(rp.commitLog, Commit{SHA: sha, Parent: parent, Message: *in.Message, Author: c.login})
	rp.setParent(sha, parent)
	rp.branches[branch] = sha
	api := fmt.Sprintf("%s%s/repos/%s", s.ts.URL, Prefix, rp.full())
	file := s.contentJSON(rp, branch, "file", p, string(content))
	return c.reply(status, map[string]any{
		"content": file,
		"commit": map[string]any{
			"sha": sha, "url": api + "/git/commits/" + sha, "html_url": fmt.Sprintf("%s/%s/commit/%s", s.ts.URL, rp.full(), sha),
			"message": *in.Message, "parents": []map[string]any{{"sha": parent, "url": api + "/git/commits/" + parent}},
			"author": map[string]any{"name": c.login}, "committer": map[string]any{"name": c.login},
		},
	})
}

// createPull answers POST /pulls: a pull request from a branch of the
// repository into another, listing the files that differ between them.
func (s *Server) createPull(c *call, rp *repo) *apiError {
	var in struct {
		Title *string `json:"title"`
		Head  string  `json:"head"`
		Base  string  `json:"base"`
		Body  string  `json:"body"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Title == nil || *in.Title == "" {
		return validation("PullRequest", "title", "missing_field", "")
	}
	head, hok := rp.branches[in.Head]
	base, bok := rp.branches[in.Base]
	switch {
	case !hok:
		return validation("PullRequest", "head", "invalid", "")
	case !bok:
		return validation("PullRequest", "base", "invalid", "")
	case head == base:
		return validation("PullRequest", "", "custom", fmt.Sprintf("No commits between %s and %s", in.Base, in.Head))
	}
	for _, it := range rp.items {
		if it.pr != nil && it.State == "open" && it.pr.HeadRef == in.Head && it.pr.BaseRef == in.Base {
			return validation("PullRequest", "", "custom", fmt.Sprintf("A pull request already exists for %s:%s.", rp.owner, in.Head))
		}
	}
	if bodyTooLong(in.Body) {
		return validation("PullRequest", "body", "custom", fmt.Sprintf("body is too long (maximum is %d characters)", MaxBodyLength))
	}
	pr := &PullRequest{Title: *in.Title, Body: in.Body, User: c.login, HeadRef: in.Head, HeadSHA: head, BaseRef: in.Base, BaseSHA: base,
		Files: diffTrees(rp.commits[base], rp.commits[head])}
	pr.Number = rp.number(0)
	now := s.now()
	it := &item{Issue: Issue{Number: pr.Number, Title: pr.Title, Body: pr.Body, State: "open", User: c.login, CreatedAt: now, UpdatedAt: now}, pr: pr}
	rp.items[pr.Number] = it
	return c.reply(http.StatusCreated, s.pullJSON(rp, it))
}

// diffTrees lists the files that differ from base to head, by path, with
// line counts of the changed region.
func diffTrees(base, head map[string]string) []File {
	var out []File
	for _, p := range slices.Sorted(maps.Keys(head)) {
		old, ok := base[p]
		switch {
		case !ok:
			out = append(out, File{Filename: p, Status: "added", Additions: strings.Count(head[p], "\n")})
		case old != head[p]:
			add, del := lineDelta(old, head[p])
			out = append(out, File{Filename: p, Status: "modified", Additions: add, Deletions: del})
		}
	}
	for _, p := range slices.Sorted(maps.Keys(base)) {
		if _, ok := head[p]; !ok {
			out = append(out, File{Filename: p, Status: "removed", Deletions: strings.Count(base[p], "\n")})
		}
	}
	return out
}

// lineDelta counts the lines added and removed between a and b, after their
// common first and last lines.
func lineDelta(a, b string) (add, del int) {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for len(al) > 0 && len(bl) > 0 && al[0] == bl[0] {
		al, bl = al[1:], bl[1:]
	}
	for len(al) > 0 && len(bl) > 0 && al[len(al)-1] == bl[len(bl)-1] {
		al, bl = al[:len(al)-1], bl[:len(bl)-1]
	}
	return len(bl), len(al)
}

// FileAt returns a file's content at a branch or commit of the repository.
func (s *Server) FileAt(repo, ref, path string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, false)
	if rp == nil {
		return "", false
	}
	content, ok := rp.commits[rp.resolve(ref)][path]
	return content, ok
}

// Commits lists the commits made through the contents API, oldest first.
func (s *Server) Commits(repo string) []Commit {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rp := s.repoLocked(repo, false); rp != nil {
		return slices.Clone(rp.commitLog)
	}
	return nil
}

// PullRequests lists the repository's pull requests, by number.
func (s *Server) PullRequests(repo string) []PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, false)
	if rp == nil {
		return nil
	}
	var out []PullRequest
	for _, n := range slices.Sorted(maps.Keys(rp.items)) {
		if pr := rp.items[n].pr; pr != nil {
			cp := *pr
			cp.Files = slices.Clone(pr.Files)
			out = append(out, cp)
		}
	}
	return out
}
