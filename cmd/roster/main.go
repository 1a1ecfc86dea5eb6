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
		Now:    clock(),
		IsTerminal: func() bool {
			fi, err := os.Stdin.Stat()
			return err == nil && fi.Mode()&os.ModeCharDevice != 0
		},
	})
	stop()
	os.Exit(code)
}
