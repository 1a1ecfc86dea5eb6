package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/roster-dev/roster/internal/approval"
	"github.com/roster-dev/roster/internal/manifest"
)

func codeownersCommand() *command {
	return &command{
		name:    "codeowners",
		usage:   "[--dir DIR] [--file FILE] [--check]",
		summary: "write each environment's approvals into CODEOWNERS",
		help: `Writes a marked block at the end of CODEOWNERS (default .github/CODEOWNERS) that
gives each environment folder with approvals its reviewers, so GitHub asks
the same people before merge that roster requires before apply. The rest of
the file is kept as written; the block goes last because the last matching
pattern wins.

With --check nothing is written: the exit status is 1 when the block is
missing, differs from the approvals, or is followed by rules (for CI).`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			dir := dirFlag(fs)
			file := fs.String("file", approval.CodeownersPath, "the CODEOWNERS `file`")
			check := fs.Bool("check", false, "check the block and exit 1 if it is stale; write nothing")
			return func(_ context.Context, args []string, env Env) error {
				if err := noArgs("codeowners", args); err != nil {
					return err
				}
				owners, err := codeOwners(*dir, *file, env)
				if err != nil {
					return err
				}
				return syncCodeowners(*file, owners, *check, env)
			}
		},
	}
}

// codeOwners loads the repository and returns each environment's folder,
// relative to the repository root (where GitHub reads CODEOWNERS paths
// from: the folder holding file, or its parent for .github/ and docs/), and
// approvals.
func codeOwners(dir, file string, env Env) ([]approval.Owners, error) {
	repo, diags := manifest.Load(dir, manifest.WithClock(env.now))
	if diags.HasErrors() {
		return nil, &exitError{Code: ExitFailure, Err: fmt.Errorf("%s is invalid: run roster validate --dir %s", dir, dir)}
	}
	root := filepath.Dir(file)
	if b := filepath.Base(root); b == ".github" || b == "docs" {
		root = filepath.Dir(root)
	}
	rel, err := relPath(root, dir)
	if err != nil {
		return nil, &exitError{Code: ExitFailure, Err: fmt.Errorf("%s is not inside the repository of %s: %w", dir, file, err)}
	}
	base := path.Clean(filepath.ToSlash(rel))
	out := make([]approval.Owners, 0, len(repo.Environments))
	for _, e := range repo.Environments {
		out = append(out, approval.Owners{Dir: path.Join(base, e.Name), Rule: approval.Rule{Required: e.Approvals.Required, Reviewers: e.Approvals.Reviewers}})
	}
	return out, nil
}

// syncCodeowners checks or rewrites file's roster block.
func syncCodeowners(file string, owners []approval.Owners, check bool, env Env) error {
	b, err := os.ReadFile(file) //nolint:gosec // the file the user names
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &exitError{Code: ExitFailure, Err: fmt.Errorf("read %s: %w", file, err)}
	}
	if check {
		if err := approval.CheckCodeowners(string(b), owners); err != nil {
			return &exitError{Code: ExitFailure, Err: err}
		}
		fmt.Fprintf(env.Stdout, "%s: the roster block is up to date\n", file)
		return nil
	}
	out, err := approval.UpdateCodeowners(string(b), owners)
	if err != nil {
		return &exitError{Code: ExitFailure, Err: err}
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil { //nolint:gosec // a folder of the repository
		return &exitError{Code: ExitFailure, Err: err}
	}
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil { //nolint:gosec // CODEOWNERS is public
		return &exitError{Code: ExitFailure, Err: fmt.Errorf("write %s: %w", file, err)}
	}
	fmt.Fprintf(env.Stdout, "%s: wrote the roster block\n", file)
	return nil
}

// relPath is dir relative to root, both made absolute first.
func relPath(root, dir string) (string, error) {
	ar, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	ad, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	return filepath.Rel(ar, ad)
}
