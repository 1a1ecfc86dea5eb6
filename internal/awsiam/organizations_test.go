package awsiam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

const orgManagement = "111111111111"

// seedOrganization builds an organization of n member accounts (beyond the
// management account) spread over nested OUs, one suspended, the first
// member with 45 tags, and returns what ReadOrganization must return.
func seedOrganization(t *testing.T, s *iamtest.Server, n int) []OrgAccount {
	t.Helper()
	o := s.CreateOrganization(orgManagement)
	want := []OrgAccount{{ID: orgManagement, Name: "management", Email: "aws+management@example.com", State: "ACTIVE", Tags: map[string]string{}}}
	ous := []string{"", "Workloads", "Workloads/Prod", "Workloads/Non-Prod/Dev", "Sandbox"}
	for i := range n {
		a := iamtest.OrgAccount{
			ID:   fmt.Sprintf("2222222222%02d", i),
			Name: fmt.Sprintf("account-%d", i),
			OU:   ous[i%len(ous)],
			Tags: map[string]string{"environment": fmt.Sprintf("env-%d", i)},
		}
		if i == 0 {
			for k := range 44 {
				a.Tags[fmt.Sprintf("k%02d", k)] = "v"
			}
		}
		if i == 3 {
			a.State = iamtest.OrgAccountSuspended
		}
		o.AddAccount(a)
		w := OrgAccount{ID: a.ID, Name: a.Name, Email: "aws+" + a.ID + "@example.com", State: "ACTIVE", Tags: a.Tags}
		if a.State != "" {
			w.State = a.State
		}
		if a.OU != "" {
			w.OUPath = strings.Split(a.OU, "/")
		}
		want = append(want, w)
	}
	return want
}

func TestReadOrganization(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 4, 45} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t)
			want := seedOrganization(t, s, n)
			got, err := ReadOrganization(context.Background(), s.AWSConfig(orgManagement))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("accounts (-want +got):\n%s", diff)
			}
			// 20 accounts a page; one ListParents per account and per OU.
			if got, want := s.CallCount(orgManagement, "ListAccounts"), (n+1+19)/20; got != want {
				t.Errorf("ListAccounts calls = %d, want %d", got, want)
			}
			if n > 0 {
				if got, want := s.CallCount(orgManagement, "ListTagsForResource"), n+1+2; got != want {
					t.Errorf("ListTagsForResource calls = %d, want %d (45 tags of one account take 3 pages)", got, want)
				}
			}
		})
	}
}

func TestReadOrganizationDelegatedAdministrator(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	o := s.CreateOrganization(orgManagement)
	o.AddAccount(iamtest.OrgAccount{ID: "222222222201", Name: "security", OU: "Security"})
	o.AddAccount(iamtest.OrgAccount{ID: "222222222202", Name: "prod", OU: "Workloads/Prod"})
	o.RegisterDelegatedAdministrator("222222222201")
	got, err := ReadOrganization(context.Background(), s.AWSConfig("222222222201"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID+" "+strings.Join(a.OUPath, "/"))
	}
	want := []string{orgManagement + " ", "222222222201 Security", "222222222202 Workloads/Prod"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("accounts read by the delegated administrator (-want +got):\n%s", diff)
	}
}

func TestReadOrganizationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// setup seeds the fake and returns the configuration to read with.
		setup    func(t *testing.T, s *iamtest.Server) aws.Config
		wantCode string
		wantMsg  []string
	}{
		{
			name: "not in an organization",
			setup: func(_ *testing.T, s *iamtest.Server) aws.Config {
				return s.AWSConfig("333333333333")
			},
			wantCode: "AWSOrganizationsNotInUseException",
			wantMsg:  []string{"not in an AWS Organization", "--env name=account_id"},
		},
		{
			name: "member account",
			setup: func(t *testing.T, s *iamtest.Server) aws.Config {
				seedOrganization(t, s, 2)
				return s.AWSConfig("222222222201")
			},
			wantCode: "AccessDeniedException",
			wantMsg:  []string{"refused organizations:ListAccounts", "management account or of a delegated administrator", "organizations:ListTagsForResource"},
		},
		{
			name: "role without organizations:ListTagsForResource",
			setup: func(t *testing.T, s *iamtest.Server) aws.Config {
				seedOrganization(t, s, 2)
				role := s.Account(orgManagement).AddRole("inventory", "organizations:List*Accounts", "organizations:ListParents", "organizations:Describe*")
				cfg := s.AWSConfig(orgManagement)
				cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), role.ARN))
				return cfg
			},
			wantCode: "AccessDeniedException",
			wantMsg:  []string{"refused organizations:ListTagsForResource"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t)
			_, err := ReadOrganization(context.Background(), tt.setup(t, s))
			var oe *OrganizationError
			if !errors.As(err, &oe) {
				t.Fatalf("error = %v (%T), want an OrganizationError", err, err)
			}
			if oe.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", oe.Code, tt.wantCode)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not say %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "RequestID") || strings.Contains(err.Error(), "operation error") {
				t.Errorf("error %q shows the SDK's raw chain", err)
			}
		})
	}
}

// TestOrgPermissionsDocumented binds docs/permissions.md's policies for
// roster init and for organization drift to the calls ReadOrganization and
// Organization make.
func TestOrgPermissionsDocumented(t *testing.T) {
	t.Parallel()
	for marker, want := range map[string][]string{
		"roster:organization-policy":       OrgPermissions,
		"roster:organization-drift-policy": OrgDriftPermissions,
	} {
		if diff := cmp.Diff(slices.Sorted(slices.Values(want)), documentedActions(t, marker)); diff != "" {
			t.Errorf("docs/permissions.md %s (-code +doc):\n%s", marker, diff)
		}
	}
}

// documentedActions returns the actions of the JSON policy that follows
// marker in docs/permissions.md.
func documentedActions(t *testing.T, marker string) []string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "<!-- "+marker+" -->\n")
	if !ok {
		t.Fatalf("docs/permissions.md has no %s marker", marker)
	}
	_, rest, _ = strings.Cut(rest, "```json\n")
	block, _, _ := strings.Cut(rest, "```")
	var pol struct{ Statement []struct{ Action []string } }
	if err := json.Unmarshal([]byte(block), &pol); err != nil {
		t.Fatalf("the policy in docs/permissions.md: %v", err)
	}
	var got []string
	for _, s := range pol.Statement {
		got = append(got, s.Action...)
	}
	return got
}
