package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/hygiene"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// CredentialReportSource is a Source that can also read an environment's
// credential report, for sources other than AWSSource and SnapshotSource
// (which Drift knows).
type CredentialReportSource interface {
	Source
	CredentialReport(ctx context.Context, env *manifest.Environment) (*state.CredentialReport, error)
}

// Drift is the drift job: it plans every environment in envs against src
// (with the drift role when src is an AWSSource), turns each plan into a
// drift report, and adds the credential hygiene findings of the
// environment, from its credential report and live state. A credential
// report that cannot be read from AWS does not fail the job: the report
// says so in a note, and hygiene checks what the live state holds (as it
// does, silently, for a snapshot taken without a credential report).
func Drift(ctx context.Context, repo *manifest.Repository, envs []*manifest.Environment, src Source, now time.Time) ([]*drift.Report, error) {
	rec := newRecordingSource(src, true)
	p, err := Plan(ctx, repo, envs, rec, now)
	if err != nil {
		return nil, err
	}
	reports := make([]*drift.Report, len(envs))
	for i, e := range envs {
		r := drift.Build(repo.Config, e, p.Environments[i])
		r.Add(hygiene.Check(repo.Config, e, rec.live[e.Name], rec.reports[e.Name], now)...)
		if n := rec.notes[e.Name]; n != "" {
			r.Notes = append(r.Notes, n)
		}
		reports[i] = r
	}
	return reports, nil
}

// PlanHygiene is Plan, and also returns each environment's hygiene
// findings by name, for the plan comment. Plans never read the credential
// report (the plan role is not allowed to generate one), so these are what
// the manifests and the live state show: mostly reminders of users about
// to expire; drift reports the rest.
func PlanHygiene(ctx context.Context, repo *manifest.Repository, envs []*manifest.Environment, src Source, now time.Time) (*plan.Plan, map[string][]drift.Finding, error) {
	rec := newRecordingSource(src, false)
	p, err := Plan(ctx, repo, envs, rec, now)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string][]drift.Finding, len(envs))
	for _, e := range envs {
		if fs := hygiene.Check(repo.Config, e, rec.live[e.Name], nil, now); len(fs) > 0 {
			out[e.Name] = fs
		}
	}
	return p, out, nil
}

func newRecordingSource(src Source, withReport bool) *recordingSource {
	return &recordingSource{src: src, withReport: withReport, live: map[string]*state.Account{}, reports: map[string]*state.CredentialReport{}, notes: map[string]string{}}
}

// recordingSource reads through src and keeps, per environment, the live
// state and the credential report hygiene needs.
type recordingSource struct {
	src Source
	// withReport reads the credential report too.
	withReport bool
	mu         sync.Mutex
	live       map[string]*state.Account
	reports    map[string]*state.CredentialReport
	notes      map[string]string
}

// Read implements Source.
func (r *recordingSource) Read(ctx context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (*state.Account, error) {
	var (
		live   *state.Account
		report *state.CredentialReport
		repErr error
		err    error
	)
	if r.withReport {
		live, report, repErr, err = readWithReport(ctx, r.src, env, needs)
	} else {
		live, err = r.src.Read(ctx, env, needs)
	}
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.live[env.Name] = live
	r.reports[env.Name] = report
	if repErr != nil {
		r.notes[env.Name] = fmt.Sprintf("no credential report (%v): hygiene findings cover only what the live state holds, not unused passwords or keys", repErr)
	}
	return live, nil
}

// readWithReport reads live state and, where src can give one, the
// credential report.
func readWithReport(ctx context.Context, src Source, env *manifest.Environment, needs func(*state.User) state.Details) (live *state.Account, report *state.CredentialReport, repErr, err error) {
	switch s := src.(type) {
	case *AWSSource:
		live, report, repErr, err = s.readWithReport(ctx, env, needs)
	case *SnapshotSource:
		if live, err = s.Read(ctx, env, needs); err == nil {
			report, err = s.credentialReport(env)
		}
	case CredentialReportSource:
		if live, err = s.Read(ctx, env, needs); err == nil {
			report, repErr = s.CredentialReport(ctx, env)
		}
	default:
		live, err = src.Read(ctx, env, needs)
	}
	return live, report, repErr, err
}

// readWithReport reads live IAM and the credential report in one session
// (one AssumeRole). An error reading the report is returned apart, as
// repErr: drift goes on without it.
func (s *AWSSource) readWithReport(ctx context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (live *state.Account, report *state.CredentialReport, repErr, err error) {
	acct, err := awsiam.Connect(ctx, s.Base, env, s.Purpose)
	if err != nil {
		return nil, nil, nil, err
	}
	live, err = awsiam.NewReader(acct, s.Options).Read(ctx, needs)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("environment %s: read IAM: %w", env.Name, err)
	}
	report, repErr = awsiam.ReadCredentialReport(ctx, acct, awsiam.ReportOptions{})
	return live, report, repErr, nil
}

// credentialReport reads the credential report a snapshot carries, nil
// when it has none.
func (s *SnapshotSource) credentialReport(env *manifest.Environment) (*state.CredentialReport, error) {
	name := filepath.Join(s.Dir, env.Name+".json")
	f, err := os.Open(name) //nolint:gosec // the user names the snapshot directory on purpose
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", env.Name, err)
	}
	defer f.Close()
	snap, err := state.ReadSnapshot(f)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %s: %w", env.Name, name, err)
	}
	return snap.CredentialReport, nil
}

// CredentialReport reads env's credential report through AWS, assuming the
// role for s.Purpose (which must allow the CredentialReportPermissions of
// package awsiam: the drift role does).
func (s *AWSSource) CredentialReport(ctx context.Context, env *manifest.Environment) (*state.CredentialReport, error) {
	acct, err := awsiam.Connect(ctx, s.Base, env, s.Purpose)
	if err != nil {
		return nil, err
	}
	return awsiam.ReadCredentialReport(ctx, acct, awsiam.ReportOptions{})
}

var _ CredentialReportSource = (*AWSSource)(nil)
