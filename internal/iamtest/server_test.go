package iamtest_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

// post sends a raw Query-protocol request signed (in form only) with the
// account's ambient access key.
func post(t *testing.T, s *iamtest.Server, account string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	creds := s.Credentials(account)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+creds.AccessKeyID+"/20261127/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestWireFormat(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.Account(acctA).PutUser(iamtest.User{Name: "alice"})

	status, body := post(t, s, acctA, url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {"alice"}})
	var ok struct {
		XMLName xml.Name
		Result  struct {
			User struct{ UserName string }
		} `xml:"GetUserResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &ok); err != nil {
		t.Fatalf("response is not XML: %v\n%s", err, body)
	}
	got := fmt.Sprint(status, " ", ok.XMLName.Space, " ", ok.XMLName.Local, " ", ok.Result.User.UserName, " ", ok.RequestID != "")
	if diff := cmp.Diff("200 https://iam.amazonaws.com/doc/2010-05-08/ GetUserResponse alice true", got); diff != "" {
		t.Errorf("GetUser envelope (-want +got):\n%s\n%s", diff, body)
	}

	status, body = post(t, s, acctA, url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}})
	if !strings.Contains(body, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`) || status != 200 {
		t.Errorf("STS envelope: %d %s", status, body)
	}

	tests := []struct {
		form       url.Values
		wantStatus int
		wantCode   string
	}{
		{url.Values{"Action": {"GetUser"}, "UserName": {"nobody"}}, 404, "NoSuchEntity"},
		{url.Values{"Action": {"LaunchRockets"}}, 400, "InvalidAction"},
		{url.Values{"Action": {"CreateUser"}}, 400, "ValidationError"},
	}
	for _, tt := range tests {
		status, body := post(t, s, acctA, tt.form)
		var e struct {
			Type      string `xml:"Error>Type"`
			Code      string `xml:"Error>Code"`
			Message   string `xml:"Error>Message"`
			RequestID string `xml:"RequestId"`
		}
		if err := xml.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("error response is not XML: %v\n%s", err, body)
		}
		got := fmt.Sprint(status, " ", e.Type, " ", e.Code, " ", e.Message != "", " ", e.RequestID != "")
		if diff := cmp.Diff(fmt.Sprint(tt.wantStatus, " Sender ", tt.wantCode, " true true"), got); diff != "" {
			t.Errorf("%s error (-want +got):\n%s\n%s", tt.form.Get("Action"), diff, body)
		}
	}
}

func TestCallsAndWrites(t *testing.T) {
	t.Parallel()
	s, c := seeded(t)
	must(c.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	must(c.GetUser(ctx, &iam.GetUserInput{UserName: str("alice")}))(t)
	must(c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{}))(t)
	if w := s.Writes(); len(w) != 0 {
		t.Errorf("read-only calls recorded writes: %+v", w)
	}
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("carol")}))(t)
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: str("carol"), GroupName: str("devs")}))(t)
	_, _ = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: str("devs")})
	want := []iamtest.Call{
		{Account: acctA, Action: "CreateUser", Params: map[string]string{"UserName": "carol"}},
		{Account: acctA, Action: "AddUserToGroup", Params: map[string]string{"UserName": "carol", "GroupName": "devs"}},
		{Account: acctA, Action: "DeleteGroup", Params: map[string]string{"GroupName": "devs"}, Error: "DeleteConflict"},
	}
	if diff := cmp.Diff(want, s.Writes()); diff != "" {
		t.Errorf("Writes (-want +got):\n%s", diff)
	}
	wantCalls := map[string]map[string]int{acctA: {
		"ListUsers": 1, "GetUser": 1, "GetAccountAuthorizationDetails": 1, "CreateUser": 1, "AddUserToGroup": 1, "DeleteGroup": 1,
	}}
	if diff := cmp.Diff(wantCalls, s.Calls()); diff != "" {
		t.Errorf("Calls (-want +got):\n%s", diff)
	}
	if got := s.TotalCalls(acctA); got != 6 {
		t.Errorf("TotalCalls = %d, want 6", got)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 || len(s.Writes()) != 0 || s.CallCount(acctA, "ListUsers") != 0 {
		t.Error("ResetCalls left counts behind")
	}
}

func TestSnapshotProvesReadsChangeNothing(t *testing.T) {
	t.Parallel()
	s, _, _ := bigAccount(t)
	before := s.Account(acctA).Snapshot()
	c := iam.NewFromConfig(s.AWSConfig(acctA))
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{})
	for p.HasMorePages() {
		must(p.NextPage(ctx))(t)
	}
	must(c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))(t)
	if diff := cmp.Diff(before, s.Account(acctA).Snapshot()); diff != "" {
		t.Errorf("reads changed the account (-before +after):\n%s", diff)
	}
	must(c.UntagUser(ctx, &iam.UntagUserInput{UserName: str("user03"), TagKeys: []string{"a"}}))(t)
	if diff := cmp.Diff(before, s.Account(acctA).Snapshot()); diff == "" {
		t.Error("Snapshot did not see an UntagUser")
	}
}

