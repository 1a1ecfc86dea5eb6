package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
	"github.com/roster-dev/roster/internal/state"
)

// exampleNow is the clock for the bundled example: the snapshots were taken
// on this day.
var exampleNow = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

const (
	exampleDir      = "../../access"
	exampleLiveDir  = "../../examples/live"
	exampleGoldenMD = "testdata/example-plan.md.golden"
	exampleGoldenTX = "testdata/example-plan.txt.golden"
)

// TestExampleSnapshots keeps examples/live in step with the example access
// tree: the snapshots are what apply would have built from the manifests,
// plus the drift the README promises (a hand-attached policy, a new joiner
// not yet created, a tag edited in the console, an untagged user to adopt,
// a leaver still present with credentials, unmanaged users), and a
// credential report with the hygiene findings the README shows (an old and
// an unused key, a person with a key, a console user without MFA, a
// password nobody uses). Run with -update after changing access/ to
// regenerate them.
func TestExampleSnapshots(t *testing.T) {
	t.Parallel()
	repo := loadExample(t)
	for _, env := range repo.Environments {
		live := liveFromDesired(repo.Config, env)
		addExampleDrift(t, env.Name, live)
		report := exampleCredentialReport(t, env.Name, live)
		var buf bytes.Buffer
		if err := state.WriteSnapshot(&buf, &state.Snapshot{Environment: env.Name, TakenAt: exampleNow, Account: live, CredentialReport: report}); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(exampleLiveDir, env.Name+".json")
		if golden.Update() {
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/engine -update)", err)
		}
		if diff := cmp.Diff(buf.String(), string(got)); diff != "" {
			t.Errorf("%s is stale; run go test ./internal/engine -update (-generated +committed):\n%s", file, diff)
		}
	}
}

// TestExamplePlan is the README's main job: the plan of the bundled example
// against the bundled snapshots. It must show each kind of change the
// snapshots were built to show, and nothing else.
func TestExamplePlan(t *testing.T) {
	t.Parallel()
	repo := loadExample(t)
	p, err := Plan(context.Background(), repo, repo.Environments, &SnapshotSource{Dir: exampleLiveDir}, exampleNow)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Env, Action, Name string }
	var got []row
	for _, e := range p.Environments {
		for _, c := range e.Changes {
			got = append(got, row{e.Name, string(c.Action), c.Name})
		}
	}
	want := []row{
		{"development", "update", "ben.okafor"},
		{"development", "create", "isabel.costa"},
		{"development", "delete", "contractors-legacy"},
		{"testing", "update", "keiko.tanaka"},
		{"staging", "adopt", "rahul.mehta"},
		{"production", "delete", "dave.wilson"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("example plan changes (-want +got):\n%s", diff)
	}
	type keyRow struct{ Env, ServiceAccount, Summary string }
	var gotKeys []keyRow
	for _, e := range p.Environments {
		for _, a := range e.AccessKeys {
			gotKeys = append(gotKeys, keyRow{e.Name, a.ServiceAccount, a.Summary})
		}
	}
	// preview-deployer's key (pgp) is delivered and in date: nothing to do
	// or show. ci-deployer's first key goes to its secret beside the key
	// made by hand, which the plan reports.
	wantKeys := []keyRow{{"production", "ci-deployer", "create access key for ci-deployer → Secrets Manager roster/ci-deployer"}}
	if diff := cmp.Diff(wantKeys, gotKeys); diff != "" {
		t.Errorf("example plan access keys (-want +got):\n%s", diff)
	}
	prod := p.Environments[len(p.Environments)-1]
	if got := prod.AccessKeys[0].Notes; len(got) != 1 || got[0].Kind != plan.KeyHandMade || got[0].KeyID != exampleID("AKIA", "production/ci-deployer/key") {
		t.Errorf("production ci-deployer findings %+v, want the key made by hand", got)
	}
	wantUnmanaged := []plan.Unmanaged{{Name: "legacy-reporting", ARN: "arn:aws:iam::444444444444:user/legacy-reporting"}}
	if diff := cmp.Diff(wantUnmanaged, prod.Unmanaged); diff != "" {
		t.Errorf("production unmanaged users (-want +got):\n%s", diff)
	}

	var md, txt bytes.Buffer
	if err := render.Markdown(&md, p, render.MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := render.Text(&txt, p); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, exampleGoldenMD, md.Bytes())
	golden.Check(t, exampleGoldenTX, txt.Bytes())
}

