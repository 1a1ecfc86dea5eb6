package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

func snapshotCommand() *command {
	return &command{
		name:    "snapshot",
		usage:   "--env NAME [--dir DIR] [--out FILE] [--credential-report]",
		summary: "save an environment's live IAM state as JSON",
		help: `Reads the live IAM state of one environment (with its plan role) and writes it
as JSON: every user and group with their policies, tags, console access and
credential metadata (IDs and dates only: never a secret). 'roster plan --live
DIR' plans against a folder of such files (DIR/<env>.json) without AWS.

--credential-report also generates and saves the account's credential report,
for the hygiene findings of 'roster drift --live DIR'. It assumes the drift role
(role_arn), since the plan role may not call iam:GenerateCredentialReport.`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			dir := fs.String("dir", manifest.DefaultDir, "the access `directory`")
			name := fs.String("env", "", "the `environment` to read (required)")
			out := fs.String("out", "", "write to `file` instead of standard output")
			withReport := fs.Bool("credential-report", false, "also save the credential report (read with role_arn)")
			return func(ctx context.Context, args []string, env Env) error {
				if len(args) > 0 {
					return usageError("snapshot takes no arguments, got %q", args)
				}
				if *name == "" {
					return usageError("snapshot needs --env NAME")
				}
				repo, err := loadRepo(env, *dir)
				if err != nil {
					return err
				}
				envs, err := engine.Select(repo, []string{*name})
				if err != nil {
					return usageError("%v", err)
				}
				conn, err := awsiam.NewConnector(ctx, env.Getenv)
				if err != nil {
					return err
				}
				src := conn.Source(awsiam.ForPlan)
				all := func(*state.User) state.Details { return state.LoginProfile | state.Credentials }
				live, err := src.Read(ctx, envs[0], all)
				if err != nil {
					return err
				}
				var report *state.CredentialReport
				if *withReport {
					if report, err = conn.Source(awsiam.ForDrift).CredentialReport(ctx, envs[0]); err != nil {
						return err
					}
				}
				var buf bytes.Buffer
				snap := &state.Snapshot{Environment: *name, TakenAt: env.now().UTC(), Account: live, CredentialReport: report}
				if err := state.WriteSnapshot(&buf, snap); err != nil {
					return err
				}
				if *out == "" {
					_, err = env.Stdout.Write(buf.Bytes())
					return err
				}
				if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
					return fmt.Errorf("write snapshot: %w", err)
				}
				return nil
			}
		},
	}
}
