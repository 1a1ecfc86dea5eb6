package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/hygiene"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// ReportSource is a Source that also reads an environment's credential
// report, for the hygiene findings of drift. ReadWithReport reads both at
// once (one session in AWS); an error reading only the report is repErr,
// and drift goes on without it.
type ReportSource interface {
	Source
	ReadWithReport(ctx context.Context, env *manifest.Environment, needs func(*state.User) state.Details) (live *state.Account, report *state.CredentialReport, repErr, err error)
}

// Drift is the drift job: it plans every environment in envs against src
// (src should read with the drift role), turns each plan into a
// drift report, and adds the credential hygiene findings of the
// environment, from its credential report and live state. A credential
// report that cannot be read from AWS does not fail the job: the report
// says so in a note, and hygiene checks what the live state holds (as it
// does, silently, for a snapshot taken without a credential report).
// With roster.yaml's organization block and a src that reads the
// Organization, one more report, on the Organization itself, comes last.
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
	if org := repo.Config.Organization; org != nil {
		if osrc, ok := src.(OrganizationSource); ok {
			reports = append(reports, organizationDrift(ctx, osrc, org, repo.Environments))
		}
	}
	return reports, nil
}

// OrganizationSource is a Source that also reads the AWS Organization, for
// drift's organization report: every account with its state, and the IAM
// user names of the active accounts inventory asks for.
type OrganizationSource interface {
	Organization(ctx context.Context, org *manifest.Organization, inventory func(accountID string) bool) ([]state.OrgAccount, error)
}

// organizationDrift checks every environment of the repository (whichever
// the run selected) against the Organization, inventorying only the
// accounts no environment covers. A listing that fails is a finding of the
// report, not an error of the job: the environments' drift still counts.
func organizationDrift(ctx context.Context, src OrganizationSource, org *manifest.Organization, envs []*manifest.Environment) *drift.Report {
	covered := make(map[string]bool, len(envs))
	for _, e := range envs {
		covered[e.AccountID] = true
	}
	accounts, err := src.Organization(ctx, org, func(id string) bool { return !covered[id] })
	return drift.BuildOrganization(org, envs, accounts, err)
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
	if rs, ok := r.src.(ReportSource); ok && r.withReport {
		live, report, repErr, err = rs.ReadWithReport(ctx, env, needs)
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
