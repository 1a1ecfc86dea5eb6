package cli

import (
	"context"
	"flag"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
)

func expireCommand() *command {
	return &command{
		name:    "expire",
		usage:   "[--dir DIR] [--env a,b] [--format text|markdown|json]",
		summary: "remove the access whose expires has passed, and nothing else",
		help: `Validates the manifests (and stops if they are invalid), then in every selected
environment re-plans from live IAM with role_arn and applies only the removals
of grants whose expires has passed: users and service accounts (with every
teardown step IAM requires) and time-bound group memberships. Everything else
the plan holds (drift, new users, changes not yet applied) is listed and left
for a reviewed apply. An environment whose expired users outnumber its
max_deletions is refused. It does not ask for confirmation: the end dates were
reviewed when they were merged. The scheduled expire workflow runs it hourly
(docs/setup.md).

Environments are expired in promotion order; one that fails does not stop
the others.

Exit status: 0 when every environment was expired (or had nothing to remove),
1 when an operation failed, an environment was refused or could not be read,
or the manifests are invalid; 2 on usage errors.`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			dir := dirFlag(fs)
			var envs listFlag
			fs.Var(&envs, "env", "expire only these `environments` (comma-separated or repeated)")
			format := newEnum(fs, "format", "text", "report `format`", "text", "markdown", "json")
			return func(ctx context.Context, args []string, env Env) error {
				if err := noArgs("expire", args); err != nil {
					return err
				}
				return runExpire(ctx, env, *dir, envs, format.value)
			}
		},
	}
}

func runExpire(ctx context.Context, env Env, dir string, names []string, format string) error {
	repo, envs, err := selectEnvs(env, dir, names)
	if err != nil {
		return err
	}
	conn, err := awsiam.NewConnector(ctx, env.Getenv, awsiam.Concurrency{})
	if err != nil {
		return err
	}
	left := map[string][]plan.Change{}
	res, err := engine.Expire(ctx, repo, envs, conn.Source(awsiam.ForApply), conn.Writers(), env.now(), engine.ApplyOptions{
		Run:     apply.Options{Concurrency: apply.DefaultConcurrency},
		Skipped: func(name string, skipped []plan.Change) { left[name] = skipped },
	})
	if err != nil {
		return usageError("%v", err)
	}
	if err := writeApply(env.Stdout, res, format); err != nil {
		return err
	}
	for _, e := range res.Environments {
		if s := render.LeftForReview(e.Name, left[e.Name]); s != "" {
			if format == "text" {
				_, err = env.Stdout.Write([]byte(s + "\n"))
			} else {
				_, err = env.Stderr.Write([]byte(s + "\n"))
			}
			if err != nil {
				return err
			}
		}
	}
	if res.Failed() {
		return &exitError{Code: ExitFailure}
	}
	return nil
}
