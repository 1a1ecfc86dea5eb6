package engine

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// planPolicyActions returns the actions of the plan role policy published in
// docs/permissions.md: the block after the roster:plan-policy marker.
func planPolicyActions(t *testing.T) []string {
	t.Helper()
	return policyActions(t, "<!-- roster:plan-policy -->")
}

// policyActions returns the actions allowed by the JSON policy that follows
// marker in docs/permissions.md.
func policyActions(t *testing.T, marker string) []string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), marker)
	if !ok {
		t.Fatalf("docs/permissions.md has no %s marker", marker)
	}
	_, rest, _ = strings.Cut(rest, "```json\n")
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("docs/permissions.md: no JSON block after %s", marker)
	}
	var pol struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource string
		}
	}
	if err := json.Unmarshal([]byte(block), &pol); err != nil {
		t.Fatalf("docs/permissions.md policy after %s: %v", marker, err)
	}
	var actions []string
	for _, s := range pol.Statement {
		if s.Effect != "Allow" {
			t.Fatalf("policy statement after %s is %q, want Allow", marker, s.Effect)
		}
		actions = append(actions, s.Action...)
	}
	slices.Sort(actions)
	return slices.Compact(actions)
}

// TestApplyPolicyCoversTheWriter checks the published apply role policy
// allows every action apply calls: the readers' and the writer's.
func TestApplyPolicyCoversTheWriter(t *testing.T) {
	t.Parallel()
	allowed := policyActions(t, "<!-- roster:apply-policy -->")
	for _, want := range slices.Concat(awsiam.ReadPermissions, awsiam.PerUserReadPermissions, awsiam.WritePermissions,
		awsiam.AccessKeyPermissions, awsiam.SecretsWritePermissions) {
		if !slices.Contains(allowed, want) {
			t.Errorf("apply calls %s, but docs/permissions.md's apply policy does not allow it", want)
		}
	}
}

