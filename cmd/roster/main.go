// Command roster manages AWS IAM users and groups from manifests in Git.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/roster-dev/roster/internal/cli"
)

// memoryLimit is the Go heap's soft limit unless GOMEMLIMIT sets another:
// the collector runs before the heap doubles past it, which keeps a plan of
// 50 accounts × 5,000 users under 500 MiB of RSS (about twice that without
// it) for a few percent more CPU. A run whose live data exceed it still
// completes; the limit only makes the collector work harder.
const memoryLimit = 448 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
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
