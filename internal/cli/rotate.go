package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sync"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/engine"
)

func rotateCommand() *command {
	return &command{
		name:    "rotate",
		usage:   "[--dir DIR] [--env a,b] [--read-concurrency N] [--write-concurrency N] [--format text|markdown|json]",
		summary: "run the access key steps due today: first keys, rotations, retiring old keys",
		help: `Runs, for every service account with an access_key block in the selected
environments, the key steps due today, and nothing else: a first key for a
service account without one, a second key once the delivered key is
rotate_after_days old, and overlap_days later the old key's deactivation,
then its deletion a day after. It is meant to run every day on a schedule,
with each environment's role_arn (the apply role); see docs/setup.md.

Each environment is planned again from live IAM; only its access key steps
run. Changes the plan would make wait for a reviewed apply, and a service
account the plan has yet to create or adopt gets no key until then. Every
step keeps its state in IAM and in the destination, so a run that fails or
stops anywhere is finished by the next one.

A new key goes only to its destination: a Secrets Manager secret, or for
deliver_to: pgp the report, encrypted to the pgp_key (gpg --decrypt opens
it). A pgp key is printed to stderr the moment it exists, before IAM
records it as delivered; a key whose delivery fails is deleted again.

A key a person must look at (one made by hand beside the delivered key, or a
rotation that would need a third key) is named in the report; it fails
nothing, and the rotation goes ahead once the key not in use is deleted.

Exit status: 0 when every step ran (or none was due), 1 when a step failed or
an environment could not be read, 2 on usage errors.`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			dir := dirFlag(fs)
			var envs listFlag
			fs.Var(&envs, "env", "rotate only in these `environments` (comma-separated or repeated)")
			format := newEnum(fs, "format", "text", "report `format`", "text", "markdown", "json")
			conc := writeConcurrencyFlags(fs)
			return func(ctx context.Context, args []string, env Env) error {
				if err := noArgs("rotate", args); err != nil {
					return err
				}
				return runRotate(ctx, env, *dir, envs, format.value, *conc)
			}
		},
	}
}

func runRotate(ctx context.Context, env Env, dir string, names []string, format string, conc awsiam.Concurrency) error {
	repo, envs, err := selectEnvs(env, dir, names)
	if err != nil {
		return err
	}
	conn, err := awsiam.NewConnector(ctx, env.Getenv, conc)
	if err != nil {
		return err
	}
	res := engine.Rotate(ctx, repo, envs, conn.Source(awsiam.ForApply), conn.Writers(), env.now(),
		apply.Options{PublishKey: printSealed(env.Stderr)})
	if err := writeApply(env.Stdout, res, format); err != nil {
		return err
	}
	if res.Failed() {
		return &exitError{Code: ExitFailure}
	}
	return nil
}

// printSealed publishes a sealed access key (deliver_to: pgp) by writing it
// to w at once, before IAM records it as delivered: a run that dies
// before its report still leaves the key with its reader.
func printSealed(w io.Writer) apply.Publish {
	var mu sync.Mutex
	return func(_ context.Context, k apply.SealedKey) error {
		mu.Lock()
		defer mu.Unlock()
		_, err := fmt.Fprintf(w, "Access key %s of %s in %s, encrypted to key %s; its owner reads it with gpg --decrypt:\n%s\n",
			k.KeyID, k.ServiceAccount, k.Environment, k.Fingerprint, k.Message)
		return err
	}
}
