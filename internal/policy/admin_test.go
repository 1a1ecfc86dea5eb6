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
		{"IAM write, no escalation", `{"Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}`,
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
			if admin := tt.want.AllowAll || tt.want.AllIAM; got.Admin() != admin {
				t.Errorf("Admin() = %v, want %v", got.Admin(), admin)
			}
		})
	}
}
