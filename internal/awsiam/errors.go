package awsiam

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
)

// ErrNoCredentials is matched (errors.Is) by every error caused by missing
// or rejected base credentials.
var ErrNoCredentials = errors.New("no AWS credentials: set AWS_PROFILE / run aws sso login / configure OIDC in the workflow")

// CredentialsError says that roster found no usable AWS credentials to start
// from (before assuming any role). It matches ErrNoCredentials.
type CredentialsError struct {
	Env string
	// Code is the AWS error code when AWS rejected the credentials (for
	// example ExpiredToken); empty when none were found at all.
	Code string
	Err  error
}

// Error says what failed and what to do about it.
func (e *CredentialsError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%sAWS rejected the credentials (%s): refresh them (aws sso login, or check the workflow's OIDC step)", envPrefix(e.Env), e.Code)
	}
	if e.Err == nil || strings.Contains(e.Err.Error(), "EC2 IMDS") || strings.Contains(e.Err.Error(), "ec2imds") {
		// The chain ended at instance metadata: the SDK's own error chain
		// says nothing more than "none found".
		return fmt.Sprintf("%s%v", envPrefix(e.Env), ErrNoCredentials)
	}
	return fmt.Sprintf("%s%v (%v)", envPrefix(e.Env), ErrNoCredentials, e.Err)
}

// envPrefix starts a message about an environment; "" when the error is
// about no environment (the Organization, say).
func envPrefix(env string) string {
	if env == "" {
		return ""
	}
	return "environment " + env + ": "
}

// Unwrap returns the cause.
func (e *CredentialsError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNoCredentials) true.
func (e *CredentialsError) Is(target error) bool { return target == ErrNoCredentials }

// AccessDeniedError is AWS refusing a call. Action is the permission that is
// missing (for example "iam:GetLoginProfile"), taken from AWS's message or,
// failing that, from the operation that failed.
type AccessDeniedError struct {
	Env string
	// Role is the role roster acted as; empty for the base credentials.
	Role string
	// Action is the missing permission, "service:Operation".
	Action string
	// AssumeRole is set when the refused call was sts:AssumeRole itself:
	// the fix is then in the role's trust policy, not its permissions.
	AssumeRole bool
	// Principal is who was refused, when AWS's message says so.
	Principal string
	Err       error
}

// Error says what failed and what to do about it.
func (e *AccessDeniedError) Error() string {
	if e.AssumeRole {
		who := "the caller"
		if e.Principal != "" {
			who = e.Principal
		}
		return fmt.Sprintf("environment %s: cannot assume role %s: access denied for %s; allow it in the role's trust policy (sts:AssumeRole)", e.Env, e.Role, who)
	}
	if e.Role == "" {
		return fmt.Sprintf("environment %s: the base credentials are not allowed to call %s; grant %s to them or set role_arn", e.Env, e.Action, e.Action)
	}
	return fmt.Sprintf("environment %s: role %s is not allowed to call %s; grant %s to it", e.Env, e.Role, e.Action, e.Action)
}

// Unwrap returns the AWS error.
func (e *AccessDeniedError) Unwrap() error { return e.Err }

// AccountMismatchError says that the credentials (after assuming the role)
// belong to another account than environment.yaml names. Nothing is read or
// written in that account.
type AccountMismatchError struct {
	Env  string
	Role string
	// Got is the account sts:GetCallerIdentity returned; Want is
	// environment.yaml's account_id.
	Got, Want string
}

// Error says what failed and what to do about it.
func (e *AccountMismatchError) Error() string {
	src := "the base credentials"
	if e.Role != "" {
		src = "role " + e.Role
	}
	return fmt.Sprintf("environment %s: %s resolved to account %s, but environment.yaml says %s; fix account_id or role_arn", e.Env, src, e.Got, e.Want)
}

// EndpointError says that an AWS endpoint could not be reached at all
// (connection refused, DNS failure, timeout).
type EndpointError struct {
	Env string
	// Endpoint is the scheme and host that failed, for example
	// "https://iam.amazonaws.com".
	Endpoint string
	Err      error
}

// Error says what failed and what to do about it.
func (e *EndpointError) Error() string {
	return fmt.Sprintf("%scannot reach AWS endpoint %s (%s); check network access and AWS_ENDPOINT_URL*", envPrefix(e.Env), e.Endpoint, networkReason(e.Err))
}

// Unwrap returns the network error.
func (e *EndpointError) Unwrap() error { return e.Err }

// EnvError is any other failure, wrapped so that it names the environment.
type EnvError struct {
	Env string
	Err error
}

// Error names the environment, then the cause: for an AWS error, the
// operation, AWS's error code and message, and what to do, without the
// SDK's request IDs and wrapping.
func (e *EnvError) Error() string {
	return envPrefix(e.Env) + summarizeAPIError(e.Err)
}

