package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/render"
)

func driftCommand() *command {
	return &command{
		name:    "drift",
		usage:   liveUsage,
		summary: "report where live IAM differs from the repository",
		help: `Validates the manifests, reads live IAM in every selected environment (assuming
role_arn from environment.yaml, concurrently), and reports every difference:
users and groups changed, created or removed outside roster, users to adopt,
and unmanaged users. Each finding has a severity and says how to resolve it:
restore the repository's state by running apply, or accept the live state
with the manifest change it names. Nothing is written to AWS.

Beside the drift it reports credential hygiene, from IAM's credential report
(generated on demand; the role needs iam:GenerateCredentialReport and
iam:GetCredentialReport): access keys older than max_access_key_age_days,
passwords and keys unused for 90 days, console users without MFA, active
access keys of people (not service accounts), and users whose expires date is
within 14 days. Hygiene findings have the same severities and count as
findings for --detailed-exitcode.

With --live DIR, live state (and the credential report, when the snapshot
carries one) comes from snapshot files DIR/<env>.json instead of AWS.
--read-concurrency bounds the AWS calls in flight at once across all the
environments (default 32).

--format markdown prints the body of each environment's drift issue, as the
GitHub Action posts it.

Exit status: 0 when the check succeeded (with --detailed-exitcode: and there is
no finding), 2 with --detailed-exitcode when there are findings (drift or
hygiene), 1 on invalid manifests or an error reading live IAM.`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			f := newLiveFlags(fs, "check", "there is drift")
			return func(ctx context.Context, args []string, env Env) error {
				if err := noArgs("drift", args); err != nil {
					return err
				}
				reports, err := computeDrift(ctx, env, f)
				if err != nil {
					return err
				}
				if err := writeDrift(env.Stdout, reports, f.format.value, env); err != nil {
					return err
				}
				if *f.detailed && hasDrift(reports) {
					return &exitError{Code: ExitUsage}
				}
				return nil
			}
		},
	}
}

// computeDrift plans every selected environment against live IAM, reading
// with the drift role (role_arn, a read-only use of it), and turns each plan
// into a drift report with the environment's credential hygiene findings.
func computeDrift(ctx context.Context, env Env, f *liveFlags) ([]*drift.Report, error) {
	repo, envs, err := selectEnvs(env, *f.dir, f.envs)
	if err != nil {
		return nil, err
	}
	src, err := liveSource(ctx, env, *f.live, awsiam.ForDrift, f.conc)
	if err != nil {
		return nil, err
	}
	return engine.Drift(ctx, repo, envs, src, env.now())
}

func hasDrift(reports []*drift.Report) bool {
	for _, r := range reports {
		if r.HasDrift() {
			return true
		}
	}
	return false
}

func writeDrift(w io.Writer, reports []*drift.Report, format string, env Env) error {
	switch format {
	case "markdown":
		for i, r := range reports {
			if i > 0 {
				if _, err := io.WriteString(w, "\n---\n\n"); err != nil {
					return err
				}
			}
			if err := render.DriftMarkdown(w, r, render.DriftOptions{Time: env.now()}); err != nil {
				return fmt.Errorf("environment %s: %w", r.Environment, err)
			}
		}
		return nil
	case "json":
		return render.DriftJSON(w, reports)
	default:
		return render.DriftText(w, reports)
	}
}
