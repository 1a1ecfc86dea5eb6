package awsiam

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// Connector is how the front ends (the CLI and the Action) reach AWS: the
// SDK configuration loaded once for a run (credentials, endpoint, retries),
// from which it opens the source that reads each environment's live IAM and
// the writers that change it.
type Connector struct {
	base aws.Config
}

// NewConnector loads the SDK configuration from getenv, with conc bounding
// the calls in flight across every account of the run (see LoadConfigWith;
// zero fields mean the defaults).
func NewConnector(ctx context.Context, getenv func(string) string, conc Concurrency) (*Connector, error) {
	cfg, err := LoadConfigWith(ctx, getenv, conc)
	if err != nil {
		return nil, err
	}
	return &Connector{base: cfg}, nil
}

// Organization lists the AWS Organization with the run's own credentials
// (the management account's or a delegated administrator's), for roster
// init; see ReadOrganization.
func (c *Connector) Organization(ctx context.Context) ([]OrgAccount, error) {
	return ReadOrganization(ctx, c.base)
}

// Source reads live IAM with the role purpose calls for.
func (c *Connector) Source(purpose Purpose) *Source {
	return &Source{Base: c.base, Purpose: purpose}
}

// Writers opens each environment's writer with its apply role (role_arn).
func (c *Connector) Writers() func(context.Context, *manifest.Environment) (apply.Writer, error) {
	return Writers(c.base, WriterOptions{})
}

// Source reads live IAM through the AWS SDK, assuming the environment's
// role for Purpose. It is the engine's source of live state outside tests
// and snapshots.
type Source struct {
	Base    aws.Config
	Purpose Purpose
	Options Options
}

// Read reads env's live IAM; needs says which per-user details to read.
func (s *Source) Read(ctx context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (*state.Account, error) {
	acct, err := Connect(ctx, s.Base, env, s.Purpose)
	if err != nil {
		return nil, err
	}
	return s.read(ctx, acct, env, needs)
}

func (s *Source) read(ctx context.Context, acct *Account, env *manifest.Environment, needs func(*state.User) state.Details) (*state.Account, error) {
	live, err := NewReader(acct, s.Options).Read(ctx, needs)
	if err != nil {
		return nil, fmt.Errorf("environment %s: read IAM: %w", acct.Env, err)
	}
	if live.Secrets, err = ReadSecrets(ctx, acct, env); err != nil {
		return nil, err
	}
	return live, nil
}

// ReadWithReport reads live IAM and the credential report in one session
// (one AssumeRole). An error reading the report is returned apart, as
// repErr: drift goes on without it.
func (s *Source) ReadWithReport(ctx context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (live *state.Account, report *state.CredentialReport, repErr, err error) {
	acct, err := Connect(ctx, s.Base, env, s.Purpose)
	if err != nil {
		return nil, nil, nil, err
	}
	report, repErr = ReadCredentialReport(ctx, acct, ReportOptions{})
	if live, err = s.read(ctx, acct, env, withReportKeys(needs, report)); err != nil {
		return nil, nil, nil, err
	}
	return live, report, repErr, nil
}

// withReportKeys adds the access keys of every user the credential report
// shows with a key to what needs asks for: the report numbers keys
// (1, 2) without naming them, and findings name a key by its ID, as plans
// do. It costs one ListAccessKeys per such user.
func withReportKeys(needs func(*state.User) state.Details, report *state.CredentialReport) func(*state.User) state.Details {
	if report == nil {
		return needs
	}
	keyed := make(map[string]bool)
	for _, row := range report.Users {
		if len(row.AccessKeys) > 0 {
			keyed[row.User] = true
		}
	}
	return func(u *state.User) state.Details {
		var d state.Details
		if needs != nil {
			d = needs(u)
		}
		if keyed[u.Name] {
			d |= state.AccessKeys
		}
		return d
	}
}

// CredentialReport reads env's credential report, assuming the role for
// s.Purpose (which must allow CredentialReportPermissions: the drift role
// does).
func (s *Source) CredentialReport(ctx context.Context, env *manifest.Environment) (*state.CredentialReport, error) {
	acct, err := Connect(ctx, s.Base, env, s.Purpose)
	if err != nil {
		return nil, err
	}
	return ReadCredentialReport(ctx, acct, ReportOptions{})
}

// Writers opens writers through the AWS SDK: a session with the
// environment's role_arn (ForApply) and a Writer on it.
func Writers(base aws.Config, opts WriterOptions) func(context.Context, *manifest.Environment) (apply.Writer, error) {
	return func(ctx context.Context, env *manifest.Environment) (apply.Writer, error) {
		acct, err := Connect(ctx, base, env, ForApply)
		if err != nil {
			return nil, err
		}
		return NewWriter(acct, opts), nil
	}
}
