package awsiam

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/aws/smithy-go"
)

// TestClassify turns SDK errors into the messages users read.
func TestClassify(t *testing.T) {
	t.Parallel()
	op := func(service, operation string, err error) error {
		return &smithy.OperationError{ServiceID: service, OperationName: operation, Err: err}
	}
	api := func(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }
	dial := func(rawURL string, err error) error {
		return &url.Error{Op: "Post", URL: rawURL, Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	const role = "arn:aws:iam::111122223333:role/roster-plan"
	tests := []struct {
		name string
		err  error
		// base: no role, the base credentials act.
		base bool
		want string
	}{
		{
			name: "permission named in the message",
			err: op("IAM", "GetAccountAuthorizationDetails", api("AccessDenied",
				"User: arn:aws:sts::111122223333:assumed-role/roster-plan/roster-plan-production is not authorized to perform: iam:GetAccountAuthorizationDetails on resource: * because no identity-based policy allows the iam:GetAccountAuthorizationDetails action")),
			want: "environment production: role " + role + " is not allowed to call iam:GetAccountAuthorizationDetails; grant iam:GetAccountAuthorizationDetails to it",
		},
		{
			name: "permission from the operation when the message has none",
			err:  op("IAM", "ListSSHPublicKeys", api("AccessDenied", "Access denied")),
			want: "environment production: role " + role + " is not allowed to call iam:ListSSHPublicKeys; grant iam:ListSSHPublicKeys to it",
		},
		{
			name: "assume role refused",
			err: op("STS", "AssumeRole", api("AccessDenied",
				"User: arn:aws:iam::999988887777:user/ci is not authorized to perform: sts:AssumeRole on resource: "+role)),
			want: "environment production: cannot assume role " + role + ": access denied for arn:aws:iam::999988887777:user/ci; allow it in the role's trust policy (sts:AssumeRole)",
		},
		{
			name: "base credentials refused",
			err:  op("STS", "AssumeRoleWithWebIdentity", api("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")),
			base: true,
			want: "environment production: the base credentials are not allowed to call sts:AssumeRoleWithWebIdentity; grant sts:AssumeRoleWithWebIdentity to them or set role_arn",
		},
		{
			name: "expired credentials",
			err:  op("STS", "GetCallerIdentity", api("ExpiredToken", "The security token included in the request is expired")),
			want: "environment production: AWS rejected the credentials (ExpiredToken): refresh them (aws sso login, or check the workflow's OIDC step)",
		},
		{
			name: "connection refused",
			err:  op("IAM", "GetAccountAuthorizationDetails", dial("https://iam.amazonaws.com/", os.NewSyscallError("connect", syscall.ECONNREFUSED))),
			want: "environment production: cannot reach AWS endpoint https://iam.amazonaws.com (connection refused); check network access and AWS_ENDPOINT_URL*",
		},
		{
			name: "unknown host",
			err:  op("STS", "GetCallerIdentity", dial("https://sts.example.invalid/", &net.DNSError{Err: "no such host", Name: "sts.example.invalid", IsNotFound: true})),
			want: "environment production: cannot reach AWS endpoint https://sts.example.invalid (no such host); check network access and AWS_ENDPOINT_URL*",
		},
		{
			name: "an error on AWS's side",
			err:  op("IAM", "GetUser", api("ServiceFailure", "boom")),
			want: "environment production: iam:GetUser failed with ServiceFailure (boom), an error on AWS's side; run the command again",
		},
		{
			name: "throttled past the retries",
			err:  op("IAM", "GetAccountAuthorizationDetails", api("Throttling", "Rate exceeded")),
			want: "environment production: iam:GetAccountAuthorizationDetails failed with Throttling (Rate exceeded) after every retry; run the command again in a few minutes",
		},
		{
			name: "other API errors: operation, code and AWS's message",
			err:  op("IAM", "GetUser", api("NoSuchEntity", "The user with name x cannot be found.")),
			want: "environment production: iam:GetUser failed with NoSuchEntity: The user with name x cannot be found.",
		},
		{
			name: "already classified",
			err:  fmt.Errorf("wrapped: %w", &AccountMismatchError{Env: "production", Got: "1", Want: "2"}),
			want: "wrapped: environment production: the base credentials resolved to account 1, but environment.yaml says 2; fix account_id or role_arn",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := role
			if tt.base {
				r = ""
			}
			got := classify("production", r, tt.err)
			if got.Error() != tt.want {
				t.Errorf("classify:\n got %s\nwant %s", got, tt.want)
			}
			if !errors.Is(got, tt.err) && !errors.Is(tt.err, got) {
				t.Errorf("classify lost the cause %v", tt.err)
			}
		})
	}
}

func TestCredentialsErrorIsErrNoCredentials(t *testing.T) {
	t.Parallel()
	err := classify("production", "", &smithy.OperationError{ServiceID: "STS", OperationName: "GetCallerIdentity",
		Err: &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}})
	if !errors.Is(err, ErrNoCredentials) {
		t.Errorf("errors.Is(%v, ErrNoCredentials) = false", err)
	}
}
