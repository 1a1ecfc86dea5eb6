package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/roster-dev/roster/internal/approval"
	"github.com/roster-dev/roster/internal/request"
)

// Env is everything the Action touches outside its inputs. main passes the
// process's own; tests pass fakes.
type Env struct {
	// Getenv reads INPUT_*, GITHUB_* and AWS_* variables.
	Getenv func(string) string
	// Stdout is the log: messages and workflow commands (::group::,
	// ::error::).
	Stdout io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// HTTPClient carries GitHub API calls; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// ErrFailed means the run did its work and reported it (in the log, the
// summary and on GitHub) but the outcome fails the job: invalid manifests,
// a failed apply, drift with fail-on-drift.
var ErrFailed = errors.New("roster action failed")

// failure is an outcome that fails the job after everything was reported.
type failure struct{ msg string }

func (f *failure) Error() string        { return f.msg }
func (f *failure) Is(target error) bool { return target == ErrFailed }

func failf(format string, args ...any) error {
	return &failure{msg: fmt.Sprintf(format, args...)}
}

// Values of the result output (docs/action.md).
const (
	ResultNoChanges = "no-changes"
	ResultChanges   = "changes"
	ResultApplied   = "applied"
	ResultDrift     = "drift"
	ResultRefused   = "refused"
	ResultInvalid   = "invalid"
	ResultFailed    = "failed"
)

// runner is one run of the Action.
type runner struct {
	env Env
	gh  *githubactions.Action
	in  Inputs
	rc  *runContext
	// dir is the access directory as the loader opens it (inside the
	// workspace); in.Path is the same directory relative to the repository
	// root, as GitHub names files.
	dir string
	api gitHub
	// teamClient reads team membership with approvals-token.
	teamClient approval.Teams
	// outputs are written at the end, so every run sets every output.
	outputs map[string]string
	// command is the command that ran; result how it ended (Result…).
	command, result string
	// folders are the folders of the access directory by commit
	// (foldersAt).
	folders map[string]map[string]bool
}

// Run runs the Action once: it reads inputs and context through env, does
// the work the event or the command input calls for, and writes outputs and
// the job summary. It returns an error wrapping ErrFailed when the work was
// done and reported but must fail the job, and other errors when it could
// not be done.
func Run(ctx context.Context, env Env) error {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	gh := githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(env.Stdout))
	r := &runner{env: env, gh: gh, outputs: map[string]string{}}
	runErr := r.setup()
	if runErr == nil {
		runErr = r.dispatch(ctx)
	}
	if r.result == "" || (runErr != nil && !errors.Is(runErr, ErrFailed)) {
		switch {
		case runErr != nil:
			r.result = ResultFailed
		default:
			r.result = ResultNoChanges
		}
	}
	r.setOutput("command", r.command)
	r.setOutput("result", r.result)
	if runErr != nil {
		r.gh.Errorf("%s", runErr)
	}
	if err := r.writeOutputs(); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}

// setup reads the inputs and the run's context.
func (r *runner) setup() error {
	in, err := readInputs(r.gh)
	if err != nil {
		return err
	}
	rc, err := readContext(r.gh)
	if err != nil {
		return err
	}
	r.in, r.rc = in, rc
	r.setOutput("has-changes", "false")
	r.dir = filepath.FromSlash(in.Path)
	if rc.Workspace != "" {
		r.dir = filepath.Join(rc.Workspace, r.dir)
	}
	return nil
}