func TestSeedingAndReadBack(t *testing.T) {
	t.Parallel()
	created := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	a := s.Account(acctA)
	a.PutGroup(iamtest.Group{Name: "devs", Path: "/teams/"})
	got := a.PutUser(iamtest.User{Name: "alice", Path: "/people/", CreateDate: created, Groups: []string{"DEVS"}, AccessKeys: make([]iamtest.AccessKey, 1)})
	if got.ARN != "arn:aws:iam::111122223333:user/people/alice" || got.AccessKeys[0].Status != "Active" || !strings.HasPrefix(got.AccessKeys[0].ID, "AKIA") {
		t.Errorf("PutUser = %+v", got)
	}
	if diff := cmp.Diff([]string{"devs"}, got.Groups); diff != "" {
		t.Errorf("seeded groups use the group's own name (-want +got):\n%s", diff)
	}
	// Read-back copies are deep: changing them does not change the account.
	got.Groups[0] = "mutated"
	u, _ := a.User("alice")
	u.AccessKeys[0].Status = "mutated"
	again, _ := a.User("ALICE")
	if again.Groups[0] != "devs" || again.AccessKeys[0].Status != "Active" {
		t.Error("mutating a read-back copy changed the account")
	}
	g, _ := a.Group("devs")
	if diff := cmp.Diff([]string{"alice"}, g.Members); diff != "" {
		t.Errorf("group members (-want +got):\n%s", diff)
	}
	out := must(iam.NewFromConfig(s.AWSConfig(acctA)).GetUser(ctx, &iam.GetUserInput{UserName: str("alice")}))(t)
	if !aws.ToTime(out.User.CreateDate).Equal(created) {
		t.Errorf("seeded CreateDate = %v, want %v", out.User.CreateDate, created)
	}
	a.DeleteUser("alice")
	if g, _ := a.Group("devs"); len(g.Members) != 0 {
		t.Errorf("out-of-band DeleteUser left group members %v", g.Members)
	}
}

func TestTenThousandUsers(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("seeds 10,000 users")
	}
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	a := s.Account(acctA)
	a.PutGroup(iamtest.Group{Name: "everyone"})
	for i := range 10000 {
		a.PutUser(iamtest.User{Name: fmt.Sprintf("user%05d", i), Groups: []string{"everyone"}, AccessKeys: make([]iamtest.AccessKey, 1), InlinePolicies: map[string]string{"p": allowAll}})
	}
	c := iam.NewFromConfig(s.AWSConfig(acctA))
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{types.EntityTypeUser}, MaxItems: aws.Int32(1000)})
	n := 0
	for p.HasMorePages() {
		n += len(must(p.NextPage(ctx))(t).UserDetailList)
	}
	if n != 10000 {
		t.Errorf("GetAccountAuthorizationDetails returned %d users, want 10000", n)
	}
	if got := s.CallCount(acctA, "GetAccountAuthorizationDetails"); got != 10 {
		t.Errorf("took %d pages, want 10", got)
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	env := s.Env(acctB)
	creds := s.Credentials(acctB)
	want := map[string]string{
		"AWS_ENDPOINT_URL":      s.URL,
		"AWS_ACCESS_KEY_ID":     creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": creds.SecretAccessKey,
		"AWS_REGION":            "us-east-1",
	}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("Env (-want +got):\n%s", diff)
	}
	// Those credentials act on account B.
	must(iam.NewFromConfig(s.AWSConfig(acctB)).CreateUser(ctx, &iam.CreateUserInput{UserName: str("b-user")}))(t)
	if _, ok := s.Account(acctB).User("b-user"); !ok {
		t.Error("user not created in account B")
	}
}

