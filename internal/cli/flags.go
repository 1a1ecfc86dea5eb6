package cli

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/manifest"
)

// listFlag collects comma-separated values from one or more uses of a flag:
// --env a,b --env c.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(*l, s) {
			*l = append(*l, s)
		}
	}
	return nil
}

// enumFlag accepts one of a fixed set of values.
type enumFlag struct {
	value   string
	allowed []string
}

func newEnum(fs *flag.FlagSet, name, def, usage string, allowed ...string) *enumFlag {
	e := &enumFlag{value: def, allowed: allowed}
	fs.Var(e, name, fmt.Sprintf("%s: %s", usage, strings.Join(allowed, ", ")))
	return e
}

func (e *enumFlag) String() string {
	if e == nil {
		return ""
	}
	return e.value
}

func (e *enumFlag) Set(v string) error {
	if !slices.Contains(e.allowed, v) {
		return fmt.Errorf("must be one of %s", strings.Join(e.allowed, ", "))
	}
	e.value = v
	return nil
}

// dirFlag is the --dir flag of every command that reads the manifests.
func dirFlag(fs *flag.FlagSet) *string {
	return fs.String("dir", manifest.DefaultDir, "the access `directory`")
}

// noArgs refuses positional arguments to a command that takes none.
func noArgs(cmd string, args []string) error {
	if len(args) > 0 {
		return usageError("%s takes no arguments, got %q", cmd, args)
	}
	return nil
}

// liveFlags are the flags of the commands that read live IAM, from AWS or
// from snapshots, and report on it: plan and drift.
type liveFlags struct {
	dir      *string
	envs     listFlag
	live     *string
	format   *enumFlag
	detailed *bool
	conc     awsiam.Concurrency
}

// liveUsage is the usage line of newLiveFlags' flags.
const liveUsage = "[--dir DIR] [--env a,b] [--live SNAPSHOTS] [--format text|markdown|json] [--detailed-exitcode] [--read-concurrency N]"

// newLiveFlags registers the flags; verb says what the command does to an
// environment, detailed what --detailed-exitcode reports.
func newLiveFlags(fs *flag.FlagSet, verb, detailed string) *liveFlags {
	f := &liveFlags{dir: dirFlag(fs)}
	fs.Var(&f.envs, "env", verb+" only these `environments` (comma-separated or repeated)")
	f.live = fs.String("live", "", "read live state from snapshot `directory` instead of AWS")
	f.format = newEnum(fs, "format", "text", "output `format`", "text", "markdown", "json")
	f.detailed = fs.Bool("detailed-exitcode", false, "exit 2 when "+detailed)
	readConcurrencyFlag(fs, &f.conc)
	return f
}

// countFlag is a whole number of at least 1.
type countFlag struct{ n *int }

func (c countFlag) String() string {
	if c.n == nil {
		return ""
	}
	return strconv.Itoa(*c.n)
}

func (c countFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return errors.New("must be a whole number of at least 1")
	}
	*c.n = n
	return nil
}

// readConcurrencyFlag is --read-concurrency of the commands that read live
// IAM: the AWS read calls in flight at once across every environment of
// the run (awsiam.Concurrency).
func readConcurrencyFlag(fs *flag.FlagSet, c *awsiam.Concurrency) {
	c.Reads = awsiam.DefaultReadConcurrency
	fs.Var(countFlag{&c.Reads}, "read-concurrency", "AWS read `calls` in flight at once, across all environments")
}

// writeConcurrencyFlags are --read-concurrency and --write-concurrency of
// the commands that write IAM (apply, rotate): the AWS calls in flight at
// once across every environment (each account's writes are also paced to
// the rate IAM accepts).
func writeConcurrencyFlags(fs *flag.FlagSet) *awsiam.Concurrency {
	var c awsiam.Concurrency
	readConcurrencyFlag(fs, &c)
	c.Writes = awsiam.DefaultWriteConcurrency
	fs.Var(countFlag{&c.Writes}, "write-concurrency", "IAM write `calls` in flight at once, across all environments")
	return &c
}
