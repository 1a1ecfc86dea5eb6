package iamtest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

// seeded returns a server whose account acctA holds a group "devs", a
// customer managed policy, and users alice (empty) and bob (in devs).
func seeded(t *testing.T) (*iamtest.Server, *iam.Client) {
	t.Helper()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	a := s.Account(acctA)
	a.CreatePolicy("arn:aws:iam::111122223333:policy/custom")
	a.PutGroup(iamtest.Group{Name: "devs"})
	a.PutUser(iamtest.User{Name: "alice"})
	a.PutUser(iamtest.User{Name: "bob", Groups: []string{"devs"}})
	c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
	return s, c
}

func TestErrorCodesAndStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		call       func(c *iam.Client) error
		wantCode   string
		wantStatus int
	}{
		{"GetUser missing", func(c *iam.Client) error {
			_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: str("nobody")})
			return err
		}, "NoSuchEntity", 404},
		{"CreateUser duplicate, other case", func(c *iam.Client) error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("ALICE")})
			return err
		}, "EntityAlreadyExists", 409},
		{"CreateUser invalid name", func(c *iam.Client) error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("bad name!")})
			return err
		}, "ValidationError", 400},
		{"CreateUser invalid path", func(c *iam.Client) error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("carol"), Path: str("people")})
			return err
		}, "ValidationError", 400},
		{"CreateUser missing boundary policy", func(c *iam.Client) error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("carol"), PermissionsBoundary: str("arn:aws:iam::111122223333:policy/nope")})
			return err
		}, "NoSuchEntity", 404},
		{"CreateGroup duplicate", func(c *iam.Client) error {
			_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: str("DEVS")})
			return err
		}, "EntityAlreadyExists", 409},
		{"GetGroup missing", func(c *iam.Client) error {
			_, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: str("nope")})
			return err
		}, "NoSuchEntity", 404},
		{"AttachUserPolicy missing customer policy", func(c *iam.Client) error {
			_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: str("alice"), PolicyArn: str("arn:aws:iam::111122223333:policy/nope")})
			return err
		}, "NoSuchEntity", 404},
		{"AttachUserPolicy malformed ARN", func(c *iam.Client) error {
			_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: str("alice"), PolicyArn: str("ReadOnlyAccess")})
			return err
		}, "InvalidInput", 400},
		{"TagUser reserved prefix", func(c *iam.Client) error {
			_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: str("alice"), Tags: []types.Tag{{Key: str("aws:team"), Value: str("x")}}})
			return err
		}, "InvalidInput", 400},
		{"DetachUserPolicy not attached", func(c *iam.Client) error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: str("alice"), PolicyArn: str("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		}, "NoSuchEntity", 404},
		{"PutUserPolicy not JSON", func(c *iam.Client) error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: str("alice"), PolicyName: str("p"), PolicyDocument: str("{not json")})
			return err
		}, "MalformedPolicyDocument", 400},
		{"PutGroupPolicy without statements", func(c *iam.Client) error {
			_, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: str("devs"), PolicyName: str("p"), PolicyDocument: str(`{"Version":"2012-10-17"}`)})
			return err
		}, "MalformedPolicyDocument", 400},
		{"GetUserPolicy missing", func(c *iam.Client) error {
			_, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: str("alice"), PolicyName: str("nope")})
			return err
		}, "NoSuchEntity", 404},
		{"GetLoginProfile missing", func(c *iam.Client) error {
			_, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: str("alice")})
			return err
		}, "NoSuchEntity", 404},
		{"RemoveUserFromGroup not a member", func(c *iam.Client) error {
			_, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: str("alice"), GroupName: str("devs")})
			return err
		}, "NoSuchEntity", 404},
		{"DeleteGroup with members", func(c *iam.Client) error {
			_, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: str("devs")})
			return err
		}, "DeleteConflict", 409},
		{"TagUser duplicate keys", func(c *iam.Client) error {
			_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: str("alice"), Tags: []types.Tag{{Key: str("a"), Value: str("1")}, {Key: str("A"), Value: str("2")}}})
			return err
		}, "InvalidInput", 400},
		{"ListUsers MaxItems too large", func(c *iam.Client) error {
			_, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: awsInt32(1001)})
			return err
		}, "ValidationError", 400},
		{"ListUsers forged marker", func(c *iam.Client) error {
			_, err := c.ListUsers(ctx, &iam.ListUsersInput{Marker: str("not-a-marker")})
			return err
		}, "ValidationError", 400},
		{"GetAccountPasswordPolicy unset", func(c *iam.Client) error {
			_, err := c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
			return err
		}, "NoSuchEntity", 404},
		{"GetCredentialReport never generated", func(c *iam.Client) error {
			_, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
			return err
		}, "ReportNotPresent", 410},
		{"CreatePolicy duplicate", func(c *iam.Client) error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: str("custom"), PolicyDocument: str(allowAll)})
			return err
		}, "EntityAlreadyExists", 409},
		{"GetPolicy missing", func(c *iam.Client) error {
			_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: str("arn:aws:iam::111122223333:policy/nope")})
			return err
		}, "NoSuchEntity", 404},
		{"GetPolicyVersion missing version", func(c *iam.Client) error {
			_, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: str("arn:aws:iam::111122223333:policy/custom"), VersionId: str("v9")})
			return err
		}, "NoSuchEntity", 404},
		{"CreateServiceSpecificCredential unsupported service", func(c *iam.Client) error {
			_, err := c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: str("alice"), ServiceName: str("s3.amazonaws.com")})
			return err
		}, "NotSupportedService", 404},
		{"UploadSigningCertificate not PEM", func(c *iam.Client) error {
			_, err := c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: str("alice"), CertificateBody: str("hello")})
			return err
		}, "MalformedCertificate", 400},
		{"UploadSSHPublicKey unknown encoding", func(c *iam.Client) error {
			_, err := c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: str("alice"), SSHPublicKeyBody: str("hello")})
			return err
		}, "UnrecognizedPublicKeyEncoding", 400},
		{"EnableMFADevice bad codes", func(c *iam.Client) error {
			_, err := c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: str("alice"), SerialNumber: str("arn:aws:iam::111122223333:mfa/x"), AuthenticationCode1: str("12"), AuthenticationCode2: str("34")})
			return err
		}, "InvalidAuthenticationCode", 403},
		{"EnableMFADevice missing device", func(c *iam.Client) error {
			_, err := c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: str("alice"), SerialNumber: str("arn:aws:iam::111122223333:mfa/x"), AuthenticationCode1: str("123456"), AuthenticationCode2: str("654321")})
			return err
		}, "NoSuchEntity", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := seeded(t)
			before := s.Account(acctA).Snapshot()
			code, status := errCode(tt.call(c))
			if diff := cmp.Diff(fmt.Sprint(tt.wantCode, " ", tt.wantStatus), fmt.Sprint(code, " ", status)); diff != "" {
				t.Errorf("error code and status (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, s.Account(acctA).Snapshot()); diff != "" {
				t.Errorf("a failed call changed the account (-before +after):\n%s", diff)
			}
		})
	}
}

