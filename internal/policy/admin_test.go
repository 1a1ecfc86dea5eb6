package policy_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/policy"
)

// TestIsAdminManaged: AdministratorAccess and IAMFullAccess in any
// partition are admin-equivalent; other AWS managed policies and customer
// policies of the same name are not.
func TestIsAdminManaged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arn  string
		want bool
	}{
		{policy.AdministratorAccess, true},
		{policy.IAMFullAccess, true},
		{"arn:aws-us-gov:iam::aws:policy/AdministratorAccess", true},
		{"arn:aws-cn:iam::aws:policy/AdministratorAccess", true},
		{"arn:aws-cn:iam::aws:policy/IAMFullAccess", true},
		{"arn:aws-us-gov:iam::aws:policy/IAMFullAccess", true},
		{"arn:aws-cn:iam::aws:policy/PowerUserAccess", false},
		{"arn:aws-evil:iam::aws:policy/xAdministratorAccess", false},
		{"AdministratorAccess", false},
		{policy.PowerUserAccess, false},
		{"arn:aws:iam::111122223333:policy/AdministratorAccess", false},
		{"arn:aws:iam::aws:policy/ReadOnlyAccess", false},
	}
	for _, tt := range tests {
		if got := policy.IsAdminManaged(tt.arn); got != tt.want {
			t.Errorf("IsAdminManaged(%q) = %v, want %v", tt.arn, got, tt.want)
		}
	}
}

// TestInspect: what a document grants, as the admin rules read it.
func TestInspect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want policy.Grants
	}{
		{"allow all", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			policy.Grants{AllowAll: true, Escalation: true, IAMWrite: true}},
		{"all IAM", `{"Statement":{"Effect":"Allow","Action":["IAM:*"],"Resource":"*"}}`,
			policy.Grants{AllIAM: true, Escalation: true, IAMWrite: true}},
		{"escalation on a user", `{"Statement":[{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"arn:aws:iam::111122223333:user/bob"}]}`,
			policy.Grants{Escalation: true, IAMWrite: true}},
		{"pass any role", `{"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}`,
			policy.Grants{Escalation: true, IAMWrite: true}},
		{"pass every role of an account", `{"Statement":[{"Effect":"Allow","Action":"iam:Pass*","Resource":"arn:aws-cn:iam::111122223333:role/*"}]}`,
			policy.Grants{Escalation: true, IAMWrite: true}},
		{"pass one role", `{"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/lambda-exec"}]}`,
			policy.Grants{IAMWrite: true}},
		{"keys of every user", `{"Statement":[{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::*:user/*"}]}`,
			policy.Grants{Escalation: true, IAMWrite: true}},
		{"own keys only", `{"Statement":[{"Effect":"Allow","Action":["iam:CreateAccessKey","iam:UpdateLoginProfile"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`,
			policy.Grants{IAMWrite: true}},
		{"new policy version", `{"Statement":[{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"arn:aws:iam::111122223333:policy/deploy"}]}`,
			policy.Grants{Escalation: true, IAMWrite: true}},
		{"a boundary replaced", `{"Statement":[{"Effect":"Allow","Action":"iam:PutUserPermissionsBoundary","Resource":"*"}]}`,
			policy.Grants{Escalation: true, IAMWrite: true}},
		{"IAM write, no escalation", `{"Statement":[{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*"}]}`,
			policy.Grants{IAMWrite: true}},
		{"deny all", `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, policy.Grants{}},
		{"reads only", `{"Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`, policy.Grants{}},
		{"not a document", `not json`, policy.Grants{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := policy.Inspect(tt.doc)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Inspect (-want +got):\n%s", diff)
			}
			if admin := tt.want.AllowAll || tt.want.AllIAM || tt.want.Escalation; got.Admin() != admin {
				t.Errorf("Admin() = %v, want %v", got.Admin(), admin)
			}
		})
	}
}

// TestInspectStatements: each statement's grants, at the path a caller maps
// back to the document's source.
func TestInspectStatements(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want []policy.StatementGrants
	}{
		{"list", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			[]policy.StatementGrants{
				{Path: "Statement[0]"},
				{Path: "Statement[1]", Grants: policy.Grants{AllowAll: true, Escalation: true, IAMWrite: true}},
			}},
		{"one object", `{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}`,
			[]policy.StatementGrants{{Path: "Statement", Grants: policy.Grants{AllIAM: true, Escalation: true, IAMWrite: true}}}},
		{"not a document", `[]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, policy.InspectStatements(tt.doc)); diff != "" {
				t.Errorf("InspectStatements (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGrantsRule: the rule a document alone breaks, as the access report
// and the guardrail name it.
func TestGrantsRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		g    policy.Grants
		want policy.Rule
	}{
		{policy.Grants{AllowAll: true, Escalation: true}, policy.RuleAllowAll},
		{policy.Grants{AllIAM: true}, policy.RuleIAMFull},
		{policy.Grants{Escalation: true}, policy.RuleIAMFull},
		{policy.Grants{IAMWrite: true}, ""},
	}
	for _, tt := range tests {
		if got := tt.g.Rule(); got != tt.want {
			t.Errorf("%+v.Rule() = %q, want %q", tt.g, got, tt.want)
		}
	}
	if got := policy.ManagedRule("arn:aws-cn:iam::aws:policy/AdministratorAccess"); got != policy.RuleAdministrator {
		t.Errorf("ManagedRule(aws-cn AdministratorAccess) = %q", got)
	}
	if !policy.IsPowerUser("arn:aws-us-gov:iam::aws:policy/PowerUserAccess") || policy.IsPowerUser("arn:aws:iam::111122223333:policy/PowerUserAccess") {
		t.Errorf("IsPowerUser reads the partition or the account wrong")
	}
}
