package iamtest_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

// bigAccount seeds 23 users in one group, each with 3 of everything
// pageable, so MaxItems 2 forces several pages everywhere.
func bigAccount(t *testing.T) (*iamtest.Server, *iam.Client, []string) {
	t.Helper()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	a := s.Account(acctA)
	for i := range 5 {
		a.CreatePolicy(fmt.Sprintf("arn:aws:iam::111122223333:policy/p%d", i))
	}
	a.PutGroup(iamtest.Group{Name: "everyone", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	for i := range 3 {
		a.PutGroup(iamtest.Group{Name: fmt.Sprintf("team%d", i)})
	}
	var names []string
	for i := range 23 {
		name := fmt.Sprintf("user%02d", i)
		names = append(names, name)
		a.PutUser(iamtest.User{
			Name:            name,
			Groups:          []string{"everyone", "team0", "team1", "team2"},
			ManagedPolicies: []string{"arn:aws:iam::111122223333:policy/p0", "arn:aws:iam::111122223333:policy/p1", "arn:aws:iam::aws:policy/ReadOnlyAccess"},
			InlinePolicies:  map[string]string{"a": allowAll, "b": allowAll, "c": allowAll},
			Tags:            []iamtest.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}, {Key: "c", Value: "3"}},
			AccessKeys:      make([]iamtest.AccessKey, 2),
			MFADevices:      make([]iamtest.MFADevice, 3),
			SSHPublicKeys:   []iamtest.SSHPublicKey{{Body: "ssh-rsa AAAA"}, {Body: "ssh-rsa BBBB"}, {Body: "ssh-rsa CCCC"}},
			SigningCertificates: []iamtest.SigningCertificate{
				{Body: "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----"},
				{Body: "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----"},
			},
			ServiceSpecificCredentials: make([]iamtest.ServiceSpecificCredential, 3),
		})
	}
	return s, iam.NewFromConfig(s.AWSConfig(acctA)), names
}

