package awsiam

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// TestOrganizationInventory: drift lists the Organization through the
// management role, and reads the users of exactly the active accounts it
// asks for, with roster-plan in each; an account without that role is
// returned unread, saying why, and a suspended account is not read.
func TestOrganizationInventory(t *testing.T) {
	t.Parallel()
	const (
		mgmt    = "999999999999"
		covered = "111111111111"
		sandbox = "222222222222"
		norole  = "333333333333"
		closing = "444444444444"
	)
	s := iamtest.NewServer(t)
	o := s.CreateOrganization(mgmt)
	o.AddAccount(iamtest.OrgAccount{ID: covered, Name: "development"})
	o.AddAccount(iamtest.OrgAccount{ID: sandbox, Name: "sandbox"})
	o.AddAccount(iamtest.OrgAccount{ID: norole, Name: "legacy"})
	o.AddAccount(iamtest.OrgAccount{ID: closing, Name: "old-prod", State: iamtest.OrgAccountSuspended})
	s.Account(mgmt).AddRole("roster-organization-read", OrgDriftPermissions...)
	for _, id := range []string{covered, sandbox, closing} {
		s.Account(id).AddRole("roster-plan", "iam:List*")
		s.Account(id).PutUser(iamtest.User{Name: "someone-" + id[:1]})
	}
	s.Account(sandbox).PutUser(iamtest.User{Name: "adhoc-admin"})
	s.Account(norole).PutUser(iamtest.User{Name: "hidden"})

	org := &manifest.Organization{ManagementRoleARN: "arn:aws:iam::" + mgmt + ":role/roster-organization-read", AccountID: mgmt}
	src := &Source{Base: s.AWSConfig(covered), Purpose: ForDrift}
	s.ResetCalls()
	got, err := src.Organization(context.Background(), org, func(id string) bool { return id != covered })
	if err != nil {
		t.Fatalf("Organization: %v", err)
	}
	for i := range got {
		if got[i].Unread != "" && !strings.Contains(got[i].Unread, "no role roster-plan") {
			t.Errorf("account %s unread because %q, want the missing role named", got[i].ID, got[i].Unread)
		}
		got[i].Unread, _, _ = strings.Cut(got[i].Unread, " it may") // the rest is advice
	}
	want := []state.OrgAccount{
		{ID: mgmt, Name: "management", State: "ACTIVE", Unread: "no role roster-plan"},
		{ID: covered, Name: "development", State: "ACTIVE"},
		{ID: sandbox, Name: "sandbox", State: "ACTIVE", Inventoried: true, Users: []string{"adhoc-admin", "someone-2"}},
		{ID: norole, Name: "legacy", State: "ACTIVE", Unread: "no role roster-plan"},
		{ID: closing, Name: "old-prod", State: "SUSPENDED"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	calls := s.Calls()
	if calls[covered]["ListUsers"] != 0 || calls[closing]["ListUsers"] != 0 || calls[sandbox]["ListUsers"] != 1 {
		t.Errorf("ListUsers calls = covered %d, suspended %d, sandbox %d; want 0, 0, 1",
			calls[covered]["ListUsers"], calls[closing]["ListUsers"], calls[sandbox]["ListUsers"])
	}

	// A management role that may not list accounts is an error naming the call.
	s.Account(mgmt).AddRole("roster-organization-read", "iam:List*")
	if _, err := src.Organization(context.Background(), org, func(string) bool { return true }); err == nil || !strings.Contains(err.Error(), "organizations:ListAccounts") {
		t.Errorf("Organization with a role that may not list accounts: %v, want an error naming organizations:ListAccounts", err)
	}
}