func loadExample(t *testing.T) *manifest.Repository {
	t.Helper()
	repo, diags := manifest.Load(exampleDir, manifest.WithClock(func() time.Time { return exampleNow }))
	if diags.HasErrors() {
		t.Fatalf("example does not load:\n%v", diags)
	}
	return repo
}

// liveFromDesired builds the account apply would leave behind for env: every
// desired user and group exactly as the manifests say, with the ownership
// tags, console users with an MFA device, service accounts with one key.
func liveFromDesired(cfg manifest.Config, env *manifest.Environment) *state.Account {
	acct := &state.Account{AccountID: env.AccountID, Users: map[string]*state.User{}, Groups: map[string]*state.Group{}}
	created := time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)
	for _, g := range env.Groups {
		if g.Absent {
			continue
		}
		acct.Groups[g.Name] = &state.Group{
			Name: g.Name, Path: g.Path,
			ARN:             arn(env, "group", g.Path, g.Name),
			ID:              exampleID("AGPA", env.Name+"/"+g.Name),
			ManagedPolicies: sorted(g.ManagedPolicies),
			InlinePolicies:  nilIfEmpty(g.InlinePolicies),
		}
	}
	for _, m := range env.Users {
		if m.Expires != nil && m.Expires.Passed(exampleNow) {
			continue
		}
		u := &state.User{
			Name: m.Name, Path: m.Path,
			ARN:     arn(env, "user", m.Path, m.Name),
			ID:      exampleID("AIDA", env.Name+"/"+m.Name),
			Created: created,
			Access: state.Access{
				Groups:              sorted(m.Groups),
				ManagedPolicies:     sorted(m.ManagedPolicies),
				PermissionsBoundary: m.PermissionsBoundary,
				Tags:                map[string]string{cfg.OwnershipTag: "true"},
			},
			Details:      state.LoginProfile | state.Credentials,
			LoginProfile: m.Console,
		}
		for _, t := range m.Tags {
			u.Tags[t.Key] = t.Value
		}
		inline := map[string]string{}
		for k, v := range m.InlinePolicies {
			inline[k] = v
		}
		if m.Kind == manifest.ServiceAccount {
			u.Tags[cfg.OwnerTag] = m.Owner
			u.AccessKeys = []state.AccessKey{{ID: exampleID("AKIA", env.Name+"/"+m.Name+"/key"), Status: "Active", Created: keyRotated}}
			delivered(cfg, acct, u, m.AccessKey)
		}
		if m.Console {
			u.MFADevices = []string{"arn:aws:iam::" + env.AccountID + ":mfa/" + m.Name}
			if env.Guardrails.ConsoleRequiresMFA {
				inline[plan.RequireMFAPolicyName] = plan.RequireMFAPolicy
			}
		}
		u.InlinePolicies = nilIfEmpty(inline)
		acct.Users[u.Name] = u
		for _, g := range u.Groups {
			if lg := acct.Groups[g]; lg != nil {
				lg.Members = append(lg.Members, u.Name)
			}
		}
	}
	for _, g := range acct.Groups {
		slices.Sort(g.Members)
	}
	return acct
}

