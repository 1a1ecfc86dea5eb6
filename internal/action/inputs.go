package action

import (
	"cmp"
	"encoding/json"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/github"
	"github.com/roster-dev/roster/internal/manifest"
)

// Commands the command input accepts.
const (
	CommandAuto     = "auto"
	CommandValidate = "validate"
	CommandPlan     = "plan"
	CommandApply    = "apply"
	CommandDrift    = "drift"
	// CommandExpire removes the grants whose expires has passed; never
	// picked by auto.
	CommandExpire = "expire"
	// CommandRotate runs the access key steps due today; never picked by
	// auto.
	CommandRotate = "rotate"
)

// Inputs are the Action's inputs as action.yml declares them. The runner
// passes each as INPUT_<NAME> with the name upper-cased and dashes kept.
type Inputs struct {
	// Command is auto (pick from the event), validate, plan, apply,
	// drift, expire or rotate.
	Command string
	// Path is the access directory, relative to the workspace.
	Path string
	// Environments, when set, are the only environments planned, applied
	// or checked for drift, instead of the ones the event calls for.
	Environments []string
	// Token authenticates GitHub API calls.
	Token string
	// Comment turns the pull-request comments (plan and apply report) on
	// or off; the job summary is always written.
	Comment bool
	// FailOnDrift fails the run when drift is found.
	FailOnDrift bool
	// PlanDir is a folder of plan JSON files (one per matrix job) to merge
	// into one comment without reading AWS.
	PlanDir string
	// PlanOutput is the file, relative to the repository root, this run's
	// plan JSON is written to (.roster/plan.json when empty).
	PlanOutput string
	// ExpectDigests, for apply, maps environments to the plan digests the
	// new plan must also match, on top of the record and the approvals;
	// nil adds no check.
	ExpectDigests map[string]string
	// TrustedAuthor is the only login whose comments and issues roster
	// takes for its own (the plan comment's digests decide what a merge
	// may apply); empty trusts any author.
	TrustedAuthor string
	// ApprovalsToken reads organization team membership for approvals;
	// empty means Token.
	ApprovalsToken string
	// Concurrency bounds the AWS calls in flight across every environment
	// (read-concurrency, write-concurrency); zero fields mean awsiam's
	// defaults.
	Concurrency awsiam.Concurrency
	// TrustedApp is the only GitHub App whose roster/plan check run is the
	// reviewed-plan record; the zero App means the GitHub Actions app of
	// GITHUB_API_URL (github.DefaultTrustedApp).
	TrustedApp github.App
	// ApplyWorkflow is the apply workflow's file name, which drift issues
	// name as the way to restore an environment.
	ApplyWorkflow string
}

// DefaultApplyWorkflow is the apply workflow's file name in the setup guide.
const DefaultApplyWorkflow = "roster-apply.yml"

// workflowFile is a workflow's file name under .github/workflows.
var workflowFile = regexp.MustCompile(`^[A-Za-z0-9_.-]+\.ya?ml$`)

// DefaultTrustedAuthor is the login of the workflow's own token.
const DefaultTrustedAuthor = "github-actions[bot]"

// DefaultPlanOutput is where the plan JSON goes when plan-output is empty.
const DefaultPlanOutput = ".roster/plan.json"