func TestPaginationWithSDKPaginators(t *testing.T) {
	t.Parallel()
	s, c, names := bigAccount(t)
	const max = 2
	user := str("user07")
	tests := []struct {
		name      string
		action    string
		wantItems int
		collect   func(t *testing.T) []string
	}{
		{"ListUsers", "ListUsers", 23, func(t *testing.T) (out []string) {
			p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(max)})
			for p.HasMorePages() {
				out = append(out, userNames(must(p.NextPage(ctx))(t).Users)...)
			}
			return out
		}},
		{"GetGroup", "GetGroup", 23, func(t *testing.T) (out []string) {
			p := iam.NewGetGroupPaginator(c, &iam.GetGroupInput{GroupName: str("everyone"), MaxItems: aws.Int32(max)})
			for p.HasMorePages() {
				out = append(out, userNames(must(p.NextPage(ctx))(t).Users)...)
			}
			return out
		}},
		{"ListGroups", "ListGroups", 4, func(t *testing.T) (out []string) {
			p := iam.NewListGroupsPaginator(c, &iam.ListGroupsInput{MaxItems: aws.Int32(max)})
			for p.HasMorePages() {
				for _, g := range must(p.NextPage(ctx))(t).Groups {
					out = append(out, aws.ToString(g.GroupName))
				}
			}
			return out
		}},
		{"ListGroupsForUser", "ListGroupsForUser", 4, func(t *testing.T) (out []string) {
			p := iam.NewListGroupsForUserPaginator(c, &iam.ListGroupsForUserInput{UserName: user, MaxItems: aws.Int32(max)})
			for p.HasMorePages() {
				for _, g := range must(p.NextPage(ctx))(t).Groups {
					out = append(out, aws.ToString(g.GroupName))
				}
			}
			return out
		}},
		{"ListAttachedUserPolicies", "ListAttachedUserPolicies", 3, func(t *testing.T) (out []string) {
			p := iam.NewListAttachedUserPoliciesPaginator(c, &iam.ListAttachedUserPoliciesInput{UserName: user, MaxItems: aws.Int32(max)})
			for p.HasMorePages() {
				out = append(out, attachedNames(must(p.NextPage(ctx))(t).AttachedPolicies)...)
			}
			return out
		}},
		{"ListAttachedGroupPolicies", "ListAttachedGroupPolicies", 1, func(t *testing.T) (out []string) {
			p := iam.NewListAttachedGroupPoliciesPaginator(c, &iam.ListAttachedGroupPoliciesInput{GroupName: str("everyone"), MaxItems: aws.Int32(max)})
			for p.HasMorePages() {
				out = append(out, attachedNames(must(p.NextPage(ctx))(t).AttachedPolicies)...)
			}
			return out
		}},
		{"ListUserPolicies", "ListUserPolicies", 3, func(t *testing.T) (out []string) {
			p := iam.NewListUserPoliciesPaginator(c, &iam.ListUserPoliciesInput{UserName: user, MaxItems: aws.Int32(max)})
			for p.HasMorePages() {
				out = append(out, must(p.NextPage(ctx))(t).PolicyNames...)
			}
			return out
		}},
		{"ListUserTags", "ListUserTags", 3, func(t *testing.T) (out []string) {
			p := iam.NewListUserTagsPaginator(c, &iam.ListUserTagsInput{UserName: user, MaxItems: aws.Int32(max)})
			for p.HasMorePages() {
				for _, tag := range must(p.NextPage(ctx))(t).Tags {
					out = append(out, aws.ToString(tag.Key))
				}
			}
			return out
		}},
		{"ListAccessKeys", "ListAccessKeys", 2, func(t *testing.T) (out []string) {
			p := iam.NewListAccessKeysPaginator(c, &iam.ListAccessKeysInput{UserName: user, MaxItems: aws.Int32(1)})
			for p.HasMorePages() {
				for _, k := range must(p.NextPage(ctx))(t).AccessKeyMetadata {
					out = append(out, aws.ToString(k.AccessKeyId))
				}
			}
			return out
		}},
		{"ListMFADevices", "ListMFADevices", 3, func(t *testing.T) (out []string) {
			p := iam.NewListMFADevicesPaginator(c, &iam.ListMFADevicesInput{UserName: user, MaxItems: aws.Int32(max)})
			for p.HasMorePages() {
				for _, d := range must(p.NextPage(ctx))(t).MFADevices {
					out = append(out, aws.ToString(d.SerialNumber))
				}
			}
			return out
		}},
		{"ListSSHPublicKeys", "ListSSHPublicKeys", 3, func(t *testing.T) (out []string) {
			p := iam.NewListSSHPublicKeysPaginator(c, &iam.ListSSHPublicKeysInput{UserName: user, MaxItems: aws.Int32(max)})
			for p.HasMorePages() {
				for _, k := range must(p.NextPage(ctx))(t).SSHPublicKeys {
					out = append(out, aws.ToString(k.SSHPublicKeyId))
				}
			}
			return out
		}},
		{"ListSigningCertificates", "ListSigningCertificates", 2, func(t *testing.T) (out []string) {
			p := iam.NewListSigningCertificatesPaginator(c, &iam.ListSigningCertificatesInput{UserName: user, MaxItems: aws.Int32(1)})
			for p.HasMorePages() {
				for _, k := range must(p.NextPage(ctx))(t).Certificates {
					out = append(out, aws.ToString(k.CertificateId))
				}
			}
			return out
		}},
		{"ListPolicies", "ListPolicies", 5, func(t *testing.T) (out []string) {
			p := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, MaxItems: aws.Int32(max)})
			for p.HasMorePages() {
				for _, pol := range must(p.NextPage(ctx))(t).Policies {
					out = append(out, aws.ToString(pol.PolicyName))
				}
			}
			return out
		}},
		{"ListServiceSpecificCredentials (no SDK paginator)", "ListServiceSpecificCredentials", 3, func(t *testing.T) (out []string) {
			in := &iam.ListServiceSpecificCredentialsInput{UserName: user, MaxItems: aws.Int32(max)}
			for {
				page := must(c.ListServiceSpecificCredentials(ctx, in))(t)
				for _, cr := range page.ServiceSpecificCredentials {
					out = append(out, aws.ToString(cr.ServiceSpecificCredentialId))
				}
				if !page.IsTruncated {
					return out
				}
				in.Marker = page.Marker
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.CallCount(acctA, tt.action)
			got := tt.collect(t)
			if len(got) != tt.wantItems {
				t.Fatalf("collected %d items %v, want %d", len(got), got, tt.wantItems)
			}
			if dup := duplicates(got); len(dup) > 0 {
				t.Errorf("items returned twice across pages: %v", dup)
			}
			pages := s.CallCount(acctA, tt.action) - before
			perPage := max
			if tt.name == "ListAccessKeys" || tt.name == "ListSigningCertificates" {
				perPage = 1
			}
			if want := (tt.wantItems + perPage - 1) / perPage; pages != want {
				t.Errorf("%s took %d calls, want %d pages of %d", tt.action, pages, want, perPage)
			}
		})
	}
	t.Run("ListUsers order", func(t *testing.T) {
		p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(5)})
		var got []string
		for p.HasMorePages() {
			got = append(got, userNames(must(p.NextPage(ctx))(t).Users)...)
		}
		if diff := cmp.Diff(names, got); diff != "" {
			t.Errorf("ListUsers across pages (-want +got):\n%s", diff)
		}
	})
	t.Run("default page size is 100", func(t *testing.T) {
		a := s.Account(acctA)
		for i := range 90 {
			a.PutUser(iamtest.User{Name: fmt.Sprintf("extra%03d", i)})
		}
		page := must(c.ListUsers(ctx, &iam.ListUsersInput{}))(t)
		if len(page.Users) != 100 || !page.IsTruncated || page.Marker == nil {
			t.Errorf("ListUsers without MaxItems: %d users, truncated %v, want 100 and truncated", len(page.Users), page.IsTruncated)
		}
		last := must(c.ListUsers(ctx, &iam.ListUsersInput{Marker: page.Marker}))(t)
		if len(last.Users) != 13 || last.IsTruncated || last.Marker != nil {
			t.Errorf("second page: %d users, truncated %v, marker %v; want 13, false, nil", len(last.Users), last.IsTruncated, last.Marker)
		}
	})
}

