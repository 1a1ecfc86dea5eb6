package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/importer"
	"github.com/roster-dev/roster/internal/manifest"
)

func importCommand() *command {
	return &command{
		name:    "import",
		usage:   "--env NAME [--dir DIR] [--include GLOB] [--exclude GLOB] [--force] [--live SNAPSHOTS] [--read-concurrency N]",
		summary: "write manifests for the users and groups already in an account",
		help: `Reads the live IAM of one environment (with its plan role, or from the
snapshot SNAPSHOTS/<env>.json with --live) and writes manifests for its users,
service accounts and groups into the environment's folder: one file per group
with the group and its members, service-accounts.yaml, and users.yaml for
people in no group. Users and groups the environment's manifests already
declare are skipped, and so are users matched by unmanaged.ignore, by
--exclude, or not by --include. A plan right after an import adopts (tags)
the imported users; its notes say what else that plan changes: the tags of
defaults.tags a user lacks (added as part of the adoption), and the
roster-require-mfa policy for console users under console_requires_mfa.

A user with access keys and no console password is imported as a service
account with owner: unknown, both marked by comments to check. A user with a
console password gets console: true and a placeholder pgp_key (its private key
is not kept): roster only needs a key to create a new password; replace it
with the person's own key.

Existing files are never overwritten unless --force is given. With --force,
entries declared in a replaced file are imported again from the live account;
what such a file declares that the account lacks is gone with it.

After writing, the tree is validated: if the account breaks a rule of the
manifests (a forbidden managed policy, say), import says where and exits 1.`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			a := importArgs{dir: dirFlag(fs)}
			a.name = fs.String("env", "", "the `environment` to import (required)")
			fs.Var(&a.include, "include", "import only users matching these `globs` (comma-separated or repeated)")
			fs.Var(&a.exclude, "exclude", "skip users matching these `globs` (comma-separated or repeated)")
			a.force = fs.Bool("force", false, "replace existing files")
			a.live = fs.String("live", "", "read live state from snapshot `directory` instead of AWS")
			readConcurrencyFlag(fs, &a.conc)
			return func(ctx context.Context, args []string, env Env) error {
				if err := noArgs("import", args); err != nil {
					return err
				}
				if *a.name == "" {
					return usageError("import needs --env NAME")
				}
				for _, g := range slices.Concat(a.include, a.exclude) {
					if _, err := path.Match(g, ""); err != nil {
						return usageError("bad glob %q: %v", g, err)
					}
				}
				return runImport(ctx, env, &a)
			}
		},
	}
}

// importTarget is the environment to import into, or an error that says
// how to add it.
func importTarget(repo *manifest.Repository, dir, name string) (*manifest.Environment, error) {
	envs, err := engine.Select(repo, []string{name})
	if err != nil {
		return nil, usageError("%v; to add it, write %s or run roster init --dir %s --env %s=ACCOUNT_ID", err,
			filepath.ToSlash(filepath.Join(dir, name, "environment.yaml")), filepath.ToSlash(dir), name)
	}
	return envs[0], nil
}

// importArgs are the flags of import.
type importArgs struct {
	dir, name, live  *string
	include, exclude listFlag
	force            *bool
	conc             awsiam.Concurrency
}

// runImport reads the environment's live IAM, writes the manifests of what
// the repository does not declare yet, and validates the tree again.
func runImport(ctx context.Context, env Env, a *importArgs) error {
	repo, err := loadRepo(env, *a.dir)
	if err != nil {
		return err
	}
	target, err := importTarget(repo, *a.dir, *a.name)
	if err != nil {
		return err
	}
	src, err := liveSource(ctx, env, *a.live, awsiam.ForPlan, a.conc)
	if err != nil {
		return err
	}
	acct, err := readAll(ctx, src, target)
	if err != nil {
		return err
	}
	res, err := importer.Build(repo.Config, target, acct, importer.Options{
		Include: a.include, Exclude: a.exclude, Force: *a.force, Now: env.now(),
	})
	if err != nil {
		return usageError("%v", err)
	}
	written, err := res.Write(filepath.Join(*a.dir, target.Name), *a.force)
	if err != nil {
		return &exitError{Code: ExitFailure, Err: err}
	}
	printImport(env.Stdout, *a.dir, target.Name, res, written)
	// The tree must still be valid: say so now rather than at the next plan.
	_, diags := manifest.Load(*a.dir, manifest.WithClock(env.now))
	if diags.HasErrors() {
		printDiagnostics(env.Stderr, diags)
		return failf("the imported manifests do not validate (%s): the live account breaks a rule of the manifests, such as a guardrail; fix the files, then run roster validate --dir %s", diags.Tally(diag.Error), *a.dir)
	}
	return nil
}

func printImport(w io.Writer, dir, env string, r *importer.Result, written []string) {
	fmt.Fprintf(w, "Imported into %s: %s, %s, %s.\n", env,
		plural(len(r.Users), "person", "people"),
		plural(len(r.ServiceAccounts), "service account", "service accounts"),
		plural(len(r.Groups), "group", "groups"))
	for _, f := range written {
		fmt.Fprintf(w, "  wrote %s\n", filepath.ToSlash(f))
	}
	if len(written) == 0 {
		fmt.Fprintf(w, "  nothing to write\n")
	}
	skipped := []struct {
		n         int
		one, many string
	}{
		{len(r.DeclaredUsers), "user", "users"},
		{len(r.DeclaredGroups), "group", "groups"},
		{len(r.Ignored), "user", "users"},
		{len(r.Filtered), "user", "users"},
	}
	why := []string{"already declared in the manifests", "already declared in the manifests", "matched by unmanaged.ignore", "left out by --include/--exclude"}
	for i, s := range skipped {
		if s.n > 0 {
			fmt.Fprintf(w, "Skipped %s %s.\n", plural(s.n, s.one, s.many), why[i])
		}
	}
	if len(r.ServiceAccounts) > 0 {
		fmt.Fprintf(w, "Check the service accounts: users with access keys and no console password were imported as service accounts.\n")
	}
	if n := len(r.UnknownOwners); n > 0 {
		fmt.Fprintf(w, "Replace owner: unknown on %s: %s.\n", plural(n, "service account", "service accounts"), short(r.UnknownOwners))
	}
	if n := len(r.PlaceholderKeys); n > 0 {
		fmt.Fprintf(w, "Replace the placeholder pgp_key of %s with their own keys: %s.\n", plural(n, "console user", "console users"), short(r.PlaceholderKeys))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "Note: %s.\n", n)
	}
	dirArg := ""
	if dir != manifest.DefaultDir {
		dirArg = " --dir " + filepath.ToSlash(dir)
	}
	also := ""
	if len(r.Notes) > 0 {
		also = " and the changes noted above"
	}
	fmt.Fprintf(w, "Next: roster plan%s --env %s shows the adoption of the imported users%s.\n", dirArg, env, also)
}

// short lists up to ten names.
func short(names []string) string {
	if len(names) <= 10 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:10], ", "), len(names)-10)
}