// readInputs reads and checks the inputs, filling in action.yml's defaults
// for inputs the runner left empty.
func readInputs(gh *githubactions.Action) (Inputs, error) {
	in := Inputs{
		Command:    strings.ToLower(gh.GetInput("command")),
		Path:       gh.GetInput("path"),
		Token:      gh.GetInput("github-token"),
		PlanDir:    gh.GetInput("plan-dir"),
		PlanOutput: gh.GetInput("plan-output"),

		ApprovalsToken: gh.GetInput("approvals-token"),
	}
	if in.Command == "" {
		in.Command = CommandAuto
	}
	switch in.Command {
	case CommandAuto, CommandValidate, CommandPlan, CommandApply, CommandDrift, CommandExpire, CommandRotate:
	default:
		return Inputs{}, fmt.Errorf("input command: %q is not one of auto, validate, plan, apply, drift, expire, rotate", in.Command)
	}
	if in.Path == "" {
		in.Path = manifest.DefaultDir
	}
	in.Path = path.Clean(filepath.ToSlash(in.Path))
	if !inside(in.Path) {
		return Inputs{}, fmt.Errorf("input path: %q must be a folder inside the repository", in.Path)
	}
	in.Environments = splitList(gh.GetInput("environments"))
	var err error
	if in.Comment, err = boolInput(gh, "comment", true); err != nil {
		return Inputs{}, err
	}
	if in.FailOnDrift, err = boolInput(gh, "fail-on-drift", false); err != nil {
		return Inputs{}, err
	}
	for _, p := range []struct{ name, value string }{{"plan-dir", in.PlanDir}, {"plan-output", in.PlanOutput}} {
		if p.value != "" && !inside(p.value) {
			return Inputs{}, fmt.Errorf("input %s: %q must be a path inside the repository (the runner mounts only the workspace into the container)", p.name, p.value)
		}
	}
	if v := gh.GetInput("expect-digests"); v != "" {
		if err := json.Unmarshal([]byte(v), &in.ExpectDigests); err != nil || in.ExpectDigests == nil {
			return Inputs{}, fmt.Errorf("input expect-digests: want a JSON object of environment name to digest, like the digests output of a plan step: %q", v)
		}
	}
	switch in.TrustedAuthor = strings.TrimSpace(gh.GetInput("trusted-author")); in.TrustedAuthor {
	case "":
		in.TrustedAuthor = DefaultTrustedAuthor
	case "*":
		in.TrustedAuthor = ""
	}
	if in.Concurrency.Reads, err = countInput(gh, "read-concurrency"); err != nil {
		return Inputs{}, err
	}
	if in.Concurrency.Writes, err = countInput(gh, "write-concurrency"); err != nil {
		return Inputs{}, err
	}
	if v := gh.GetInput("trusted-app"); v != "" {
		if in.TrustedApp, err = github.ParseApp(v); err != nil {
			return Inputs{}, fmt.Errorf("input trusted-app: %w", err)
		}
	}
	if in.ApplyWorkflow = cmp.Or(strings.TrimSpace(gh.GetInput("apply-workflow")), DefaultApplyWorkflow); !workflowFile.MatchString(in.ApplyWorkflow) {
		return Inputs{}, fmt.Errorf("input apply-workflow: %q is not a workflow file name like roster-apply.yml (the file under .github/workflows)", in.ApplyWorkflow)
	}
	if in.PlanDir != "" && in.PlanOutput != "" {
		return Inputs{}, fmt.Errorf("inputs plan-dir and plan-output: set one or the other: plan-output is for the jobs that plan, plan-dir for the job that merges their plans")
	}
	return in, nil
}

// inside reports whether p is a relative path that stays inside the
// repository.
func inside(p string) bool {
	p = path.Clean(filepath.ToSlash(p))
	return !path.IsAbs(p) && p != ".." && !strings.HasPrefix(p, "../")
}

// splitList splits a list input on commas, spaces and newlines, so both
// "a,b" and a YAML block of one name a line work.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// countInput reads a whole number of at least 1; empty is 0 (the default).
func countInput(gh *githubactions.Action, name string) (int, error) {
	v := strings.TrimSpace(gh.GetInput(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("input %s: %q is not a whole number of at least 1", name, v)
	}
	return n, nil
}

// boolInput reads a boolean input the way the runner's toolkit does: true,
// True, TRUE, false, False or FALSE; empty means def.
func boolInput(gh *githubactions.Action, name string, def bool) (bool, error) {
	v := gh.GetInput(name)
	switch v {
	case "":
		return def, nil
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	if b, err := strconv.ParseBool(v); err == nil {
		return b, nil
	}
	return false, fmt.Errorf("input %s: %q is not true or false", name, v)
}