func awsInt32(v int32) *int32 { return &v }

// TestTypedErrors checks that the SDK maps the fake's error codes to its
// modeled exception types, which is what callers branch on.
func TestTypedErrors(t *testing.T) {
	t.Parallel()
	s, c := seeded(t)
	_ = s
	_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: str("nobody")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) || !strings.Contains(nse.ErrorMessage(), "nobody") {
		t.Errorf("GetUser(nobody) = %v, want *types.NoSuchEntityException naming the user", err)
	}
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("alice")})
	var eae *types.EntityAlreadyExistsException
	if !errors.As(err, &eae) {
		t.Errorf("CreateUser(alice) = %v, want *types.EntityAlreadyExistsException", err)
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: str("bob")})
	var dce *types.DeleteConflictException
	if !errors.As(err, &dce) {
		t.Errorf("DeleteUser(bob) = %v, want *types.DeleteConflictException", err)
	}
	must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: str("alice")}))(t)
	must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: str("alice")}))(t)
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: str("alice")})
	var lee *types.LimitExceededException
	if !errors.As(err, &lee) {
		t.Errorf("third CreateAccessKey = %v, want *types.LimitExceededException", err)
	}
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: str("alice"), PolicyName: str("p"), PolicyDocument: str("nope")})
	var mpd *types.MalformedPolicyDocumentException
	if !errors.As(err, &mpd) {
		t.Errorf("PutUserPolicy(nope) = %v, want *types.MalformedPolicyDocumentException", err)
	}
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: str("alice"), Password: str("short")})
	var ppv *types.PasswordPolicyViolationException
	if !errors.As(err, &ppv) {
		t.Errorf("CreateLoginProfile(short) = %v, want *types.PasswordPolicyViolationException", err)
	}
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("x"), Tags: []types.Tag{{Key: str("k"), Value: str(strings.Repeat("v", 300))}}})
	var iie *types.InvalidInputException
	if !errors.As(err, &iie) {
		t.Errorf("CreateUser(long tag) = %v, want *types.InvalidInputException", err)
	}
}