// dispatch picks the work from the command input and the event.
func (r *runner) dispatch(ctx context.Context) error {
	cmd := r.in.Command
	if cmd == CommandAuto {
		switch r.rc.Event {
		case eventPullRequest:
			cmd = CommandPlan
			if r.rc.PullRequestAction == "closed" {
				r.logf("The pull request was closed: validating only, the plan comment stays as it was.")
				cmd = CommandValidate
			}
		case eventPullRequestTarget, eventIssueComment, eventWorkflowRun:
		case eventPullRequestReview:
			cmd = CommandPlan
		case eventPush:
			if !r.rc.onDefaultBranch() {
				r.logf("Push to %s, not the default branch: validating only.", r.rc.Ref)
				cmd = CommandValidate
			} else {
				cmd = CommandApply
			}
		case eventSchedule, eventWorkflowDispatch:
			cmd = CommandDrift
		case eventIssues:
			if r.rc.PullRequestAction == "opened" && slices.Contains(r.rc.Issue.Labels, request.IssueLabel) {
				r.command = commandRequest
				return r.accessRequest(ctx)
			}
			r.logf("Issue #%d is not a newly opened access request (label %s): validating only.", r.rc.Issue.Number, request.IssueLabel)
			cmd = CommandValidate
		case "":
			return errors.New("GITHUB_EVENT_NAME is not set: run roster action inside a GitHub Actions workflow, or use the other roster commands")
		default:
			r.logf("Nothing to plan, apply or check for drift on %s events: validating only.", r.rc.Event)
			cmd = CommandValidate
		}
	}
	r.command = cmd
	if why := r.refuseEvent(cmd); why != "" {
		r.result = ResultRefused
		return failf("%s", why)
	}
	if r.in.PlanDir != "" {
		if cmd != CommandPlan {
			return fmt.Errorf("input plan-dir merges plans into a plan comment; it works with command plan (or auto on pull requests), not %s", cmd)
		}
		return r.mergePlans(ctx)
	}
	switch cmd {
	case CommandValidate:
		repo, err := r.validate()
		if err != nil {
			return err
		}
		return r.validSummary(repo)
	case CommandPlan:
		return r.plan(ctx)
	case CommandApply:
		return r.apply(ctx)
	case CommandDrift:
		return r.withTarget(ctx, r.drift)
	case CommandExpire:
		return r.withTarget(ctx, r.expire)
	case CommandRotate:
		return r.withTarget(ctx, r.rotate)
	}
	return fmt.Errorf("unknown command %q", cmd)
}

// logf writes a line to the log.
func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.env.Stdout, format+"\n", args...)
}

// group runs fn inside a collapsible group of the log.
func (r *runner) group(title string, fn func() error) error {
	r.gh.Group(title)
	defer r.gh.EndGroup()
	return fn()
}

// summaryLimit keeps a step's job summary under GitHub's limit of 1 MiB.
const summaryLimit = 1<<20 - 4096

// summary appends Markdown to the job summary. Outside a runner (no
// GITHUB_STEP_SUMMARY) it goes to the log instead.
func (r *runner) summary(markdown string) error {
	name := r.env.Getenv("GITHUB_STEP_SUMMARY")
	if name == "" {
		r.logf("%s", markdown)
		return nil
	}
	return appendFile(name, markdown+"\n")
}

// setOutput records an output for writeOutputs.
func (r *runner) setOutput(name, value string) { r.outputs[name] = value }

// setJSONOutput records v, encoded as JSON, as an output.
func (r *runner) setJSONOutput(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode the %s output: %w", name, err)
	}
	r.setOutput(name, string(b))
	return nil
}

// writeOutputs writes every recorded output to GITHUB_OUTPUT, or to the log
// outside a runner.
func (r *runner) writeOutputs() error {
	if len(r.outputs) == 0 {
		return nil
	}
	name := r.env.Getenv("GITHUB_OUTPUT")
	var b strings.Builder
	for _, k := range sortedKeys(r.outputs) {
		v := r.outputs[k]
		if name == "" {
			fmt.Fprintf(&b, "output %s=%s\n", k, v)
			continue
		}
		delim := "roster_" + randomDelimiter(v)
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", k, delim, v, delim)
	}
	if name == "" {
		_, err := io.WriteString(r.env.Stdout, b.String())
		return err
	}
	if err := appendFile(name, b.String()); err != nil {
		return fmt.Errorf("write outputs: %w", err)
	}
	return nil
}

func appendFile(name, s string) error {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644) //nolint:gosec // the runner names the file
	if err != nil {
		return err
	}
	_, werr := f.WriteString(s)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}
