package action

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/github"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
)

// maxBaseReads bounds the files one plan reads through the contents API to
// compare time-bound access with the base branch: the files the pull
// request changes. Files it leaves alone come from the workspace.
const maxBaseReads = 100

// compareBase marks, in a pull request's plan, the grants whose end the
// pull request moves, against the manifests of its base commit read
// through the GitHub API (the workspace is the merge commit: its files are
// the pull request's, never taken for the base's). It fails soft: when the
// base cannot be read, the plan says why, the log warns, and the run goes
// on. Other runs compare nothing.
func (r *runner) compareBase(ctx context.Context, repo *manifest.Repository, p *plan.Plan) {
	if r.rc.PullRequest == 0 || (r.rc.Event != eventPullRequest && r.rc.Event != eventPullRequestReview && r.rc.Event != eventIssues) {
		return
	}
	ref := r.rc.BaseSHA
	if ref == "" {
		p.BaseUnavailable = "the event names no base commit (pull_request.base.sha)"
		r.gh.Warningf("Time-bound access was not compared with the base branch: %s.", p.BaseUnavailable)
		return
	}
	api, err := r.github()
	if err == nil {
		ctx, cancel := context.WithTimeout(ctx, baseTimeout)
		defer cancel()
		tree := &baseTree{ctx: ctx, api: api, ref: ref, root: r.in.Path, workspace: r.inWorkspace,
			folders: func() (map[string]bool, error) { return r.foldersAt(ctx, api, ref) }}
		err = engine.CompareBase(p, repo, tree, r.in.Path+"@"+shortSHA(ref))
		r.logf("Compared time-bound access with %s at %s: %d file(s) read through the API, %d from the workspace.", r.in.Path, shortSHA(ref), tree.reads, tree.local)
	} else {
		p.BaseUnavailable = err.Error()
	}
	if err != nil {
		r.gh.Warningf("Time-bound access was not compared with the base branch (the plan comment says so): %v", err)
	}
}

// baseTimeout bounds the comparison with the base: the plan is posted
// without it rather than late.
const baseTimeout = 60 * time.Second

// baseTree is the access directory at the base commit, as
// manifest.ReadBase reads it: one contents API listing per folder; a file
// whose Git blob ID the listing gives and the workspace holds unchanged
// is read from the workspace (the same ID is the same content), any other
// through the API, at most maxBaseReads of them.
type baseTree struct {
	// ctx is the comparison's: manifest.Tree takes none.
	ctx       context.Context
	api       gitHub
	ref, root string
	// workspace is where a file of the repository is in the workspace.
	workspace func(rel string) string
	// folders reads the folders of the access directory at ref, the
	// environments the base has (runner.foldersAt); envs keeps them.
	folders func() (map[string]bool, error)
	envs    map[string]bool
	// blobs are the blob IDs of the files listed so far, by path in the
	// repository.
	blobs        map[string]string
	reads, local int
}

var _ manifest.Tree = (*baseTree)(nil)

// notFound is an error that is fs.ErrNotExist for manifest.ReadBase.
func notFound(err error) error { return fmt.Errorf("%w: %w", fs.ErrNotExist, err) }

// ReadDir lists a folder of the access directory at the base commit. An
// environment folder the commit lacks is fs.ErrNotExist; so is every one
// when the commit has no access directory (the pull request adds it). A
// commit GitHub does not know is an error (foldersAt).
func (t *baseTree) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := t.readEnvs(); err != nil {
		return nil, err
	}
	if env, _, _ := strings.Cut(name, "/"); !t.envs[env] {
		return nil, notFound(fmt.Errorf("%s is not a folder of %s at %s", env, t.root, shortSHA(t.ref)))
	}
	entries, err := t.api.DirAtRef(t.ctx, path.Join(t.root, name), t.ref)
	if err != nil {
		return nil, err
	}
	if len(entries) >= github.MaxDirEntries {
		return nil, fmt.Errorf("%s at %s lists %d entries, the most GitHub's contents API lists of a folder: some may be missing", path.Join(t.root, name), shortSHA(t.ref), len(entries))
	}
	out := make([]fs.DirEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, fs.FileInfoToDirEntry(entryInfo{e}))
		if e.Type == "file" {
			t.blobs[e.Path] = e.SHA
		}
	}
	return out, nil
}

// readEnvs reads the folders of the access directory at the base commit,
// once.
func (t *baseTree) readEnvs() error {
	if t.envs != nil {
		return nil
	}
	envs, err := t.folders()
	if err != nil {
		return err
	}
	t.envs, t.blobs = envs, map[string]string{}
	return nil
}

// ReadFile reads a file listed by ReadDir: from the workspace when it
// holds the same blob, else through the API.
func (t *baseTree) ReadFile(name string) ([]byte, error) {
	full := path.Join(t.root, name)
	if want := t.blobs[full]; want != "" {
		// A manifest of the checkout, used only when its blob ID is the base's.
		data, err := os.ReadFile(t.workspace(full))
		if err == nil && github.BlobSHA(data) == want {
			t.local++
			return data, nil
		}
	}
	if t.reads >= maxBaseReads {
		return nil, fmt.Errorf("more than %d files differ from the base commit %s: the comparison reads at most that many through the API", maxBaseReads, shortSHA(t.ref))
	}
	t.reads++
	data, err := t.api.FileAtRef(t.ctx, full, t.ref)
	if errors.Is(err, github.ErrFileNotFound) {
		return nil, notFound(err)
	}
	return data, err
}

// entryInfo is a listed entry as fs.FileInfo, for fs.DirEntry: its name
// and type; GitHub's listing gives no times or modes.
type entryInfo struct{ e github.DirEntry }

func (i entryInfo) Name() string       { return i.e.Name }
func (i entryInfo) Size() int64        { return 0 }
func (i entryInfo) ModTime() time.Time { return time.Time{} }
func (i entryInfo) IsDir() bool        { return i.e.Type == "dir" }
func (i entryInfo) Sys() any           { return nil }

// Mode maps GitHub's types: "dir", "file", "symlink", and "submodule"
// (listed as "file" by GitHub, refused when read).
func (i entryInfo) Mode() fs.FileMode {
	switch i.e.Type {
	case "dir":
		return fs.ModeDir
	case "file":
		return 0
	case "symlink":
		return fs.ModeSymlink
	default:
		return fs.ModeIrregular
	}
}