func TestDeleteUserConflicts(t *testing.T) {
	t.Parallel()
	cert := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	tests := []struct {
		name string
		user iamtest.User
	}{
		{"login profile", iamtest.User{LoginProfile: &iamtest.LoginProfile{}}},
		{"access key", iamtest.User{AccessKeys: make([]iamtest.AccessKey, 1)}},
		{"MFA device", iamtest.User{MFADevices: make([]iamtest.MFADevice, 1)}},
		{"SSH public key", iamtest.User{SSHPublicKeys: []iamtest.SSHPublicKey{{Body: "ssh-rsa AAAA"}}}},
		{"signing certificate", iamtest.User{SigningCertificates: []iamtest.SigningCertificate{{Body: cert}}}},
		{"service-specific credential", iamtest.User{ServiceSpecificCredentials: make([]iamtest.ServiceSpecificCredential, 1)}},
		{"group membership", iamtest.User{Groups: []string{"devs"}}},
		{"attached managed policy", iamtest.User{ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
		{"inline policy", iamtest.User{InlinePolicies: map[string]string{"p": allowAll}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
			a := s.Account(acctA)
			a.PutGroup(iamtest.Group{Name: "devs"})
			u := tt.user
			u.Name = "victim"
			a.PutUser(u)
			c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
			_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: str("victim")})
			var dce *types.DeleteConflictException
			if !errors.As(err, &dce) {
				t.Fatalf("DeleteUser with a %s = %v, want DeleteConflict", tt.name, err)
			}
			if code, status := errCode(err); status != 409 {
				t.Errorf("DeleteConflict status = %d (%s), want 409", status, code)
			}
			if _, ok := a.User("victim"); !ok {
				t.Error("user was deleted despite the conflict")
			}
		})
	}

	t.Run("permissions boundary does not block", func(t *testing.T) {
		t.Parallel()
		s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
		s.Account(acctA).PutUser(iamtest.User{Name: "bounded", PermissionsBoundary: "arn:aws:iam::aws:policy/PowerUserAccess"})
		c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
		must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: str("bounded")}))(t)
	})
}

func TestDeleteGroupConflicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		group iamtest.Group
		users []iamtest.User
	}{
		{"member", iamtest.Group{Name: "g"}, []iamtest.User{{Name: "u", Groups: []string{"g"}}}},
		{"attached managed policy", iamtest.Group{Name: "g", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}, nil},
		{"inline policy", iamtest.Group{Name: "g", InlinePolicies: map[string]string{"p": allowAll}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
			a := s.Account(acctA)
			a.PutGroup(tt.group)
			for _, u := range tt.users {
				a.PutUser(u)
			}
			c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
			_, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: str("g")})
			var dce *types.DeleteConflictException
			if !errors.As(err, &dce) {
				t.Fatalf("DeleteGroup with a %s = %v, want DeleteConflict", tt.name, err)
			}
		})
	}
}

