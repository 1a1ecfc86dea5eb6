package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/engine"
	"github.com/roster-dev/roster/internal/hygiene"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
	"github.com/roster-dev/roster/internal/state"
)

func planCommand() *command {
	return &command{
		name:    "plan",
		usage:   liveUsage + " [--base-dir DIR]",
		summary: "show what would change in live IAM",
		help: `Validates the manifests, reads live IAM in every selected environment (assuming
plan_role_arn, or role_arn, from environment.yaml; concurrently), and prints
what apply would change. Nothing is written to AWS.

With --live DIR, live state comes from snapshot files DIR/<env>.json written by
'roster snapshot' instead of AWS, so a plan needs no AWS account.

--read-concurrency bounds the AWS calls in flight at once across all the
environments (default 32); lower it when other jobs read the same accounts.

With --base-dir DIR, the access directory of a checkout of the base branch
(git worktree add ../base main; --base-dir ../base/access), the plan marks
each time-bound grant whose end the change moves: "extends user alice in
group prod-operators until ... (was ...)", shortens, limits, makes
permanent, as the pull request's plan comment does. A base that cannot be
read is reported, and the plan is printed without the comparison.

Exit status: 0 when the plan succeeded (with --detailed-exitcode: and there is
nothing to change), 2 with --detailed-exitcode when there are changes, 1 on
invalid manifests, an error reading live IAM, or when a guardrail refuses the
plan of any selected environment (even with --detailed-exitcode: such a plan
can never be applied).`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			f := newLiveFlags(fs, "plan", "there are changes")
			baseDir := fs.String("base-dir", "", "mark the time-bound grants whose end moved since the access `directory` of a checkout of the base branch")
			return func(ctx context.Context, args []string, env Env) error {
				if err := noArgs("plan", args); err != nil {
					return err
				}
				if err := checkBaseDir(*baseDir); err != nil {
					return err
				}
				p, hyg, err := computePlan(ctx, env, f, *baseDir)
				if err != nil {
					return err
				}
				if err := writePlan(env.Stdout, p, f.format.value, hyg); err != nil {
					return err
				}
				if refused := refusedEnvs(p); len(refused) > 0 {
					return failf("refused: %s: a guardrail refuses the plan (the reason is above), so apply would not change anything there; fix the manifests or the guardrail and plan again",
						strings.Join(refused, ", "))
				}
				if *f.detailed && p.HasChanges() {
					return &exitError{Code: ExitUsage}
				}
				return nil
			}
		},
	}
}

// refusedEnvs names the environments of p that a guardrail refuses.
func refusedEnvs(p *plan.Plan) []string {
	var out []string
	for _, e := range p.Environments {
		if e.Refused != "" {
			out = append(out, e.Name)
		}
	}
	return out
}

// loadRepo loads and validates the access tree; on errors it prints every
// finding to stderr and returns an exit error, so nothing runs against an
// invalid repository. Warnings are printed and do not stop the command.
func loadRepo(env Env, dir string) (*manifest.Repository, error) {
	repo, diags := manifest.Load(dir, manifest.WithClock(env.now))
	printDiagnostics(env.Stderr, diags)
	if diags.HasErrors() {
		return nil, failf("%s is invalid (%s above); fix the files and run the command again (roster validate --dir %s)", dir, diags.Tally(diag.Error), dir)
	}
	return repo, nil
}

// selectEnvs loads the access tree (see loadRepo) and selects the
// environments names (all when empty).
func selectEnvs(env Env, dir string, names []string) (*manifest.Repository, []*manifest.Environment, error) {
	repo, err := loadRepo(env, dir)
	if err != nil {
		return nil, nil, err
	}
	envs, err := engine.Select(repo, names)
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	return repo, envs, nil
}

// readAll reads every detail of env's live IAM (console access and
// credentials of every user), for import and snapshot.
func readAll(ctx context.Context, src engine.Source, env *manifest.Environment) (*state.Account, error) {
	return src.Read(ctx, env, func(*state.User) state.Details { return state.LoginProfile | state.Credentials })
}

func printDiagnostics(w io.Writer, diags diag.List) {
	for _, d := range diags {
		// File names and messages may hold anything a file name can:
		// escaped, no line break or escape sequence reaches the terminal
		// or the runner's log.
		fmt.Fprintf(w, "%s: %s: %s\n", render.CleanText(d.Pos.String()), d.Severity, render.CleanText(d.Message))
		if d.Hint != "" {
			fmt.Fprintf(w, "  hint: %s\n", render.CleanText(d.Hint))
		}
	}
}

// computePlan plans the selected environments and returns, beside the plan,
// the hygiene findings the plan comment lists. With baseDir, the plan marks
// the grants whose end moved since that checkout (engine.CompareBase); a
// base that cannot be read is a warning, and the plan says why.
func computePlan(ctx context.Context, env Env, f *liveFlags, baseDir string) (*plan.Plan, map[string]hygiene.Excerpt, error) {
	repo, envs, err := selectEnvs(env, *f.dir, f.envs)
	if err != nil {
		return nil, nil, err
	}
	src, err := liveSource(ctx, env, *f.live, awsiam.ForPlan, f.conc)
	if err != nil {
		return nil, nil, err
	}
	p, hyg, err := engine.PlanHygiene(ctx, repo, envs, src, env.now())
	if err == nil && baseDir != "" {
		if berr := engine.CompareBase(p, repo, manifest.DirTree(baseDir), filepath.ToSlash(baseDir)); berr != nil {
			fmt.Fprintf(env.Stderr, "warning: %s\n", render.CleanText(berr.Error()))
		}
	}
	return p, hyg, err
}

// checkBaseDir refuses a --base-dir that is not a folder: a typo would
// otherwise read as "nothing was extended".
func checkBaseDir(dir string) error {
	if dir == "" {
		return nil
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return usageError("--base-dir %s is not a folder: pass the access directory of a checkout of the base branch, for example git worktree add ../base main, then --base-dir ../base/access", dir)
	}
	return nil
}

// liveSource is where a command reads live IAM: the snapshots in dir when
// --live names one, else AWS, assuming each environment's role for purpose,
// with conc calls in flight at most.
func liveSource(ctx context.Context, env Env, dir string, purpose awsiam.Purpose, conc awsiam.Concurrency) (engine.Source, error) {
	if dir != "" {
		return &engine.SnapshotSource{Dir: dir}, nil
	}
	conn, err := awsiam.NewConnector(ctx, env.Getenv, conc)
	if err != nil {
		return nil, err
	}
	return conn.Source(purpose), nil
}

func writePlan(w io.Writer, p *plan.Plan, format string, hyg map[string]hygiene.Excerpt) error {
	switch format {
	case "markdown":
		return render.Markdown(w, p, render.MarkdownOptions{Hygiene: hyg})
	case "json":
		return render.JSON(w, p)
	default:
		return render.Text(w, p)
	}
}