// TestEveryActionIsImplemented guards the list of actions the product may
// call: none of them may answer InvalidAction.
func TestEveryActionIsImplemented(t *testing.T) {
	t.Parallel()
	actions := strings.Fields(`CreateUser GetUser UpdateUser DeleteUser ListUsers TagUser UntagUser ListUserTags
		CreateGroup GetGroup UpdateGroup DeleteGroup ListGroups AddUserToGroup RemoveUserFromGroup ListGroupsForUser
		AttachUserPolicy DetachUserPolicy ListAttachedUserPolicies AttachGroupPolicy DetachGroupPolicy ListAttachedGroupPolicies
		PutUserPolicy GetUserPolicy DeleteUserPolicy ListUserPolicies PutGroupPolicy GetGroupPolicy DeleteGroupPolicy ListGroupPolicies
		PutUserPermissionsBoundary DeleteUserPermissionsBoundary CreateLoginProfile GetLoginProfile UpdateLoginProfile DeleteLoginProfile
		CreateAccessKey ListAccessKeys UpdateAccessKey DeleteAccessKey GetAccessKeyLastUsed ListMFADevices CreateVirtualMFADevice
		EnableMFADevice DeactivateMFADevice DeleteVirtualMFADevice ListSSHPublicKeys UploadSSHPublicKey DeleteSSHPublicKey
		ListSigningCertificates UploadSigningCertificate DeleteSigningCertificate ListServiceSpecificCredentials
		CreateServiceSpecificCredential DeleteServiceSpecificCredential GetAccountAuthorizationDetails GenerateCredentialReport
		GetCredentialReport GetAccountPasswordPolicy UpdateAccountPasswordPolicy CreatePolicy GetPolicy GetPolicyVersion ListPolicies
		AssumeRole GetCallerIdentity`)
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	for _, action := range actions {
		status, body := post(t, s, acctA, url.Values{"Action": {action}, "Version": {"2010-05-08"}})
		if strings.Contains(body, "<Code>InvalidAction</Code>") {
			t.Errorf("%s is not implemented (%d)", action, status)
		}
	}
}

func TestRenamesKeepRelationships(t *testing.T) {
	t.Parallel()
	s, c := seeded(t)
	must(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: str("bob"), NewUserName: str("robert")}))(t)
	must(c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: str("devs"), NewGroupName: str("engineers"), NewPath: str("/eng/")}))(t)
	members := userNames(must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: str("engineers")}))(t).Users)
	if diff := cmp.Diff([]string{"robert"}, members); diff != "" {
		t.Errorf("members after renames (-want +got):\n%s", diff)
	}
	groups := must(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: str("robert")}))(t).Groups
	if len(groups) != 1 || aws.ToString(groups[0].Arn) != "arn:aws:iam::111122223333:group/eng/engineers" {
		t.Errorf("groups after renames = %+v", groups)
	}
	_, err := c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: str("robert"), NewUserName: str("ALICE")})
	if code, _ := errCode(err); code != "EntityAlreadyExists" {
		t.Errorf("renaming onto an existing user (other case) = %s, want EntityAlreadyExists", code)
	}
	if _, ok := s.Account(acctA).User("bob"); ok {
		t.Error("old name still resolves")
	}
}

func TestPutUserReplacesInPlace(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	a := s.Account(acctA)
	a.PutGroup(iamtest.Group{Name: "old"})
	a.PutGroup(iamtest.Group{Name: "new"})
	first := a.PutUser(iamtest.User{Name: "alice", Groups: []string{"old"}, MFADevices: make([]iamtest.MFADevice, 1)})
	second := a.PutUser(iamtest.User{Name: "alice", Groups: []string{"new"}})
	if first.ID != second.ID || !first.CreateDate.Equal(second.CreateDate) {
		t.Errorf("replaced user changed identity: %s %v → %s %v", first.ID, first.CreateDate, second.ID, second.CreateDate)
	}
	snap := a.Snapshot()
	var members []string
	for _, g := range snap.Groups {
		members = append(members, g.Name+"="+strings.Join(g.Members, ","))
	}
	if diff := cmp.Diff([]string{"new=alice", "old="}, members); diff != "" {
		t.Errorf("memberships after replacement (-want +got):\n%s", diff)
	}
	if len(snap.VirtualMFADevices) != 0 {
		t.Errorf("replaced user's MFA device still exists: %+v", snap.VirtualMFADevices)
	}
}

// TestNoSpuriousRetries pages large responses many times: every call must
// be a page, with no retry caused by the transport (see AWSConfig).
func TestNoSpuriousRetries(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	a := s.Account(iamtest.DefaultAccountID)
	for i := range 5000 {
		a.PutUser(iamtest.User{Name: fmt.Sprintf("user%05d", i)})
	}
	c := iam.NewFromConfig(s.AWSConfig(iamtest.DefaultAccountID))
	const rounds = 20
	for range rounds {
		p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(1000)})
		for p.HasMorePages() {
			must(p.NextPage(ctx))(t)
		}
	}
	if got, want := s.CallCount(iamtest.DefaultAccountID, "ListUsers"), rounds*5; got != want {
		t.Errorf("ListUsers called %d times for %d pages", got, want)
	}
}

// TestAmbientCredentialsPerAccount: two accounts whose IDs differ only in
// their first digits each act as themselves with their own credentials.
func TestAmbientCredentialsPerAccount(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	ids := []string{"111222333444", "999222333444"}
	for _, id := range ids {
		s.Account(id)
	}
	for _, id := range ids {
		out, err := sts.NewFromConfig(s.AWSConfig(id)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("GetCallerIdentity as %s: %v", id, err)
		}
		if got := aws.ToString(out.Account); got != id {
			t.Errorf("the credentials of account %s act as account %s", id, got)
		}
	}
}
