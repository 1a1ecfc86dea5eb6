package action

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/github"
)

func TestReadInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    Inputs
		wantErr string
	}{
		{
			name: "defaults",
			want: Inputs{Command: "auto", Path: "access", Comment: true, TrustedAuthor: "github-actions[bot]", ApplyWorkflow: "roster-apply.yml"},
		},
		{
			name: "every input as the runner passes it",
			env: map[string]string{
				"INPUT_COMMAND":           "Plan",
				"INPUT_PATH":              "./iam/access/",
				"INPUT_ENVIRONMENTS":      "staging, production\nstaging",
				"INPUT_GITHUB-TOKEN":      "ghs_x",
				"INPUT_COMMENT":           "false",
				"INPUT_FAIL-ON-DRIFT":     "True",
				"INPUT_PLAN-OUTPUT":       "plan.json",
				"INPUT_TRUSTED-AUTHOR":    "access-bot[bot]",
				"INPUT_READ-CONCURRENCY":  "8",
				"INPUT_WRITE-CONCURRENCY": " 4 ",
				"INPUT_TRUSTED-APP":       "access-bot:4242",
				"INPUT_APPLY-WORKFLOW":    "iam-apply.yaml",
			},
			want: Inputs{
				Command: "plan", Path: "iam/access", Environments: []string{"staging", "production"}, Token: "ghs_x", FailOnDrift: true, PlanOutput: "plan.json", TrustedAuthor: "access-bot[bot]",
				Concurrency: awsiam.Concurrency{Reads: 8, Writes: 4}, TrustedApp: github.App{ID: 4242, Slug: "access-bot"},
				ApplyWorkflow: "iam-apply.yaml",
			},
		},
		{
			name: "any author",
			env:  map[string]string{"INPUT_TRUSTED-AUTHOR": "*"},
			want: Inputs{Command: "auto", Path: "access", Comment: true, ApplyWorkflow: "roster-apply.yml"},
		},
		{
			name: "trusted app by slug",
			env:  map[string]string{"INPUT_TRUSTED-APP": "access-bot"},
			want: Inputs{Command: "auto", Path: "access", Comment: true, TrustedAuthor: "github-actions[bot]", TrustedApp: github.App{Slug: "access-bot"}, ApplyWorkflow: "roster-apply.yml"},
		},
		{name: "trusted app as a bot login", env: map[string]string{"INPUT_TRUSTED-APP": "access-bot[bot]"}, wantErr: "input trusted-app"},
		{name: "trusted app with a bad ID", env: map[string]string{"INPUT_TRUSTED-APP": "access-bot:x"}, wantErr: "must be a positive number"},
		{
			name: "expire",
			env:  map[string]string{"INPUT_COMMAND": "EXPIRE"},
			want: Inputs{Command: "expire", Path: "access", Comment: true, TrustedAuthor: "github-actions[bot]", ApplyWorkflow: "roster-apply.yml"},
		},
		{name: "unknown command", env: map[string]string{"INPUT_COMMAND": "destroy"}, wantErr: `input command: "destroy"`},
		{name: "path outside the repository", env: map[string]string{"INPUT_PATH": "../elsewhere"}, wantErr: "must be a folder inside the repository"},
		{name: "absolute path", env: map[string]string{"INPUT_PATH": "/etc"}, wantErr: "must be a folder inside the repository"},
		{name: "apply workflow as a path", env: map[string]string{"INPUT_APPLY-WORKFLOW": ".github/workflows/apply.yml"}, wantErr: "input apply-workflow"},
		{name: "bad boolean", env: map[string]string{"INPUT_COMMENT": "yes please"}, wantErr: "input comment"},
		{name: "read-concurrency zero", env: map[string]string{"INPUT_READ-CONCURRENCY": "0"}, wantErr: `input read-concurrency: "0" is not a whole number of at least 1`},
		{name: "write-concurrency not a number", env: map[string]string{"INPUT_WRITE-CONCURRENCY": "many"}, wantErr: `input write-concurrency: "many"`},
		{name: "plan-dir with plan-output", env: map[string]string{"INPUT_PLAN-DIR": "plans", "INPUT_PLAN-OUTPUT": "p.json"}, wantErr: "set one or the other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := githubactions.New(githubactions.WithGetenv(func(k string) string { return tt.env[k] }))
			got, err := readInputs(gh)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("readInputs() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("readInputs(): %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("inputs (-want +got):\n%s", diff)
			}
		})
	}
}
