package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
)

// expectedFromPrinted names the plan apply shows before it writes, in the
// refusal of an environment whose fresh plan differs.
const expectedFromPrinted = "the plan printed above"

// expectedFromFlag names the digests given with --expect-digest.
const expectedFromFlag = "the reviewed plan"

func applyCommand() *command {
	return &command{
		name:    "apply",
		usage:   "[--dir DIR] [--env a,b] [--yes] [--expect-digest ENV=DIGEST]... [--concurrency N] [--read-concurrency N] [--write-concurrency N] [--format text|markdown|json]",
		summary: "change live IAM to match the repository",
		help: `Validates the manifests (and stops if they are invalid), plans every selected
environment against live IAM with its role_arn, prints the plan, and asks for
confirmation: type yes. When stdin is not a terminal, --yes is required
instead.

Environments are then applied one at a time in promotion order (roster.yaml's
order). Each is planned again from live IAM right before it is changed and
refused when that plan differs from the one printed (or from the digest given
with --expect-digest ENV=DIGEST, as recorded in the pull request's plan
comment), or when a guardrail such as max_deletions refuses it. The first
environment that fails stops the ones after it.

The report lists every IAM operation: done, failed (with AWS's error) or
skipped (with the reason). A new console user's initial password is shown only
encrypted to the user's pgp_key; its owner reads it with gpg --decrypt.
Running apply again after a failure continues where it stopped.

--concurrency is how many changes of one environment run at once;
--read-concurrency and --write-concurrency bound the AWS read and write calls
in flight at once across all environments (defaults 32 and 16). Whatever
they allow, each account's writes are paced to the rate IAM accepts.

With --format json or markdown the plan goes to stderr and only the report to
stdout.

Exit status: 0 when every environment was applied (or had nothing to change),
1 when an operation failed, an environment was refused or could not be read,
or the manifests are invalid; 2 on usage errors or without confirmation.`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			dir := dirFlag(fs)
			var envs listFlag
			fs.Var(&envs, "env", "apply only these `environments` (comma-separated or repeated)")
			yes := fs.Bool("yes", false, "apply without asking for confirmation (required when stdin is not a terminal)")
			expect := digestFlag{}
			fs.Var(expect, "expect-digest", "refuse environment `ENV=DIGEST` unless its fresh plan has this digest (repeatable)")
			concurrency := fs.Int("concurrency", apply.DefaultConcurrency, "IAM changes applied at once in an environment")
			format := newEnum(fs, "format", "text", "report `format`", "text", "markdown", "json")
			conc := writeConcurrencyFlags(fs)
			return func(ctx context.Context, args []string, env Env) error {
				if err := noArgs("apply", args); err != nil {
					return err
				}
				if *concurrency < 1 {
					return usageError("--concurrency must be at least 1, got %d", *concurrency)
				}
				return runApply(ctx, env, applyArgs{
					dir: *dir, envs: envs, yes: *yes, expect: expect,
					concurrency: *concurrency, format: format.value, conc: *conc,
				})
			}
		},
	}
}

type applyArgs struct {
	dir         string
	envs        []string
	yes         bool
	expect      digestFlag
	concurrency int
	format      string
	conc        awsiam.Concurrency
}

