package cli

import (
	"context"
	"flag"
	"fmt"
	"runtime"

	"github.com/roster-dev/roster/internal/version"
)

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print roster's version",
		help:    "Prints roster's version, the Go version it was built with, and the platform.",
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			return func(_ context.Context, args []string, env Env) error {
				if len(args) > 0 {
					return usageError("version takes no arguments")
				}
				fmt.Fprintf(env.Stdout, "roster %s (%s, %s/%s)\n", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
				return nil
			}
		},
	}
}
