// Command roster manages AWS IAM users and groups from manifests in Git.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/roster-dev/roster/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Env{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
	})
	stop()
	os.Exit(code)
}