func runApply(ctx context.Context, env Env, a applyArgs) error {
	repo, envs, err := selectEnvs(env, a.dir, a.envs)
	if err != nil {
		return err
	}
	conn, err := awsiam.NewConnector(ctx, env.Getenv, a.conc)
	if err != nil {
		return err
	}
	src := conn.Source(awsiam.ForApply)

	// The plan first, with the apply role: what is confirmed is what runs.
	p, err := engine.Plan(ctx, repo, envs, src, env.now())
	if err != nil {
		return err
	}
	planOut := env.Stdout
	if a.format != "text" {
		planOut = env.Stderr
	}
	if err := render.Text(planOut, p); err != nil {
		return err
	}
	fmt.Fprintln(planOut)

	if p.HasChanges() {
		if err := confirm(ctx, env, p, a.yes); err != nil {
			return err
		}
	}

	opts := engine.ApplyOptions{
		ExpectDigests: map[string]string{},
		ExpectedFrom:  expectedFromPrinted,
		Run:           apply.Options{Concurrency: a.concurrency, PublishKey: printSealed(env.Stderr)},
	}
	for _, e := range p.Environments {
		opts.ExpectDigests[e.Name] = e.Digest
	}
	if len(a.expect) > 0 {
		opts.ExpectedFrom = expectedFromFlag
		for name, d := range a.expect {
			if _, ok := opts.ExpectDigests[name]; !ok {
				return usageError("--expect-digest %s=…: environment %s is not being applied", name, name)
			}
			opts.ExpectDigests[name] = d
		}
	}
	res, err := engine.Apply(ctx, repo, envs, src, conn.Writers(), env.now(), opts)
	if err != nil {
		return usageError("%v", err)
	}
	if err := writeApply(env.Stdout, res, a.format); err != nil {
		return err
	}
	if res.Failed() {
		return &exitError{Code: ExitFailure}
	}
	return nil
}

// confirm asks on a terminal and insists on --yes elsewhere. An interrupt
// while it waits for the answer cancels the apply.
func confirm(ctx context.Context, env Env, p *plan.Plan, yes bool) error {
	if yes {
		return nil
	}
	if env.IsTerminal == nil || !env.IsTerminal() {
		return usageError("stdin is not a terminal, so apply cannot ask for confirmation: review the plan above and run again with --yes")
	}
	var names []string
	production := false
	for _, e := range p.Environments {
		if e.HasChanges() {
			names = append(names, e.Name)
			production = production || e.Production
		}
	}
	fmt.Fprintf(env.Stderr, "Apply these changes to %s?", strings.Join(names, ", "))
	if production {
		fmt.Fprint(env.Stderr, " This includes PRODUCTION.")
	}
	fmt.Fprint(env.Stderr, "\nOnly 'yes' will be accepted: ")
	type line struct {
		text string
		err  error
	}
	answered := make(chan line, 1)
	go func() {
		text, err := readLine(env.Stdin)
		answered <- line{text, err}
	}()
	var answer line
	select {
	case answer = <-answered:
	case <-ctx.Done():
		fmt.Fprintln(env.Stderr)
		return failf("apply cancelled: nothing was changed")
	}
	if answer.err != nil && !errors.Is(answer.err, io.EOF) {
		return fmt.Errorf("read confirmation: %w", answer.err)
	}
	if strings.TrimSpace(answer.text) != "yes" {
		return failf("apply cancelled: nothing was changed")
	}
	return nil
}

func readLine(r io.Reader) (string, error) {
	if r == nil {
		return "", io.EOF
	}
	return bufio.NewReader(r).ReadString('\n')
}

func writeApply(w io.Writer, r *apply.Result, format string) error {
	switch format {
	case "markdown":
		return render.ApplyMarkdown(w, r)
	case "json":
		return render.ApplyJSON(w, r)
	default:
		return render.ApplyText(w, r)
	}
}

// digestFlag collects --expect-digest ENV=DIGEST.
type digestFlag map[string]string

func (d digestFlag) String() string {
	parts := make([]string, 0, len(d))
	for k, v := range d {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (d digestFlag) Set(v string) error {
	name, digest, ok := strings.Cut(v, "=")
	name, digest = strings.TrimSpace(name), strings.TrimSpace(digest)
	if !ok || name == "" {
		return fmt.Errorf("want ENV=DIGEST, got %q", v)
	}
	if !plan.IsDigest(digest) {
		return fmt.Errorf("digest of %s must look like sha256:<64 hex digits>, got %q", name, digest)
	}
	if old, dup := d[name]; dup && old != digest {
		return fmt.Errorf("two different digests for %s", name)
	}
	d[name] = digest
	return nil
}
