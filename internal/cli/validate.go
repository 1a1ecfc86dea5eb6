package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/roster-dev/roster/internal/manifest"
)

func validateCommand() *command {
	return &command{
		name:    "validate",
		usage:   "[--dir DIR] [--format text|github|json]",
		summary: "check the manifests without touching AWS",
		help: `Loads every file under the access directory and reports every problem at
once, each with file, line and column. Exits 0 when the tree is valid
(warnings allowed), 1 when it has errors, 2 on a usage error.`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			dir := fs.String("dir", manifest.DefaultDir, "the access `directory`")
			return func(_ context.Context, args []string, env Env) error {
				if len(args) > 0 {
					return usageError("validate takes no arguments, got %q", args)
				}
				_, diags := manifest.Load(*dir)
				for _, d := range diags {
					fmt.Fprintln(env.Stdout, d)
				}
				if diags.HasErrors() {
					return &exitError{Code: ExitFailure}
				}
				return nil
			}
		},
	}
}