// TestPlanRoleNeedsOnlyThePublishedPolicy plans the bundled example against
// the IAM fake through roles allowed exactly the actions docs/permissions.md
// publishes. Any call outside them is denied by the fake and fails the plan;
// the call log must hold only read actions. It covers the account-wide
// reader and the per-user fallback (a role also denied
// iam:GetAccountAuthorizationDetails).
func TestPlanRoleNeedsOnlyThePublishedPolicy(t *testing.T) {
	t.Parallel()
	allowed := planPolicyActions(t)
	for _, want := range slices.Concat(awsiam.ReadPermissions, awsiam.PerUserReadPermissions, awsiam.SecretsReadPermissions) {
		if !slices.Contains(allowed, want) {
			t.Errorf("the readers call %s, but docs/permissions.md's plan policy does not allow it", want)
		}
	}

	for _, tc := range []struct {
		name  string
		allow []string
	}{
		{"account-wide reader", allowed},
		{"per-user fallback", slices.DeleteFunc(slices.Clone(allowed), func(a string) bool { return a == "iam:GetAccountAuthorizationDetails" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const hub = "999999999999"
			srv := iamtest.NewServer(t, iamtest.WithDefaultAccount(hub))
			repo := loadExample(t)
			for _, env := range repo.Environments {
				seedFake(t, srv.Account(env.AccountID), exampleLive(t, repo.Config, env))
				srv.Account(env.AccountID).AddRole("roster-plan", tc.allow...)
			}
			srv.ResetCalls()

			src := &awsiam.Source{Base: srv.AWSConfig(hub), Purpose: awsiam.ForPlan}
			p, err := Plan(context.Background(), repo, repo.Environments, src, exampleNow)
			if err != nil {
				t.Fatalf("plan with the published plan policy: %v", err)
			}
			// Reading the same state through AWS gives the same plan as the
			// bundled snapshots: same changes, same digests.
			snap, err := Plan(context.Background(), repo, repo.Environments, &SnapshotSource{Dir: exampleLiveDir}, exampleNow)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range p.Environments {
				if e.Digest != snap.Environments[i].Digest {
					t.Errorf("%s: plan through AWS has digest %s, from snapshots %s", e.Name, e.Digest, snap.Environments[i].Digest)
				}
			}
			if !p.HasChanges() {
				t.Fatal("the example plan has no changes; the fake was not seeded as the snapshots are")
			}
			// The fallback case tries iam:GetAccountAuthorizationDetails once
			// and is denied; that call is in the published policy.
			onlyReadsAllowed(t, srv, "plan", allowed)
		})
	}
}

// onlyReadsAllowed fails the test when what (plan, drift) called an IAM
// action outside allowed in any account of srv, or wrote anything.
func onlyReadsAllowed(t *testing.T, srv *iamtest.Server, what string, allowed []string) {
	t.Helper()
	for acct, calls := range srv.Calls() {
		for _, action := range slices.Sorted(maps.Keys(calls)) {
			if action == "AssumeRole" || action == "GetCallerIdentity" {
				continue
			}
			if !slices.Contains(allowed, "iam:"+action) && !slices.Contains(allowed, "secretsmanager:"+action) {
				t.Errorf("account %s: %s called iam:%s, which the published plan policy does not allow", acct, what, action)
			}
		}
	}
	if w := srv.Writes(); len(w) != 0 {
		t.Errorf("%s made %d write calls, first %+v", what, len(w), w[0])
	}
}

// seedExampleAccounts puts the bundled example's live state and credential
// usage into each environment's account of srv, with a role allowed allow.
func seedExampleAccounts(t *testing.T, srv *iamtest.Server, repo *manifest.Repository, role string, allow []string) {
	t.Helper()
	for _, env := range repo.Environments {
		live := exampleLive(t, repo.Config, env)
		a := srv.Account(env.AccountID)
		seedFake(t, a, live)
		seedUsage(t, a, exampleCredentialReport(t, env.Name, live))
		a.AddRole(role, allow...)
	}
}

// TestDriftNeedsOnlyThePlanPolicy: the scheduled drift check holds no write
// credentials. Drift against the IAM fake, through roles allowed exactly the
// plan role policy docs/permissions.md publishes (and no apply role at all),
// reads live IAM and the credential report (no "hygiene was limited" note),
// calls nothing outside that policy and writes nothing.
func TestDriftNeedsOnlyThePlanPolicy(t *testing.T) {
	t.Parallel()
	allowed := planPolicyActions(t)
	for _, want := range awsiam.CredentialReportPermissions {
		if !slices.Contains(allowed, want) {
			t.Errorf("drift calls %s, but docs/permissions.md's plan policy does not allow it", want)
		}
	}
	const hub = "999999999999"
	srv := iamtest.NewServer(t, iamtest.WithDefaultAccount(hub), iamtest.WithClock(func() time.Time { return exampleNow }))
	repo := loadExample(t)
	seedExampleAccounts(t, srv, repo, "roster-plan", allowed)
	srv.ResetCalls()

	// Drift's own purpose, as the CLI and the Action use it: it must land
	// on the plan role (plan_role_arn), the only role seeded here.
	src := &awsiam.Source{Base: srv.AWSConfig(hub), Purpose: awsiam.ForDrift}
	reports, err := Drift(context.Background(), repo, repo.Environments, src, exampleNow)
	if err != nil {
		t.Fatalf("drift with the published plan policy: %v", err)
	}
	if len(reports) != len(repo.Environments) {
		t.Fatalf("drift reported %d environments, want %d", len(reports), len(repo.Environments))
	}
	for _, r := range reports {
		for _, n := range r.Notes {
			if strings.Contains(n, "no credential report") {
				t.Errorf("%s: drift could not read the credential report with the plan policy: %s", r.Environment, n)
			}
		}
	}
	for acct, calls := range srv.Calls() {
		if acct != hub && calls["GetCredentialReport"] == 0 {
			t.Errorf("account %s: drift never read the credential report", acct)
		}
	}
	onlyReadsAllowed(t, srv, "drift", allowed)
}

// exampleLive is the live state the bundled snapshots describe.
func exampleLive(t *testing.T, cfg manifest.Config, env *manifest.Environment) *state.Account {
	t.Helper()
	live := liveFromDesired(cfg, env)
	addExampleDrift(t, env.Name, live)
	return live
}

// seedFake puts a live state into the fake account: groups first, then
// users with their memberships, policies, console access and credentials.
func seedFake(t *testing.T, a *iamtest.Account, live *state.Account) {
	t.Helper()
	created := map[string]bool{}
	customer := func(arns ...string) {
		for _, p := range arns {
			if strings.Contains(p, ":"+live.AccountID+":policy/") && !created[p] {
				a.CreatePolicy(p)
				created[p] = true
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(live.Groups)) {
		g := live.Groups[name]
		customer(g.ManagedPolicies...)
		a.PutGroup(iamtest.Group{Name: g.Name, Path: g.Path, ManagedPolicies: g.ManagedPolicies, InlinePolicies: g.InlinePolicies})
	}
	for _, name := range slices.Sorted(maps.Keys(live.Users)) {
		u := live.Users[name]
		customer(append(slices.Clone(u.ManagedPolicies), u.PermissionsBoundary)...)
		seed := iamtest.User{
			Name: u.Name, Path: u.Path, CreateDate: u.Created,
			Groups: u.Groups, ManagedPolicies: u.ManagedPolicies, InlinePolicies: u.InlinePolicies,
			PermissionsBoundary: u.PermissionsBoundary,
		}
		for _, k := range slices.Sorted(maps.Keys(u.Tags)) {
			seed.Tags = append(seed.Tags, iamtest.Tag{Key: k, Value: u.Tags[k]})
		}
		if u.LoginProfile {
			seed.LoginProfile = &iamtest.LoginProfile{CreateDate: u.Created}
		}
		for _, k := range u.AccessKeys {
			seed.AccessKeys = append(seed.AccessKeys, iamtest.AccessKey{ID: k.ID, Status: k.Status, CreateDate: k.Created})
		}
		for range u.MFADevices {
			seed.MFADevices = append(seed.MFADevices, iamtest.MFADevice{})
		}
		a.PutUser(seed)
	}
}