// summarizeAPIError replaces the SDK's text of an AWS error inside err's
// message (operation error ..., https response error StatusCode ...,
// RequestID ..., api error ...) with which call failed, AWS's error code
// and message, and what to do. Context wrapped around it stays.
func summarizeAPIError(err error) string {
	var (
		api smithy.APIError
		op  *smithy.OperationError
	)
	if !errors.As(err, &api) || !errors.As(err, &op) {
		return err.Error()
	}
	return strings.Replace(err.Error(), op.Error(), summarizeCall(op, api), 1)
}

func summarizeCall(op *smithy.OperationError, api smithy.APIError) string {
	call := strings.ToLower(strings.ReplaceAll(op.Service(), " ", "")) + ":" + op.Operation()
	code, msg := api.ErrorCode(), api.ErrorMessage()
	switch {
	case throttlingCodes[code]:
		return fmt.Sprintf("%s failed with %s (%s) after every retry; run the command again in a few minutes", call, code, msg)
	case api.ErrorFault() == smithy.FaultServer || serverCodes[code]:
		return fmt.Sprintf("%s failed with %s (%s), an error on AWS's side; run the command again", call, code, msg)
	}
	return fmt.Sprintf("%s failed with %s: %s", call, code, msg)
}

var (
	throttlingCodes = map[string]bool{"Throttling": true, "ThrottlingException": true, "TooManyRequestsException": true, "RequestLimitExceeded": true}
	serverCodes     = map[string]bool{"ServiceFailure": true, "InternalFailure": true, "InternalError": true, "ServiceUnavailable": true, "ServiceException": true}
)

// Unwrap returns the cause.
func (e *EnvError) Unwrap() error { return e.Err }

var notAuthorized = regexp.MustCompile(`(?:User|Principal): (\S+) is not authorized to perform: ([A-Za-z0-9-]+:[A-Za-z0-9*]+)`)

// credentialCodes are the AWS error codes for credentials AWS does not accept.
var credentialCodes = map[string]bool{
	"ExpiredToken":                true,
	"ExpiredTokenException":       true,
	"InvalidClientTokenId":        true,
	"SignatureDoesNotMatch":       true,
	"UnrecognizedClientException": true,
	"IncompleteSignature":         true,
}

// classify turns an SDK error into one of the typed errors above. role is
// the role in use (empty for base credentials). It is safe to call on an
// already classified error.
func classify(env, role string, err error) error {
	if err == nil {
		return nil
	}
	var (
		cred *CredentialsError
		ad   *AccessDeniedError
		am   *AccountMismatchError
		ep   *EndpointError
		ee   *EnvError
	)
	if errors.As(err, &cred) || errors.As(err, &ad) || errors.As(err, &am) || errors.As(err, &ep) || errors.As(err, &ee) {
		return err
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		switch {
		case isAccessDenied(code):
			e := &AccessDeniedError{Env: env, Role: role, Err: err}
			if m := notAuthorized.FindStringSubmatch(api.ErrorMessage()); m != nil {
				e.Principal, e.Action = m[1], m[2]
			}
			if e.Action == "" {
				var op *smithy.OperationError
				if errors.As(err, &op) {
					// The service ID names the IAM prefix without spaces:
					// "Secrets Manager" is secretsmanager.
					e.Action = strings.ToLower(strings.ReplaceAll(op.Service(), " ", "")) + ":" + op.Operation()
				}
			}
			e.AssumeRole = strings.EqualFold(e.Action, "sts:AssumeRole")
			return e
		case credentialCodes[code]:
			return &CredentialsError{Env: env, Code: code, Err: err}
		}
		return &EnvError{Env: env, Err: err}
	}
	if ep := endpointError(env, err); ep != nil {
		return ep
	}
	return &EnvError{Env: env, Err: err}
}

func isAccessDenied(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess":
		return true
	}
	return false
}

// endpointError recognizes "the endpoint is not there" failures: refused
// connections, unknown hosts and dial timeouts.
func endpointError(env string, err error) *EndpointError {
	var (
		dns *net.DNSError
		op  *net.OpError
	)
	refused := errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
	isDNS := errors.As(err, &dns)
	dial := errors.As(err, &op) && op.Op == "dial"
	if !refused && !isDNS && !dial {
		return nil
	}
	endpoint := ""
	var u *url.Error
	if errors.As(err, &u) {
		if p, perr := url.Parse(u.URL); perr == nil {
			endpoint = p.Scheme + "://" + p.Host
		}
	}
	if endpoint == "" && isDNS {
		endpoint = dns.Name
	}
	if endpoint == "" && op != nil && op.Addr != nil {
		endpoint = op.Addr.String()
	}
	return &EndpointError{Env: env, Endpoint: endpoint, Err: err}
}

func networkReason(err error) string {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "no such host"
		}
		return "DNS lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "network unreachable"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Timeout() {
		return "connection timed out"
	}
	return "connection failed"
}