// delivered records u's key as delivered the way apply leaves it when the
// entry has an access_key block: held as AWSCURRENT by a secret roster
// owns, or named by the user's delivered record (deliver_to: pgp).
func delivered(cfg manifest.Config, acct *state.Account, u *state.User, spec *keys.Spec) {
	switch {
	case spec == nil:
	case spec.DeliverTo == keys.SecretsManager:
		if acct.Secrets == nil {
			acct.Secrets = map[string]*state.Secret{}
		}
		acct.Secrets[spec.SecretName] = &state.Secret{Name: spec.SecretName, Exists: true, Tags: map[string]string{cfg.OwnershipTag: "true"}, Current: u.AccessKeys[0].ID}
	default:
		u.Tags[keys.DeliveredTag] = u.AccessKeys[0].ID
	}
}

// keyRotated is when the example's service accounts last rotated their
// keys: well within every environment's max_access_key_age_days.
var keyRotated = time.Date(2026, 10, 5, 14, 0, 0, 0, time.UTC)

// addExampleDrift makes the live state differ from the manifests the way
// real accounts do.
func addExampleDrift(t *testing.T, env string, acct *state.Account) {
	t.Helper()
	user := func(name string) *state.User {
		u := acct.Users[name]
		if u == nil {
			t.Fatalf("example drift: %s has no user %s; update addExampleDrift to match access/", env, name)
		}
		return u
	}
	switch env {
	case "development":
		// A person who created an access key for a script on a laptop.
		user("daniel.kim").AccessKeys = []state.AccessKey{{ID: exampleID("AKIA", "development/daniel.kim/key"), Status: "Active", Created: time.Date(2026, 2, 10, 16, 20, 0, 0, time.UTC)}}
		// A new joiner: in the manifests, not yet created.
		removeUser(acct, user("isabel.costa"))
		// Someone attached a policy by hand in the console.
		ben := user("ben.okafor")
		ben.ManagedPolicies = sorted(append(ben.ManagedPolicies, "arn:aws:iam::aws:policy/AdministratorAccess"))
		// The old shared group, marked absent: true, still exists.
		acct.Groups["contractors-legacy"] = &state.Group{
			Name: "contractors-legacy", Path: "/", ARN: "arn:aws:iam::111111111111:group/contractors-legacy",
			ID:              exampleID("AGPA", "development/contractors-legacy"),
			ManagedPolicies: []string{"arn:aws:iam::aws:policy/PowerUserAccess"},
		}
	case "testing":
		// A tag edited in the console.
		user("keiko.tanaka").Tags["team"] = "qa-legacy"
		// A key created for a pipeline that was never switched over.
		user("test-automation").AccessKeys[0].Created = time.Date(2026, 8, 1, 11, 0, 0, 0, time.UTC)
	case "staging":
		// Created by hand before roster: exists, but without the ownership tag.
		delete(user("rahul.mehta").Tags, "roster:managed")
		// A console user who never set up MFA.
		user("nadia.petrova").MFADevices = nil
	case "production":
		// A leaver removed from the manifests, still present with credentials.
		leaver := &state.User{
			Name: "dave.wilson", Path: "/", ARN: "arn:aws:iam::444444444444:user/dave.wilson",
			ID: exampleID("AIDA", "production/dave.wilson"), Created: time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC),
			Access: state.Access{
				Groups:         []string{"operators"},
				InlinePolicies: map[string]string{plan.RequireMFAPolicyName: plan.RequireMFAPolicy},
				Tags:           map[string]string{"roster:managed": "true", "team": "platform", "email": "dave.wilson@example.com"},
			},
			Details:      state.LoginProfile | state.Credentials,
			LoginProfile: true,
			AccessKeys:   []state.AccessKey{{ID: exampleID("AKIA", "production/dave.wilson/key"), Status: "Active", Created: time.Date(2024, 6, 2, 8, 0, 0, 0, time.UTC)}},
			MFADevices:   []string{"arn:aws:iam::444444444444:mfa/dave.wilson"},
		}
		acct.Users[leaver.Name] = leaver
		ops := acct.Groups["operators"]
		if ops == nil {
			t.Fatal("example drift: production has no group operators")
		}
		ops.Members = sorted(append(ops.Members, leaver.Name))
		// Unmanaged users: a sealed break-glass user (ignored by
		// environment.yaml) and a forgotten integration user (reported).
		for _, name := range []string{"break-glass-admin", "legacy-reporting"} {
			acct.Users[name] = &state.User{
				Name: name, Path: "/", ARN: "arn:aws:iam::444444444444:user/" + name,
				ID: exampleID("AIDA", "production/"+name), Created: time.Date(2023, 1, 9, 12, 0, 0, 0, time.UTC),
				Access:  state.Access{ManagedPolicies: []string{"arn:aws:iam::aws:policy/AdministratorAccess"}},
				Details: state.LoginProfile | state.Credentials,
			}
		}
		acct.Users["legacy-reporting"].ManagedPolicies = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}
		acct.Users["legacy-reporting"].AccessKeys = []state.AccessKey{{ID: exampleID("AKIA", "production/legacy-reporting/key"), Status: "Active", Created: time.Date(2023, 1, 9, 12, 5, 0, 0, time.UTC)}}
		acct.Users["break-glass-admin"].LoginProfile = true
		// A deploy key nobody rotated, made by hand before its entry had an
		// access_key block: its secret does not exist yet, so the plan
		// delivers roster's first key beside it, and drift reports the old
		// one until someone retires it.
		user("ci-deployer").AccessKeys[0].Created = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
		acct.Secrets["roster/ci-deployer"] = &state.Secret{Name: "roster/ci-deployer"}
	}
}

