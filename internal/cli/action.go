package cli

import (
	"context"
	"flag"

	"github.com/roster-dev/roster/internal/action"
)

func actionCommand() *command {
	return &command{
		name:    "action",
		usage:   "",
		summary: "run as the GitHub Action (the container's entrypoint)",
		help: `Runs roster as the GitHub Action: reads the Action's inputs (INPUT_*) and the
workflow run's context (GITHUB_*), and does what the event calls for:

  pull_request                   validate, plan the touched environments, and
                                 keep one plan comment on the pull request
  push to the default branch     apply what the merged pull request's plan
                                 comment reviewed, and report on it
  schedule, workflow_dispatch    report drift as one issue per environment
  any other event                validate (pull_request_target is refused)

The command input (validate, plan, apply, drift) overrides the choice. Every
run writes the job summary and the outputs. See docs/action.md.

Exit status: 0 on success, 1 when the run failed (invalid manifests, a failed
apply, drift with fail-on-drift, or an error talking to AWS or GitHub).`,
		flags: func(*flag.FlagSet) func(context.Context, []string, Env) error {
			return func(ctx context.Context, args []string, env Env) error {
				if len(args) > 0 {
					return usageError("action takes no arguments (it reads INPUT_* variables), got %q", args)
				}
				if err := action.Run(ctx, action.Env{Getenv: env.Getenv, Stdout: env.Stdout, Now: env.Now}); err != nil {
					// The Action annotated the error on the run already.
					return &exitError{Code: ExitFailure}
				}
				return nil
			}
		},
	}
}
