package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/roster-dev/roster/internal/awsiam"
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
			dir := dirFlag(fs)
			name := fs.String("env", "", "the `environment` to read (required)")
			out := fs.String("out", "", "write to `file` instead of standard output")
			withReport := fs.Bool("credential-report", false, "also save the credential report (read with role_arn)")
			return func(ctx context.Context, args []string, env Env) error {
				if err := noArgs("snapshot", args); err != nil {
					return err
				}
				if *name == "" {
					return usageError("snapshot needs --env NAME")
				}
				snap, err := takeSnapshot(ctx, env, *dir, *name, *withReport)
				if err != nil {
					return err
				}
				var buf bytes.Buffer
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

// takeSnapshot reads environment name's live IAM with its plan role and,
// with withReport, its credential report with the drift role.
func takeSnapshot(ctx context.Context, env Env, dir, name string, withReport bool) (*state.Snapshot, error) {
	_, envs, err := selectEnvs(env, dir, []string{name})
	if err != nil {
		return nil, err
	}
	conn, err := awsiam.NewConnector(ctx, env.Getenv, awsiam.Concurrency{})
	if err != nil {
		return nil, err
	}
	live, err := readAll(ctx, conn.Source(awsiam.ForPlan), envs[0])
	if err != nil {
		return nil, err
	}
	var report *state.CredentialReport
	if withReport {
		if report, err = conn.Source(awsiam.ForDrift).CredentialReport(ctx, envs[0]); err != nil {
			return nil, err
		}
	}
	return &state.Snapshot{Environment: name, TakenAt: env.now().UTC(), Account: live, CredentialReport: report}, nil
}