// exampleCredentialReport is the credential report IAM would give for acct
// on exampleNow: people sign in and keys are used every few days, except
// for the hygiene problems it was built to show.
func exampleCredentialReport(t *testing.T, env string, acct *state.Account) *state.CredentialReport {
	t.Helper()
	recent := func(days int) *time.Time {
		at := exampleNow.Add(-time.Duration(days)*24*time.Hour - 3*time.Hour)
		return &at
	}
	rep := &state.CredentialReport{GeneratedAt: exampleNow, Users: []state.CredentialReportUser{}}
	for _, name := range slices.Sorted(maps.Keys(acct.Users)) {
		u := acct.Users[name]
		row := state.CredentialReportUser{User: u.Name, ARN: u.ARN, Created: u.Created, MFAActive: len(u.MFADevices) > 0}
		if u.LoginProfile {
			changed := u.Created
			row.PasswordEnabled, row.PasswordLastChanged, row.PasswordLastUsed = true, &changed, recent(2)
		}
		for i, k := range u.AccessKeys {
			row.AccessKeys = append(row.AccessKeys, state.CredentialReportKey{Number: i + 1, Active: k.Status == "Active", LastRotated: k.Created, LastUsed: recent(1)})
		}
		rep.Users = append(rep.Users, row)
	}
	row := func(name string) *state.CredentialReportUser {
		r := rep.User(name)
		if r == nil {
			t.Fatalf("example credential report: %s has no user %s", env, name)
		}
		return r
	}
	switch env {
	case "development":
		// Has not signed in since the summer.
		row("sofia.alvarez").PasswordLastUsed = recent(142)
	case "testing":
		// Never used.
		row("test-automation").AccessKeys[0].LastUsed = nil
	case "production":
		// The forgotten integration stopped calling AWS long ago.
		row("legacy-reporting").AccessKeys[0].LastUsed = recent(585)
		// The break-glass user has never been used (and is ignored).
		row("break-glass-admin").PasswordLastUsed = nil
	}
	return rep
}

func removeUser(acct *state.Account, u *state.User) {
	delete(acct.Users, u.Name)
	for _, g := range acct.Groups {
		g.Members = slices.DeleteFunc(g.Members, func(m string) bool { return m == u.Name })
	}
}

func arn(env *manifest.Environment, kind, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + env.AccountID + ":" + kind + path + name
}

// exampleID makes a stable, realistic-looking IAM unique ID.
func exampleID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return prefix + strings.ToUpper(hex.EncodeToString(sum[:]))[:17]
}

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
