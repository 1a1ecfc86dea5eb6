package iamtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

// assumed returns an IAM client acting through an assumed role, the way the
// product's sessions are built: stscreds on top of the ambient config.
func assumed(s *iamtest.Server, ambient, roleARN string) (*iam.Client, *sts.Client) {
	cfg := s.AWSConfig(ambient)
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "roster"
	}))
	return iam.NewFromConfig(cfg, noRetry), sts.NewFromConfig(cfg)
}

func TestAssumeRoleActsOnTheRoleAccount(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.Account(acctB).AddRole("roster-apply")
	s.Account(acctA).PutUser(iamtest.User{Name: "only-in-a"})

	c, stsc := assumed(s, acctA, "arn:aws:iam::444455556666:role/roster-apply")
	id := must(stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if diff := cmp.Diff("444455556666 arn:aws:sts::444455556666:assumed-role/roster-apply/roster", aws.ToString(id.Account)+" "+aws.ToString(id.Arn)); diff != "" {
		t.Errorf("GetCallerIdentity (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(aws.ToString(id.UserId), "AROA") || !strings.HasSuffix(aws.ToString(id.UserId), ":roster") {
		t.Errorf("assumed-role UserId = %q, want AROA…:roster", aws.ToString(id.UserId))
	}

	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("only-in-b")}))(t)
	users := userNames(must(c.ListUsers(ctx, &iam.ListUsersInput{}))(t).Users)
	if diff := cmp.Diff([]string{"only-in-b"}, users); diff != "" {
		t.Errorf("users seen through the role (-want +got):\n%s", diff)
	}
	if _, ok := s.Account(acctA).User("only-in-b"); ok {
		t.Error("a write through a role in account B landed in account A")
	}
	if s.CallCount(acctB, "CreateUser") != 1 || s.CallCount(acctA, "CreateUser") != 0 {
		t.Errorf("CreateUser counted as A=%d B=%d, want A=0 B=1", s.CallCount(acctA, "CreateUser"), s.CallCount(acctB, "CreateUser"))
	}
	if s.CallCount(acctA, "AssumeRole") != 1 {
		t.Errorf("AssumeRole counted %d times on the caller's account, want 1 (credentials are cached)", s.CallCount(acctA, "AssumeRole"))
	}

	ambient := must(sts.NewFromConfig(s.AWSConfig(acctA)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if got := aws.ToString(ambient.Arn); got != "arn:aws:iam::111122223333:user/iamtest" {
		t.Errorf("ambient identity = %q", got)
	}
}

func TestAssumeRoleMissingRoleIsAccessDenied(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.Account(acctB)
	for _, arn := range []string{"arn:aws:iam::444455556666:role/nope", "arn:aws:iam::999999999999:role/nope"} {
		_, err := sts.NewFromConfig(s.AWSConfig(acctA)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: str(arn), RoleSessionName: str("s1")})
		code, status := errCode(err)
		if code != "AccessDenied" || status != 403 {
			t.Errorf("AssumeRole(%s) = %s %d, want AccessDenied 403", arn, code, status)
		}
		if err == nil || !strings.Contains(err.Error(), "is not authorized to perform: sts:AssumeRole on resource: "+arn) {
			t.Errorf("AssumeRole error message = %v", err)
		}
	}
}

func TestRoleAllowList(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.Account(acctA).AddRole("roster-plan", "iam:List*", "iam:Get*", "GenerateCredentialReport")
	s.Account(acctA).PutUser(iamtest.User{Name: "alice"})
	c, _ := assumed(s, acctA, "arn:aws:iam::111122223333:role/roster-plan")

	must(c.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	must(c.GetUser(ctx, &iam.GetUserInput{UserName: str("alice")}))(t)
	must(c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))(t)
	_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: str("alice")})
	code, status := errCode(err)
	if code != "AccessDenied" || status != 403 {
		t.Fatalf("DeleteUser through a read-only role = %s %d, want AccessDenied 403", code, status)
	}
	want := "User: arn:aws:sts::111122223333:assumed-role/roster-plan/roster is not authorized to perform: iam:DeleteUser on resource: arn:aws:iam::111122223333:user/alice"
	var ae interface{ ErrorMessage() string }
	if !errors.As(err, &ae) || ae.ErrorMessage() != want {
		t.Errorf("AccessDenied message = %v\nwant %s", err, want)
	}
	if _, ok := s.Account(acctA).User("alice"); !ok {
		t.Error("denied DeleteUser deleted the user")
	}
}

func TestUnknownCredentialsAreRejected(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	cfg := s.AWSConfig(iamtest.DefaultAccountID)
	cfg.Credentials = aws.AnonymousCredentials{}
	_, err := iam.NewFromConfig(cfg, noRetry).ListUsers(ctx, &iam.ListUsersInput{})
	if code, status := errCode(err); status != 403 {
		t.Errorf("unsigned request = %s %d, want 403", code, status)
	}
	cfg = s.AWSConfig(iamtest.DefaultAccountID)
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "x"}, nil
	})
	_, err = iam.NewFromConfig(cfg, noRetry).ListUsers(ctx, &iam.ListUsersInput{})
	if code, status := errCode(err); code != "InvalidClientTokenId" || status != 403 {
		t.Errorf("unknown access key = %s %d, want InvalidClientTokenId 403", code, status)
	}
}
