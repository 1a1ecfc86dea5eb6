package roster_test

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// exampleJob is the part of an example workflow's job the trust checks read.
type exampleJob struct {
	If          string         `yaml:"if"`
	Needs       any            `yaml:"needs"`
	Environment any            `yaml:"environment"`
	Permissions map[string]any `yaml:"permissions"`
	Steps       []struct {
		Uses string            `yaml:"uses"`
		With map[string]string `yaml:"with"`
	} `yaml:"steps"`
}

// hubRole is the hub role variable the job signs in to AWS with (plan or
// apply), "" when it does not.
func (j exampleJob) hubRole() string {
	for _, s := range j.Steps {
		if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
			switch role := s.With["role-to-assume"]; {
			case strings.Contains(role, "vars.ROSTER_HUB_PLAN_ROLE_ARN"):
				return "plan"
			case strings.Contains(role, "vars.ROSTER_HUB_APPLY_ROLE_ARN"):
				return "apply"
			default:
				return role
			}
		}
	}
	return ""
}

// command is the roster command the job runs ("" for auto or none).
func (j exampleJob) command() string {
	for _, s := range j.Steps {
		if strings.HasPrefix(s.Uses, "roster-dev/roster@") && s.With["command"] != "" {
			return s.With["command"]
		}
	}
	return ""
}

// needs lists the jobs this job depends on.
func (j exampleJob) needs() []string {
	switch n := j.Needs.(type) {
	case string:
		return []string{n}
	case []any:
		var out []string
		for _, e := range n {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// forkGuard is the condition that keeps a job off pull requests from forks.
const forkGuard = "github.event.pull_request.head.repo.full_name == github.repository"

// TestExampleWorkflowsFollowTheTrustModel checks every example workflow
// against docs/setup.md's trust model: only jobs in the iam-apply
// environment sign in with the hub apply role, and every such job does; no
// job that pull requests start reaches the apply role; drift reads with the
// plan role; a job with an OIDC token never runs for a fork's pull request;
// only pull request jobs may write check runs (the reviewed-plan record).
func TestExampleWorkflowsFollowTheTrustModel(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(repoRoot, "examples", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example workflows (%v)", err)
	}
	var drift, expire bool
	for _, f := range files {
		var wf struct {
			On   any                   `yaml:"on"`
			Jobs map[string]exampleJob `yaml:"jobs"`
		}
		name := filepath.Base(f)
		if err := yaml.Unmarshal([]byte(readRepoFile(t, "examples/workflows/"+name)), &wf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		events := triggers(wf.On)
		fromPullRequests := events["pull_request"] || events["pull_request_review"] || events["pull_request_target"]
		for jobName, job := range wf.Jobs {
			where := name + ": job " + jobName
			env, _ := job.Environment.(string)
			role := job.hubRole()
			switch {
			case role == "apply" && env != "iam-apply":
				t.Errorf("%s signs in with the hub apply role but runs in environment %q; its trust names only iam-apply", where, env)
			case env == "iam-apply" && role != "apply":
				t.Errorf("%s runs in iam-apply but signs in with %q, not the hub apply role", where, role)
			case role != "" && role != "plan" && role != "apply":
				t.Errorf("%s assumes %s, neither hub role variable", where, role)
			}
			if role == "apply" && fromPullRequests {
				t.Errorf("%s reaches the apply role from a workflow pull requests start", where)
			}
			if job.command() == "drift" {
				drift = true
				if role != "plan" || env != "" {
					t.Errorf("%s checks drift with role %q in environment %q; drift reads with the plan role and no environment", where, role, env)
				}
			}
			if job.command() == "expire" {
				expire = true
				if role != "apply" {
					t.Errorf("%s enforces expiry with role %q; it writes, with the apply role", where, role)
				}
			}
			// Check runs of the workflow token are the reviewed-plan record:
			// only the jobs that plan a pull request may write them.
			if job.Permissions["checks"] == "write" && !fromPullRequests {
				t.Errorf("%s may write check runs, which pass for the reviewed-plan record; only pull request plan jobs may", where)
			}
			if job.Permissions["id-token"] == "write" && fromPullRequests {
				guarded := strings.Contains(job.If, forkGuard)
				for _, n := range job.needs() {
					guarded = guarded || strings.Contains(wf.Jobs[n].If, forkGuard)
				}
				if !guarded || strings.Contains(job.If, "always()") {
					t.Errorf("%s has an OIDC token and may run for a fork's pull request; guard it with if: %s", where, forkGuard)
				}
			}
		}
	}
	if !drift || !expire {
		t.Errorf("the examples have a drift job: %v, an expire job: %v; want both", drift, expire)
	}
}

// TestHubTrustPolicies checks the hub roles' trust policies in docs/setup.md:
// the apply hub role trusts exactly the iam-apply environment's OIDC subject
// (not the default branch, which every workflow on main carries), the plan
// hub role pull requests and the default branch; both match subjects
// exactly (no wildcard) and only for the sts.amazonaws.com audience.
func TestHubTrustPolicies(t *testing.T) {
	t.Parallel()
	setup := readRepoFile(t, "docs/setup.md")
	tests := []struct {
		heading string
		want    []string
	}{
		{"### roster-hub-plan", []string{"repo:example-corp/access:pull_request", "repo:example-corp/access:ref:refs/heads/main"}},
		{"### roster-hub-apply", []string{"repo:example-corp/access:environment:iam-apply"}},
	}
	block := regexp.MustCompile("(?s)```json\n(.*?)```")
	for _, tt := range tests {
		_, section, ok := strings.Cut(setup, "\n"+tt.heading)
		if !ok {
			t.Fatalf("docs/setup.md has no %q section", tt.heading)
		}
		m := block.FindStringSubmatch(section)
		if m == nil {
			t.Fatalf("docs/setup.md: no trust policy under %q", tt.heading)
		}
		var trust struct {
			Statement []struct {
				Effect    string
				Action    string
				Condition map[string]map[string]any
			}
		}
		if err := json.Unmarshal([]byte(m[1]), &trust); err != nil {
			t.Fatalf("docs/setup.md %q: %v", tt.heading, err)
		}
		if len(trust.Statement) != 1 || trust.Statement[0].Action != "sts:AssumeRoleWithWebIdentity" {
			t.Fatalf("docs/setup.md %q: want one sts:AssumeRoleWithWebIdentity statement, got %+v", tt.heading, trust.Statement)
		}
		cond := trust.Statement[0].Condition
		if ops := slices.Sorted(maps.Keys(cond)); !slices.Equal(ops, []string{"StringEquals"}) {
			t.Errorf("docs/setup.md %q: condition operators %v, want only StringEquals (no wildcard subjects)", tt.heading, ops)
		}
		eq := cond["StringEquals"]
		if aud := eq["token.actions.githubusercontent.com:aud"]; aud != "sts.amazonaws.com" {
			t.Errorf("docs/setup.md %q: audience %v, want sts.amazonaws.com", tt.heading, aud)
		}
		var got []string
		switch sub := eq["token.actions.githubusercontent.com:sub"].(type) {
		case string:
			got = []string{sub}
		case []any:
			for _, s := range sub {
				str, _ := s.(string)
				got = append(got, str)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("docs/setup.md %q: trusted OIDC subjects (-want +got):\n%s", tt.heading, diff)
		}
	}
}
