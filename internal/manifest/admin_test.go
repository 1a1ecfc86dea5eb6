package manifest_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/manifest"
)

// TestForbidAdminEquivalent: where the guardrail is on (production by
// default, defaults, the environment itself), which grants it refuses, and
// that narrower or self-service access passes. Each case lists the lines
// of the admin-equivalent findings.
func TestForbidAdminEquivalent(t *testing.T) {
	t.Parallel()
	const (
		admin     = "users:\n  - name: root\n    managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]\n"
		powerUser = "arn:aws:iam::aws:policy/PowerUserAccess"
	)
	tests := []struct {
		name     string
		envName  string
		env      string // appended to environment.yaml
		config   string // roster.yaml
		people   string
		wantLine []int
	}{
		{name: "production by name", envName: "production", people: admin, wantLine: []int{3}},
		{name: "prod by name", envName: "prod", people: admin, wantLine: []int{3}},
		{name: "production: true", envName: "live", env: "production: true\n", people: admin, wantLine: []int{3}},
		{name: "not production", envName: "staging", people: admin},
		{name: "production turned off in its own file", envName: "production", env: "guardrails: {forbid_admin_equivalent: false}\n", people: admin},
		{name: "defaults cannot turn production off", envName: "production", config: "defaults: {guardrails: {forbid_admin_equivalent: false}}\n", people: admin, wantLine: []int{3}},
		{name: "defaults turn it on", envName: "testing", config: "defaults: {guardrails: {forbid_admin_equivalent: true}}\n", people: admin, wantLine: []int{3}},
		{name: "an environment turns it on", envName: "testing", env: "guardrails: {forbid_admin_equivalent: true}\n", people: admin, wantLine: []int{3}},
		{name: "an environment overrides defaults", envName: "testing", env: "guardrails: {forbid_admin_equivalent: false}\n", config: "defaults: {guardrails: {forbid_admin_equivalent: true}}\n", people: admin},
		{name: "China partition", envName: "production", env: "region: cn-north-1\n", people: strings.ReplaceAll(admin, "arn:aws:", "arn:aws-cn:") + "", wantLine: []int{3}},
		{name: "a tombstone does not count", envName: "production", people: admin + "    absent: true\n"},
		{name: "an absent group does not count", envName: "production", people: "groups:\n  - name: admins\n    absent: true\n    managed_policies: [arn:aws:iam::aws:policy/IAMFullAccess]\n"},
		{name: "PowerUserAccess alone", envName: "production", people: "users:\n  - name: dev\n    managed_policies: [" + powerUser + "]\n"},
		{name: "self-service keys and MFA", envName: "production", people: "users:\n  - name: dev\n    inline_policies:\n      self:\n        Version: \"2012-10-17\"\n        Statement:\n" +
			"          - {Effect: Allow, Action: [iam:CreateAccessKey, iam:UpdateAccessKey, iam:DeleteAccessKey, iam:EnableMFADevice], Resource: \"arn:aws:iam::*:user/${aws:username}\"}\n" +
			"          - {Effect: Allow, Action: iam:PassRole, Resource: arn:aws:iam::111122223333:role/lambda-exec}\n"},
		{name: "deny all is no grant", envName: "production", people: "users:\n  - name: dev\n    inline_policies:\n      deny: {Version: \"2012-10-17\", Statement: [{Effect: Deny, Action: \"*\", Resource: \"*\"}]}\n"},
		{name: "PowerUserAccess in one group, IAM write in another", envName: "production", people: "groups:\n" +
			"  - name: power\n    managed_policies: [" + powerUser + "]\n" +
			"  - name: roles\n    inline_policies:\n      create: {Version: \"2012-10-17\", Statement: [{Effect: Allow, Action: iam:CreateRole, Resource: \"*\"}]}\n" +
			"users:\n  - name: dev\n    groups: [power, roles]\n", wantLine: []int{9}},
		{name: "PowerUserAccess and an IAM write in one group", envName: "production", people: "groups:\n" +
			"  - name: power\n    managed_policies: [" + powerUser + "]\n    inline_policies:\n      create: {Version: \"2012-10-17\", Statement: [{Effect: Allow, Action: iam:CreateRole, Resource: \"*\"}]}\n" +
			"users:\n  - name: dev\n    groups: [power]\n", wantLine: []int{5}},
		{name: "an admin group is reported once, not at its members", envName: "production", people: "groups:\n" +
			"  - name: admins\n    managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]\n" +
			"users:\n  - name: a\n    groups: [admins]\n  - name: b\n    groups: [admins]\n", wantLine: []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			role := "arn:aws:iam::111122223333:role/roster-apply"
			if strings.Contains(tt.env, "cn-north-1") {
				role = strings.ReplaceAll(role, "arn:aws:", "arn:aws-cn:")
			}
			files := map[string]string{
				tt.envName + "/environment.yaml": "account_id: \"111122223333\"\nrole_arn: " + role + "\n" + tt.env,
				tt.envName + "/people.yaml":      tt.people,
			}
			if tt.config != "" {
				files["roster.yaml"] = tt.config
			}
			_, diags := manifest.Load(writeTree(t, files), manifest.WithClock(clock))
			var got []int
			for _, d := range diags {
				if d.Rule != "admin-equivalent" {
					if d.Severity == diag.Error {
						t.Errorf("unexpected finding: %v", d)
					}
					continue
				}
				got = append(got, d.Line)
			}
			if diff := cmp.Diff(tt.wantLine, got); diff != "" {
				t.Errorf("lines of admin-equivalent findings (-want +got):\n%s", diff)
			}
		})
	}
}
