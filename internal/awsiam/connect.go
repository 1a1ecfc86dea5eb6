package awsiam

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/roster-dev/roster/internal/manifest"
)

// Purpose says what a session is for, which decides the role it assumes.
type Purpose int

// Purposes.
const (
	// ForPlan assumes plan_role_arn, falling back to role_arn: pull request
	// plans should run with a read-only role.
	ForPlan Purpose = iota
	// ForApply assumes role_arn.
	ForApply
	// ForDrift assumes plan_role_arn, like plan: the scheduled drift job
	// only reads, so it never holds write credentials; the session name
	// tells plan and drift apart in CloudTrail.
	ForDrift
)

// purposes says, for each purpose, its name in session names (plan, apply,
// drift) and whether it only reads, so that it assumes plan_role_arn.
var purposes = [...]struct {
	name     string
	readOnly bool
}{
	ForPlan:  {name: "plan", readOnly: true},
	ForApply: {name: "apply"},
	ForDrift: {name: "drift", readOnly: true},
}

// String is the purpose as it appears in session names: plan, apply, drift.
func (p Purpose) String() string {
	if !p.known() {
		return fmt.Sprintf("Purpose(%d)", int(p))
	}
	return purposes[p].name
}

// Role returns the role ARN the purpose assumes in env, or "" to use the
// base credentials as they are: plan_role_arn (falling back to role_arn)
// for a purpose that only reads, role_arn otherwise.
func (p Purpose) Role(env *manifest.Environment) string {
	if p.known() && purposes[p].readOnly {
		return env.PlanRole()
	}
	return env.RoleARN
}

func (p Purpose) known() bool { return p >= 0 && int(p) < len(purposes) }

// Account is an authenticated session in one environment's AWS account,
// verified to be the account environment.yaml names.
type Account struct {
	// Env is the environment's name; every error names it.
	Env string
	// ID is the 12-digit AWS account ID.
	ID string
	// Role is the assumed role's ARN, or "" when the base credentials are
	// used directly.
	Role string
	// CallerARN is the identity sts:GetCallerIdentity returned.
	CallerARN string

	cfg aws.Config
	iam *iam.Client
}

// Config returns the session's AWS configuration (assumed-role credentials,
// retries, endpoints), for clients beyond the readers.
func (a *Account) Config() aws.Config { return a.cfg.Copy() }

// Connect opens a session in env's account: it assumes the role that
// purpose calls for (credentials are cached and refreshed), and refuses to go
// on when sts:GetCallerIdentity reports another account than env.AccountID.
// STS is called in env.Region (the loader defaults it to the partition's
// region; us-east-1 when it is empty).
func Connect(ctx context.Context, base aws.Config, env *manifest.Environment, purpose Purpose) (*Account, error) {
	cfg := base.Copy()
	cfg.Region = env.Region
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.Credentials == nil {
		return nil, &CredentialsError{Env: env.Name, Err: errors.New("no credential provider configured")}
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if c := classify(env.Name, "", err); isAPIClassified(c) {
			return nil, c
		}
		return nil, &CredentialsError{Env: env.Name, Err: err}
	}

	role := purpose.Role(env)
	if role != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), role, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = SessionName(purpose, env.Name)
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			err = classify(env.Name, role, err)
			var ad *AccessDeniedError
			if errors.As(err, &ad) {
				// The only call made here is sts:AssumeRole.
				ad.AssumeRole = true
				ad.Action = "sts:AssumeRole"
			}
			return nil, err
		}
	}

	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, classify(env.Name, role, err)
	}
	got := aws.ToString(id.Account)
	if got != env.AccountID {
		return nil, &AccountMismatchError{Env: env.Name, Role: role, Got: got, Want: env.AccountID}
	}
	return &Account{
		Env:       env.Name,
		ID:        got,
		Role:      role,
		CallerARN: aws.ToString(id.Arn),
		cfg:       cfg,
		iam:       iam.NewFromConfig(cfg),
	}, nil
}

// isAPIClassified reports whether err is AWS refusing the base credentials
// (as opposed to credentials that could not be found at all; the last link
// of the SDK's chain, EC2 instance metadata, fails with a network error then).
func isAPIClassified(err error) bool {
	var (
		ad   *AccessDeniedError
		cred *CredentialsError
	)
	return errors.As(err, &ad) || errors.As(err, &cred)
}

// SessionName is the role session name roster uses, visible in CloudTrail:
// roster-<purpose>-<env>, cut to STS's 64-character limit.
func SessionName(p Purpose, env string) string {
	s := "roster-" + p.String() + "-" + env
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}
