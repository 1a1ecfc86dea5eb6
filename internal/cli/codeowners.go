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
	"strings"

	"github.com/roster-dev/roster/internal/approval"
	"github.com/roster-dev/roster/internal/diag"
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

// codeOwners loads the repository and returns each environment's folder
// and approvals (see ownersOf).
func codeOwners(dir, file string, env Env) ([]approval.Owners, error) {
	repo, diags := manifest.Load(dir, manifest.WithClock(env.now))
	if diags.HasErrors() {
		return nil, failf("%s is invalid: run roster validate --dir %s", dir, dir)
	}
	out, err := ownersOf(repo, dir, file)
	if err != nil {
		return nil, &exitError{Code: ExitFailure, Err: err}
	}
	return out, nil
}

// ownersOf returns each environment's folder, relative to the repository
// root (where GitHub reads CODEOWNERS paths from: the folder holding file,
// or its parent for .github/ and docs/), and approvals.
func ownersOf(repo *manifest.Repository, dir, file string) ([]approval.Owners, error) {
	root := filepath.Dir(file)
	if b := filepath.Base(root); b == ".github" || b == "docs" {
		root = filepath.Dir(root)
	}
	rel, err := relPath(root, dir)
	if err != nil {
		return nil, fmt.Errorf("%s is not inside the repository of %s: %w", dir, file, err)
	}
	base := path.Clean(filepath.ToSlash(rel))
	out := make([]approval.Owners, 0, len(repo.Environments))
	for _, e := range repo.Environments {
		out = append(out, approval.Owners{Dir: path.Join(base, e.Name), Rule: approval.Rule{Required: e.Approvals.Required, Reviewers: e.Approvals.Reviewers}})
	}
	return out, nil
}

// Rules of the warnings validate adds to the loader's findings.
const (
	ruleProductionNoApprovals = "production-without-approvals"
	ruleCodeownersStale       = "codeowners-stale"
)

// approvalWarnings are validate's checks of who must approve, beyond the
// loader's: a production environment (production: true, the default for
// folders named production or prod) without approvals, and a CODEOWNERS
// block that is missing or stale (as roster codeowners --check says). The
// CODEOWNERS file is the one GitHub reads in the repository holding dir;
// it is checked only when an environment has approvals or the file has a
// roster block.
func approvalWarnings(repo *manifest.Repository, dir string) diag.List {
	var out diag.List
	required := false
	for _, e := range repo.Environments {
		required = required || e.Approvals.Required > 0
		if e.Production && e.Approvals.Required == 0 {
			out.Warnf(e.Pos, ruleProductionNoApprovals,
				"add approvals (required, reviewers) to its environment.yaml and run roster codeowners; or set production: false if it is not production",
				"environment %q is production but sets no approvals: roster applies any merge that branch protection allows", e.Name)
		}
	}
	file, shown := codeownersFile(dir)
	b, err := os.ReadFile(file) //nolint:gosec // the repository's CODEOWNERS
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		out.Warnf(diag.Pos{File: shown}, ruleCodeownersStale, "", "read %s: %v", shown, err)
		return out
	}
	if !required && !strings.Contains(string(b), approval.BlockBegin) {
		return out
	}
	owners, err := ownersOf(repo, dir, file)
	if err == nil {
		err = approval.CheckCodeowners(string(b), owners)
	}
	if err != nil {
		out.Warnf(diag.Pos{File: shown}, ruleCodeownersStale,
			fmt.Sprintf("run roster codeowners --dir %s --file %s and commit it, so GitHub asks each environment's reviewers before merge", dir, shown), "%v", err)
	}
	return out
}

// codeownersFile returns the CODEOWNERS file GitHub reads for the
// repository holding dir (the nearest folder above it with .git, else its
// parent): the first of .github/CODEOWNERS, CODEOWNERS and docs/CODEOWNERS
// that exists, else .github/CODEOWNERS. shown is the same path as the user
// would write it: absolute when dir is, else relative to the working
// directory.
func codeownersFile(dir string) (file, shown string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	root := manifest.RepositoryRoot(abs)
	file = filepath.Join(root, filepath.FromSlash(approval.CodeownersPath))
	for _, p := range []string{approval.CodeownersPath, "CODEOWNERS", "docs/CODEOWNERS"} {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err == nil {
			file = filepath.Join(root, filepath.FromSlash(p))
			break
		}
	}
	shown = file
	if !filepath.IsAbs(dir) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, file); err == nil {
				shown = rel
			}
		}
	}
	return file, filepath.ToSlash(shown)
}

// syncCodeowners checks or rewrites file's roster block.
func syncCodeowners(file string, owners []approval.Owners, check bool, env Env) error {
	b, err := os.ReadFile(file) //nolint:gosec // the file the user names
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return failf("read %s: %w", file, err)
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
		return failf("write %s: %w", file, err)
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