func duplicates(items []string) []string {
	seen := map[string]bool{}
	var dup []string
	for _, it := range items {
		if seen[it] {
			dup = append(dup, it)
		}
		seen[it] = true
	}
	return dup
}

func TestGetAccountAuthorizationDetails(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	a := s.Account(acctA)
	custom := "arn:aws:iam::111122223333:policy/custom"
	a.CreatePolicy(custom)
	a.AddRole("roster-apply")
	a.PutGroup(iamtest.Group{Name: "devs", Path: "/teams/", ManagedPolicies: []string{custom}, InlinePolicies: map[string]string{"g": allowAll}})
	for i := range 7 {
		a.PutUser(iamtest.User{
			Name:                fmt.Sprintf("u%d", i),
			Groups:              []string{"devs"},
			ManagedPolicies:     []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
			InlinePolicies:      map[string]string{"inline": allowAll},
			PermissionsBoundary: custom,
			Tags:                []iamtest.Tag{{Key: "team", Value: "x"}},
		})
	}
	c := iam.NewFromConfig(s.AWSConfig(acctA))

	collect := func(t *testing.T, filter ...types.EntityType) *iam.GetAccountAuthorizationDetailsOutput {
		t.Helper()
		all := &iam.GetAccountAuthorizationDetailsOutput{}
		p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{Filter: filter, MaxItems: aws.Int32(3)})
		for p.HasMorePages() {
			page := must(p.NextPage(ctx))(t)
			all.UserDetailList = append(all.UserDetailList, page.UserDetailList...)
			all.GroupDetailList = append(all.GroupDetailList, page.GroupDetailList...)
			all.RoleDetailList = append(all.RoleDetailList, page.RoleDetailList...)
			all.Policies = append(all.Policies, page.Policies...)
		}
		return all
	}
	counts := func(o *iam.GetAccountAuthorizationDetailsOutput) string {
		return fmt.Sprintf("users=%d groups=%d roles=%d policies=%d", len(o.UserDetailList), len(o.GroupDetailList), len(o.RoleDetailList), len(o.Policies))
	}
	tests := []struct {
		filter []types.EntityType
		want   string
	}{
		{nil, "users=7 groups=1 roles=1 policies=2"},
		{[]types.EntityType{types.EntityTypeUser}, "users=7 groups=0 roles=0 policies=0"},
		{[]types.EntityType{types.EntityTypeGroup, types.EntityTypeRole}, "users=0 groups=1 roles=1 policies=0"},
		{[]types.EntityType{types.EntityTypeLocalManagedPolicy}, "users=0 groups=0 roles=0 policies=1"},
		{[]types.EntityType{types.EntityTypeAWSManagedPolicy}, "users=0 groups=0 roles=0 policies=1"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.filter), func(t *testing.T) {
			if diff := cmp.Diff(tt.want, counts(collect(t, tt.filter...))); diff != "" {
				t.Errorf("entities (-want +got):\n%s", diff)
			}
		})
	}

	all := collect(t)
	u := all.UserDetailList[0]
	if diff := cmp.Diff([]string{"devs"}, u.GroupList); diff != "" {
		t.Errorf("GroupList (-want +got):\n%s", diff)
	}
	if got := aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn); got != custom {
		t.Errorf("PermissionsBoundary = %q, want %q", got, custom)
	}
	if diff := cmp.Diff([]iamtest.Tag{{Key: "team", Value: "x"}}, fromSDKTags(u.Tags)); diff != "" {
		t.Errorf("Tags (-want +got):\n%s", diff)
	}
	for _, doc := range []string{
		aws.ToString(u.UserPolicyList[0].PolicyDocument),
		aws.ToString(all.GroupDetailList[0].GroupPolicyList[0].PolicyDocument),
		aws.ToString(all.RoleDetailList[0].AssumeRolePolicyDocument),
	} {
		if !strings.HasPrefix(doc, "%7B") {
			t.Errorf("document %q is not URL-encoded", doc)
		}
	}
	decoded, err := url.QueryUnescape(aws.ToString(u.UserPolicyList[0].PolicyDocument))
	if err != nil || decoded != allowAll {
		t.Errorf("decoded inline document = %q, %v; want %q", decoded, err, allowAll)
	}
	i := slices.IndexFunc(all.Policies, func(p types.ManagedPolicyDetail) bool { return aws.ToString(p.Arn) == custom })
	if i < 0 {
		t.Fatalf("custom policy missing from Policies")
	}
	p := all.Policies[i]
	if got := fmt.Sprint(aws.ToInt32(p.AttachmentCount), " ", aws.ToInt32(p.PermissionsBoundaryUsageCount), " ", len(p.PolicyVersionList)); got != "1 7 1" {
		t.Errorf("custom policy attachment, boundary usage, versions = %s, want 1 7 1", got)
	}
	if !p.PolicyVersionList[0].IsDefaultVersion || !strings.HasPrefix(aws.ToString(p.PolicyVersionList[0].Document), "%7B") {
		t.Errorf("policy version = %+v, want the default version with a URL-encoded document", p.PolicyVersionList[0])
	}

	_, err = iam.NewFromConfig(s.AWSConfig(acctA), noRetry).GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{"Bogus"}})
	if code, _ := errCode(err); code != "ValidationError" {
		t.Errorf("unknown filter: %s, want ValidationError", code)
	}
}