func TestQuotas(t *testing.T) {
	t.Parallel()
	s, c := seeded(t)
	a := s.Account(acctA)

	var policies []string
	for i := range 10 {
		policies = append(policies, fmt.Sprintf("arn:aws:iam::aws:policy/P%d", i))
	}
	a.PutUser(iamtest.User{Name: "full", ManagedPolicies: policies})
	_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: str("full"), PolicyArn: str("arn:aws:iam::aws:policy/One-too-many")})
	if code, status := errCode(err); code != "LimitExceeded" || status != 409 {
		t.Errorf("11th managed policy on a user: %s %d, want LimitExceeded 409", code, status)
	}
	// Attaching an already attached policy is not a new attachment.
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: str("full"), PolicyArn: str(policies[0])}))(t)

	a.PutGroup(iamtest.Group{Name: "fullgroup", ManagedPolicies: policies})
	_, err = c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: str("fullgroup"), PolicyArn: str("arn:aws:iam::aws:policy/One-too-many")})
	if code, _ := errCode(err); code != "LimitExceeded" {
		t.Errorf("11th managed policy on a group: %s, want LimitExceeded", code)
	}

	var groups []string
	for i := range 10 {
		g := fmt.Sprintf("g%d", i)
		a.PutGroup(iamtest.Group{Name: g})
		groups = append(groups, g)
	}
	a.PutUser(iamtest.User{Name: "joiner", Groups: groups})
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: str("joiner"), GroupName: str("devs")})
	if code, _ := errCode(err); code != "LimitExceeded" {
		t.Errorf("11th group for a user: %s, want LimitExceeded", code)
	}

	// 2,048 non-whitespace characters of inline policy per user; white
	// space does not count.
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 1900) + `"}]}`
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: str("alice"), PolicyName: str("big"), PolicyDocument: str(big)}))(t)
	spaced := strings.ReplaceAll(allowAll, ",", ",       ")
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: str("alice"), PolicyName: str("more"), PolicyDocument: str(spaced)})
	if code, _ := errCode(err); code != "LimitExceeded" {
		t.Errorf("inline policies over 2048 characters: %s, want LimitExceeded", code)
	}
	// Replacing the same policy with a smaller one is fine.
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: str("alice"), PolicyName: str("big"), PolicyDocument: str(spaced)}))(t)
	groupDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("g", 3000) + `"}]}`
	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: str("devs"), PolicyName: str("big"), PolicyDocument: str(groupDoc)}))(t)
	_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: str("devs"), PolicyName: str("big2"), PolicyDocument: str(groupDoc)})
	if code, _ := errCode(err); code != "LimitExceeded" {
		t.Errorf("group inline policies over 5120 characters: %s, want LimitExceeded", code)
	}

	var tags []types.Tag
	for i := range 50 {
		tags = append(tags, types.Tag{Key: str(fmt.Sprintf("k%d", i)), Value: str("v")})
	}
	must(c.TagUser(ctx, &iam.TagUserInput{UserName: str("alice"), Tags: tags}))(t)
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: str("alice"), Tags: []types.Tag{{Key: str("k50"), Value: str("v")}}})
	if code, _ := errCode(err); code != "LimitExceeded" {
		t.Errorf("51st tag: %s, want LimitExceeded", code)
	}
	// Overwriting an existing key does not add a tag.
	must(c.TagUser(ctx, &iam.TagUserInput{UserName: str("alice"), Tags: []types.Tag{{Key: str("K0"), Value: str("w")}}}))(t)
}
