package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/render"
	"github.com/roster-dev/roster/internal/report"
	"github.com/roster-dev/roster/internal/state"
)

func reportCommand() *command {
	return &command{
		name:    "report",
		usage:   "[--dir DIR] [--env a,b] [--live SNAPSHOTS] [--format markdown|html] [--out FILE] [--max-length BYTES]",
		summary: "show who has what in which environment",
		help: `Renders the access matrix: every person and service account against the
environments in promotion order, with their groups, the effective managed
policies (attached directly or through a group), inline policies, permissions
boundary and console access. Production environments are highlighted and
admin-equivalent access is flagged (docs/report.md lists the rules).

The matrix comes from the manifests alone: no AWS account is needed. With
--live DIR, environments that have a snapshot DIR/<env>.json (written by
'roster snapshot') show what live IAM actually grants instead, with access
keys, MFA devices, drift from the manifests, and users no manifest declares.

Formats:
  markdown  a compact matrix, the admin-equivalent access, and a collapsible
            table per environment, for a GitHub job summary (--max-length
            1048576 keeps a large one within GitHub's limit)
  html      one self-contained page (no external files) for a browser`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			dir := dirFlag(fs)
			var envs listFlag
			fs.Var(&envs, "env", "show only these `environments` (comma-separated or repeated)")
			live := fs.String("live", "", "add live IAM from snapshot `directory` (DIR/<env>.json where present)")
			format := newEnum(fs, "format", "markdown", "output `format`", "markdown", "html")
			out := fs.String("out", "", "write to `file` instead of standard output")
			maxLength := fs.Int("max-length", 0, "markdown: shorten the report to at most `bytes` (1048576 fits a GitHub job summary); 0 is no limit")
			return func(ctx context.Context, args []string, env Env) error {
				if err := noArgs("report", args); err != nil {
					return err
				}
				if *maxLength < 0 {
					return usageError("--max-length must not be negative")
				}
				repo, selected, err := selectEnvs(env, *dir, envs)
				if err != nil {
					return err
				}
				opts := report.Options{OwnershipTag: repo.Config.OwnershipTag, Now: env.now()}
				if *live != "" {
					if opts.Live, err = readSnapshots(ctx, *live, selected); err != nil {
						return err
					}
				}
				m := report.Build(selected, opts)
				var buf bytes.Buffer
				if format.value == "html" {
					err = render.ReportHTML(&buf, m)
				} else {
					err = render.ReportMarkdown(&buf, m, render.ReportOptions{MaxLength: *maxLength})
				}
				if err != nil {
					return err
				}
				if *out == "" {
					_, err = env.Stdout.Write(buf.Bytes())
					return err
				}
				if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil { //nolint:gosec // a report for people to open
					return fmt.Errorf("write report: %w", err)
				}
				return nil
			}
		},
	}
}

// readSnapshots reads DIR/<env>.json for every environment that has one. An
// environment without a snapshot is shown from its manifests; a snapshot
// that cannot be read, or is of another account, is an error.
func readSnapshots(ctx context.Context, dir string, envs []*manifest.Environment) (map[string]*state.Account, error) {
	src := &engine.SnapshotSource{Dir: dir}
	live := map[string]*state.Account{}
	for _, e := range envs {
		if _, err := os.Stat(filepath.Join(dir, e.Name+".json")); os.IsNotExist(err) {
			continue
		}
		acct, err := src.Read(ctx, e, nil)
		if err != nil {
			return nil, err
		}
		live[e.Name] = acct
	}
	if len(live) == 0 {
		return nil, failf("no snapshot in %s for the selected environments (take one with: roster snapshot --env NAME > %s/NAME.json)", dir, dir)
	}
	return live, nil
}