// TestGetAccountAuthorizationDetailsSeesChanges: the listing the server keeps
// between pages is rebuilt after any change, so a read after a write through
// the API, a seeding call or an out-of-band deletion sees it, in every
// account on its own.
func TestGetAccountAuthorizationDetailsSeesChanges(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.Account(acctA).PutUser(iamtest.User{Name: "a1"})
	s.Account(acctB).PutUser(iamtest.User{Name: "b1"})
	cA, cB := iam.NewFromConfig(s.AWSConfig(acctA)), iam.NewFromConfig(s.AWSConfig(acctB))
	users := func(t *testing.T, c *iam.Client) []string {
		t.Helper()
		var names []string
		p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{
			Filter: []types.EntityType{types.EntityTypeUser}, MaxItems: aws.Int32(1)})
		for p.HasMorePages() {
			for _, u := range must(p.NextPage(ctx))(t).UserDetailList {
				names = append(names, aws.ToString(u.UserName))
			}
		}
		return names
	}
	steps := []struct {
		name   string
		change func(t *testing.T)
		wantA  []string
		wantB  []string
	}{
		{"seeded", func(*testing.T) {}, []string{"a1"}, []string{"b1"}},
		{"created through the API", func(t *testing.T) {
			must(cA.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("a0")}))(t)
		}, []string{"a0", "a1"}, []string{"b1"}},
		{"seeded again", func(*testing.T) { s.Account(acctB).PutUser(iamtest.User{Name: "b2"}) }, []string{"a0", "a1"}, []string{"b1", "b2"}},
		{"deleted out of band", func(*testing.T) { s.Account(acctA).DeleteUser("a1") }, []string{"a0"}, []string{"b1", "b2"}},
	}
	for _, st := range steps {
		st.change(t)
		if diff := cmp.Diff(st.wantA, users(t, cA)); diff != "" {
			t.Errorf("%s: users of %s (-want +got):\n%s", st.name, acctA, diff)
		}
		if diff := cmp.Diff(st.wantB, users(t, cB)); diff != "" {
			t.Errorf("%s: users of %s (-want +got):\n%s", st.name, acctB, diff)
		}
	}
}
