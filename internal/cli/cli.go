package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Exit codes shared by every command.
const (
	ExitOK = 0
	// ExitFailure: invalid manifests, failed operations, or a plan that
	// cannot be computed.
	ExitFailure = 1
	// ExitUsage: bad flags or arguments, or an internal error. With
	// --detailed-exitcode, plan and drift use 2 for "there are changes".
	ExitUsage = 2
)

// Env is everything a command may touch outside its arguments. Tests build
// one with buffers and a fake getenv; main passes the process's own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// IsTerminal reports whether Stdin is an interactive terminal, where
	// apply may ask for confirmation; nil means it is not.
	IsTerminal func() bool
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// exitError ends a command with a specific exit code. A nil Err means the
// command already printed what the user needs.
type exitError struct {
	Code int
	Err  error
	// usage marks a mistake on the command line: the command's one-line
	// usage follows the message.
	usage bool
}

func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *exitError) Unwrap() error { return e.Err }

// usageError is a mistake on the command line.
func usageError(format string, args ...any) error {
	return &exitError{Code: ExitUsage, Err: fmt.Errorf(format, args...), usage: true}
}

// failf is a command that failed for the reason it formats: it ends with
// ExitFailure.
func failf(format string, args ...any) error {
	return &exitError{Code: ExitFailure, Err: fmt.Errorf(format, args...)}
}

// command is one subcommand.
type command struct {
	name    string
	usage   string // after "roster NAME"
	summary string
	// help is the long description printed by --help.
	help string
	// flags registers the command's flags and returns a function that runs
	// the command with them, after parsing.
	flags func(fs *flag.FlagSet) func(ctx context.Context, args []string, env Env) error
}

func commands() []*command {
	return []*command{
		validateCommand(),
		planCommand(),
		applyCommand(),
		rotateCommand(),
		driftCommand(),
		expireCommand(),
		reportCommand(),
		snapshotCommand(),
		initCommand(),
		importCommand(),
		fmtCommand(),
		codeownersCommand(),
		actionCommand(),
		versionCommand(),
	}
}

// Run runs roster with args (without the program name) and returns the exit
// code.
func Run(ctx context.Context, args []string, env Env) int {
	err := run(ctx, args, env)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(env.Stderr, "roster: %v\n", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(env.Stderr, "roster: %v\n", err)
	return ExitFailure
}

func run(ctx context.Context, args []string, env Env) error {
	cmds := commands()
	if len(args) == 0 {
		printUsage(env.Stderr, cmds)
		return &exitError{Code: ExitUsage}
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		if len(args) > 1 {
			if c := find(cmds, args[1]); c != nil {
				return runCommand(ctx, c, []string{"--help"}, env)
			}
		}
		printUsage(env.Stdout, cmds)
		return nil
	}
	if name == "--version" || name == "-version" || name == "-v" {
		name = "version"
	}
	c := find(cmds, name)
	if c == nil {
		return &exitError{Code: ExitUsage, Err: fmt.Errorf("unknown command %q\nRun 'roster --help' for the commands", name)}
	}
	err := runCommand(ctx, c, args[1:], env)
	var ee *exitError
	if errors.As(err, &ee) && ee.usage {
		return &exitError{Code: ee.Code, Err: fmt.Errorf("%w\n%s", ee.Err, shortUsage(c))}
	}
	return err
}

// shortUsage is what a usage error prints after the message: the command's
// one-line usage and where to read more, not the whole help.
func shortUsage(c *command) string {
	return fmt.Sprintf("Usage: roster %s %s\nRun 'roster %s --help' for details.", c.name, c.usage, c.name)
}

func find(cmds []*command, name string) *command {
	i := slices.IndexFunc(cmds, func(c *command) bool { return c.name == name })
	if i < 0 {
		return nil
	}
	return cmds[i]
}

func runCommand(ctx context.Context, c *command, args []string, env Env) error {
	fs := flag.NewFlagSet("roster "+c.name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	exec := c.flags(fs)
	help := wantsHelp(args)
	fs.Usage = func() {
		w := fs.Output()
		if !help {
			fmt.Fprintln(w, shortUsage(c))
			return
		}
		fmt.Fprintf(w, "Usage: roster %s %s\n\n%s\n", c.name, c.usage, strings.TrimSpace(c.help))
		var hasFlags bool
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	if help {
		fs.SetOutput(env.Stdout) // help asked for is output, not an error
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // the flag package printed the usage
		}
		return &exitError{Code: ExitUsage}
	}
	return exec(ctx, fs.Args(), env)
}

func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

func printUsage(w io.Writer, cmds []*command) {
	fmt.Fprintf(w, "roster manages AWS IAM users and groups from manifests in Git.\n\nUsage: roster <command> [flags]\n\nCommands:\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'roster <command> --help' for a command's flags.\n")
}
