package action

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/github"
	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/manifest"
)

// baseTreeOver is a baseTree at commit "base" of a repository whose tree is
// files, with the workspace ws.
func baseTreeOver(t *testing.T, files map[string]string, ws string) (*baseTree, *githubtest.Server) {
	t.Helper()
	srv := githubtest.NewServer(t)
	srv.AddRepo("acme/access")
	srv.AddCommit("acme/access", "base", files)
	c, err := github.New(context.Background(), github.Options{Token: "ghs_test", APIURL: srv.APIURL()})
	if err != nil {
		t.Fatal(err)
	}
	api := &repoGitHub{c: c, repo: "acme/access"}
	r := &runner{in: Inputs{Path: "access"}}
	ctx := context.Background()
	return &baseTree{ctx: ctx, api: api, ref: "base", root: "access",
		workspace: func(rel string) string { return filepath.Join(ws, filepath.FromSlash(rel)) },
		folders:   func() (map[string]bool, error) { return r.foldersAt(ctx, api, "base") }}, srv
}

// The base tree reads through the API only what the workspace does not
// hold unchanged, and refuses to guess: more than maxBaseReads changed
// files, or a folder listed to GitHub's limit, make the base unavailable.
func TestBaseTreeBounds(t *testing.T) {
	t.Parallel()
	const same = "users:\n  - name: bob\n    expires: 2027-03-31\n"
	t.Run("unchanged files come from the workspace", func(t *testing.T) {
		t.Parallel()
		ws := t.TempDir()
		if err := os.MkdirAll(filepath.Join(ws, "access", "production"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ws, "access", "production", "bob.yaml"), []byte(same), 0o644); err != nil {
			t.Fatal(err)
		}
		tree, srv := baseTreeOver(t, map[string]string{
			"access/production/bob.yaml":   same,
			"access/production/alice.yaml": "users:\n  - name: alice\n",
		}, ws)
		got, err := manifest.ReadBase(tree, "base", []string{"production", "staging"})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range got["production"] {
			names = append(names, u.Name)
		}
		if diff := cmp.Diff([]string{"alice", "bob"}, names); diff != "" {
			t.Errorf("users (-want +got):\n%s", diff)
		}
		if _, ok := got["staging"]; ok {
			t.Error("staging, absent from the base, was read")
		}
		if tree.reads != 1 || tree.local != 1 || srv.Count("GET", "/repos/acme/access/contents/access/production/bob.yaml") != 0 {
			t.Errorf("reads %d through the API, %d from the workspace; want 1 and 1 (bob unchanged)", tree.reads, tree.local)
		}
	})
	t.Run("too many changed files", func(t *testing.T) {
		t.Parallel()
		files := map[string]string{}
		for i := range maxBaseReads + 1 {
			files[fmt.Sprintf("access/production/u%03d.yaml", i)] = fmt.Sprintf("users: [{name: u%03d}]\n", i)
		}
		tree, _ := baseTreeOver(t, files, t.TempDir())
		_, err := manifest.ReadBase(tree, "base", []string{"production"})
		if err == nil || !strings.Contains(err.Error(), "more than 100 files differ from the base commit") || tree.reads != maxBaseReads {
			t.Errorf("ReadBase: %v after %d reads; want refused after %d", err, tree.reads, maxBaseReads)
		}
	})
	t.Run("a folder listed to GitHub's limit", func(t *testing.T) {
		t.Parallel()
		files := map[string]string{}
		for i := range github.MaxDirEntries + 1 {
			files[fmt.Sprintf("access/production/u%04d.txt", i)] = "x"
		}
		tree, _ := baseTreeOver(t, files, t.TempDir())
		_, err := manifest.ReadBase(tree, "base", []string{"production"})
		if err == nil || !strings.Contains(err.Error(), "lists 1000 entries, the most GitHub's contents API lists of a folder") {
			t.Errorf("ReadBase: %v, want refused", err)
		}
	})
}
