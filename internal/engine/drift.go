package engine

import (
	"context"
	"fmt"
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
// does, silently, for a snapshot taken without a credential report). Like
// Plan, it holds the live state of EnvironmentsAtOnce environments at most.
// With roster.yaml's organization block and a src that reads the
// Organization, one more report, on the Organization itself, comes last.
func Drift(ctx context.Context, repo *manifest.Repository, envs []*manifest.Environment, src Source, now time.Time) ([]*drift.Report, error) {
	reports := make([]*drift.Report, len(envs))
	err := eachEnvironment(envs, func(i int, e *manifest.Environment) error {
		live, report, repErr, err := readWithReport(ctx, src, e, plan.Needs(repo.Config, e, now))
		if err != nil {
			return err
		}
		r := drift.Build(repo.Config, e, plan.Diff(repo.Config, e, live, now))
		r.Add(hygiene.Check(repo.Config, e, live, report, now)...)
		if repErr != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("no credential report (%v): hygiene findings cover only what the live state holds, not unused passwords or keys", repErr))
		}
		reports[i] = r
		return nil
	})
	if err != nil {
		return nil, err
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

// readWithReport reads env's live state and, when src is a ReportSource,
// its credential report.
func readWithReport(ctx context.Context, src Source, env *manifest.Environment, needs func(*state.User) state.Details) (live *state.Account, report *state.CredentialReport, repErr, err error) {
	if rs, ok := src.(ReportSource); ok {
		return rs.ReadWithReport(ctx, env, needs)
	}
	live, err = src.Read(ctx, env, needs)
	return live, nil, nil, err
}

// PlanHygiene is Plan, and also returns each environment's hygiene
// findings by name, for the plan comment: the first hygiene.PlanListed,
// most severe first, and the number of the rest. Plans never read the
// credential report (the plan role is not allowed to generate one), so
// these are what the manifests and the live state show: mostly reminders
// of users about to expire; drift reports the rest.
func PlanHygiene(ctx context.Context, repo *manifest.Repository, envs []*manifest.Environment, src Source, now time.Time) (*plan.Plan, map[string]hygiene.Excerpt, error) {
	out := make([]*plan.Environment, len(envs))
	findings := make([]hygiene.Excerpt, len(envs))
	err := eachEnvironment(envs, func(i int, e *manifest.Environment) error {
		p, live, err := planOne(ctx, repo, e, src, now)
		if err != nil {
			return err
		}
		out[i], findings[i] = p, hygiene.Cut(hygiene.Check(repo.Config, e, live, nil, now), hygiene.PlanListed)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	hyg := make(map[string]hygiene.Excerpt, len(envs))
	for i, e := range envs {
		if findings[i].Len() > 0 {
			hyg[e.Name] = findings[i]
		}
	}
	return &plan.Plan{Environments: out}, hyg, nil
}
