package githubtest

import (
	"crypto/sha1" // Git names objects by SHA-1; the fake computes the same blob IDs
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"
)

// MaxContentSize is the largest file the contents API returns with its
// content; larger files (up to 100 MB) come with encoding "none" and no
// content, as on GitHub.
const MaxContentSize = 1 << 20

// MaxDirEntries is the most entries the contents API lists of a folder
// ("This API has an upper limit of 1,000 files for a directory").
const MaxDirEntries = 1000

// DefaultBranch is every repository's default branch in the fake.
const DefaultBranch = "main"

// AddCommit records a commit of the repository whose tree is files (path →
// content), so the contents API can read it at that SHA.
func (s *Server) AddCommit(repo, sha string, files map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, true)
	if rp.commits == nil {
		rp.commits = map[string]map[string]string{}
	}
	rp.commits[sha] = maps.Clone(files)
}

// SetBranch points a branch at a commit; a ref naming the branch then reads
// that commit.
func (s *Server) SetBranch(repo, branch, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(repo, true)
	if rp.branches == nil {
		rp.branches = map[string]string{}
	}
	rp.branches[branch] = sha
}

// knownCommit reports whether sha is a commit the repository knows: one
// added with its tree, or a pull request's head, commit or merge commit.
func (rp *repo) knownCommit(sha string) bool {
	if _, ok := rp.commits[sha]; ok {
		return true
	}
	for _, it := range rp.items {
		if pr := it.pr; pr != nil && (pr.HeadSHA == sha || pr.MergeCommitSHA == sha || slices.Contains(pr.Commits, sha)) {
			return true
		}
	}
	return false
}

// resolve turns a ref (a branch, refs/heads/branch, or a commit SHA) into a
// commit SHA, empty when unknown.
func (rp *repo) resolve(ref string) string {
	if sha, ok := rp.branches[strings.TrimPrefix(ref, "refs/heads/")]; ok {
		return sha
	}
	if rp.knownCommit(ref) {
		return ref
	}
	return ""
}

// blobSHA is Git's object ID of a blob with content.
func blobSHA(content string) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00%s", len(content), content)
	return hex.EncodeToString(h.Sum(nil))
}

// wrap64 breaks base64 into lines of 60 characters ending in "\n", as
// GitHub's contents API encodes content.
func wrap64(b string) string {
	var sb strings.Builder
	for len(b) > 60 {
		sb.WriteString(b[:60] + "\n")
		b = b[60:]
	}
	sb.WriteString(b + "\n")
	return sb.String()
}

// getContents answers GET /repos/{o}/{r}/contents/{path}?ref=: a file as an
// object with base64 content, a directory as an array of entries without
// content. ref defaults to the default branch.
func (s *Server) getContents(c *call, rp *repo, p string) *apiError {
	ref := c.r.URL.Query().Get("ref")
	if ref == "" {
		ref = DefaultBranch
	}
	sha := rp.resolve(ref)
	tree, ok := rp.commits[sha]
	if sha == "" || !ok {
		return &apiError{status: http.StatusNotFound, message: fmt.Sprintf("No commit found for the ref %s", ref)}
	}
	p = strings.Trim(p, "/")
	if content, ok := tree[p]; ok {
		m := s.contentJSON(rp, ref, "file", p, content)
		if len(content) > MaxContentSize {
			m["encoding"], m["content"] = "none", ""
		} else {
			m["encoding"], m["content"] = "base64", wrap64(base64.StdEncoding.EncodeToString([]byte(content)))
		}
		return c.reply(http.StatusOK, m)
	}
	entries := map[string]map[string]any{}
	prefix := p + "/"
	if p == "" {
		prefix = ""
	}
	for fp, content := range tree {
		rest, ok := strings.CutPrefix(fp, prefix)
		if !ok {
			continue
		}
		name, _, isDir := strings.Cut(rest, "/")
		if isDir {
			entries[name] = s.contentJSON(rp, ref, "dir", prefix+name, "")
		} else {
			entries[name] = s.contentJSON(rp, ref, "file", fp, content)
		}
	}
	if len(entries) == 0 {
		return notFound()
	}
	out := []map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		out = append(out, entries[name])
	}
	// GitHub lists at most 1,000 entries of a folder, without saying so.
	if len(out) > MaxDirEntries {
		out = out[:MaxDirEntries]
	}
	return c.reply(http.StatusOK, out)
}

func (s *Server) contentJSON(rp *repo, ref, kind, p, content string) map[string]any {
	api := fmt.Sprintf("%s%s/repos/%s/contents/%s?ref=%s", s.ts.URL, Prefix, rp.full(), p, ref)
	html := fmt.Sprintf("%s/%s/blob/%s/%s", s.ts.URL, rp.full(), ref, p)
	sha := blobSHA(content)
	size := len(content)
	if kind == "dir" {
		sha, size = blobSHA("tree "+p), 0
		html = fmt.Sprintf("%s/%s/tree/%s/%s", s.ts.URL, rp.full(), ref, p)
	}
	m := map[string]any{
		"type":     kind,
		"name":     path.Base(p),
		"path":     p,
		"sha":      sha,
		"size":     size,
		"url":      api,
		"html_url": html,
		"_links":   map[string]any{"self": api, "html": html},
	}
	if kind == "file" {
		m["download_url"] = fmt.Sprintf("%s/raw/%s/%s/%s", s.ts.URL, rp.full(), ref, p)
	}
	return m
}
