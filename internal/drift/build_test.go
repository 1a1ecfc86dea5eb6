package drift_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	admin     = "arn:aws:iam::aws:policy/AdministratorAccess"
	powerUser = "arn:aws:iam::aws:policy/PowerUserAccess"
	readOnly  = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	boundary  = "arn:aws:iam::111111111111:policy/boundary"
	people    = "access/development/people.yaml"
	envFile   = "access/development/environment.yaml"
	denyDoc   = `{"Statement":{"Action":"aws-portal:*","Effect":"Deny","Resource":"*"},"Version":"2012-10-17"}`
	denyDoc2  = `{"Statement":{"Action":"ce:*","Effect":"Deny","Resource":"*"},"Version":"2012-10-17"}`
	starDoc   = `{"Statement":{"Action":"*","Effect":"Allow","Resource":"*"},"Version":"2012-10-17"}`
)

func pos(line int) diag.Pos { return diag.Pos{File: people, Line: line, Col: 5} }

// baseline is a repository and a live account that match: no drift.
func baseline() (manifest.Config, *manifest.Environment, *state.Account) {
	cfg := manifest.Config{
		OwnershipTag: "roster:managed",
		OwnerTag:     "roster:owner",
		Defaults:     manifest.Defaults{Path: "/", Tags: map[string]string{"cost-center": "1234"}},
		Pos:          diag.Pos{File: "access/roster.yaml"},
	}
	env := &manifest.Environment{
		Name:      "development",
		Dir:       "access/development",
		AccountID: "111111111111",
		Pos:       diag.Pos{File: envFile},
		Guardrails: manifest.Guardrails{
			ForbiddenManagedPolicies: []string{admin},
			MaxDeletions:             5,
		},
		Groups: []*manifest.Group{
			{Name: "admins", Path: "/", ManagedPolicies: []string{admin}, Pos: pos(2)},
			{Name: "developers", Path: "/", ManagedPolicies: []string{powerUser}, Pos: pos(5)},
		},
		Users: []*manifest.User{
			{Kind: manifest.Person, Name: "alice", Path: "/", Groups: []string{"developers"}, Tags: manifest.TagsOf(map[string]string{"cost-center": "1234", "team": "payments"}), Pos: pos(10)},
			{Kind: manifest.ServiceAccount, Name: "ci", Path: "/", Owner: "platform", Tags: manifest.TagsOf(map[string]string{"cost-center": "1234"}), Pos: pos(20)},
		},
	}
	live := &state.Account{
		AccountID: "111111111111",
		Groups: map[string]*state.Group{
			"admins":     {Name: "admins", Path: "/", ManagedPolicies: []string{admin}},
			"developers": {Name: "developers", Path: "/", ManagedPolicies: []string{powerUser}, Members: []string{"alice"}},
		},
		Users: map[string]*state.User{
			"alice": liveUser("alice", []string{"developers"}, map[string]string{"cost-center": "1234", "team": "payments"}),
			"ci":    liveUser("ci", nil, map[string]string{"cost-center": "1234", "roster:owner": "platform"}),
		},
	}
	return cfg, env, live
}

func liveUser(name string, groups []string, tags map[string]string) *state.User {
	t := maps.Clone(tags)
	t["roster:managed"] = "true"
	return &state.User{
		Name: name, Path: "/", ARN: "arn:aws:iam::111111111111:user/" + name, ID: "AIDA" + name,
		Access: state.Access{Groups: groups, Tags: t}, Details: state.LoginProfile | state.Credentials,
	}
}

func user(env *manifest.Environment, name string) *manifest.User {
	for _, u := range env.Users {
		if u.Name == name {
			return u
		}
	}
	panic("no user " + name)
}

// finding is what the tests compare: enough to tell findings apart and the
// resolution a user would follow.
type finding struct {
	ID       string
	Severity drift.Severity
	Accept   string
}

func TestBuild(t *testing.T) {
	t.Parallel()
	expires := manifest.EndOfDay(time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name     string
		manifest func(*manifest.Environment)
		live     func(*state.Account)
		want     []finding
	}{
		{name: "no drift"},
		{
			name: "access key made by hand beside the managed one",
			manifest: func(e *manifest.Environment) {
				user(e, "ci").AccessKey = &keys.Spec{DeliverTo: keys.SecretsManager, SecretName: "roster/ci"}
			},
			live: func(a *state.Account) {
				a.Secrets = map[string]*state.Secret{"roster/ci": {Name: "roster/ci", Exists: true, Tags: map[string]string{"roster:managed": "true"}, Current: "AKIAMANAGED"}}
				ci := a.Users["ci"]
				ci.Details |= state.AccessKeys
				ci.AccessKeys = []state.AccessKey{
					{ID: "AKIAMANAGED", Status: "Active", Created: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)},
					{ID: "AKIABYHAND", Status: "Active", Created: time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)},
				}
			},
			want: []finding{{
				"hand-made-key/service_account/ci/AKIABYHAND", drift.Medium,
				"remove `access_key` from the entry for `ci` if its keys should be made by hand (roster then only reports their age)",
			}},
		},
		{
			name: "admin policy attached by hand",
			live: func(a *state.Account) { a.Users["alice"].ManagedPolicies = []string{admin} },
			want: []finding{{
				"changed/user/alice/managed-policy/live-only/" + admin, drift.High,
				"only after removing it from `guardrails.forbidden_managed_policies` in `" + envFile + "`: add `" + admin + "` to `managed_policies` of user `alice` in `" + people + ":10`",
			}},
		},
		{
			name:     "policy in the manifests not attached",
			manifest: func(e *manifest.Environment) { user(e, "alice").ManagedPolicies = []string{readOnly} },
			want: []finding{{
				"changed/user/alice/managed-policy/manifest-only/" + readOnly, drift.Medium,
				"remove `" + readOnly + "` from `managed_policies` of user `alice` in `" + people + ":10`",
			}},
		},
		{
			name: "joined the admin group by hand",
			live: func(a *state.Account) {
				a.Users["alice"].Groups = []string{"admins", "developers"}
				a.Groups["admins"].Members = []string{"alice"}
			},
			want: []finding{{
				"changed/user/alice/group/live-only/admins", drift.High,
				"add `admins` to `groups` of user `alice` in `" + people + ":10`",
			}},
		},
		{
			name: "removed from a group by hand",
			live: func(a *state.Account) {
				a.Users["alice"].Groups = nil
				a.Groups["developers"].Members = nil
			},
			want: []finding{{
				"changed/user/alice/group/manifest-only/developers", drift.Medium,
				"remove `developers` from `groups` of user `alice` in `" + people + ":10`",
			}},
		},
		{
			name: "tag edited in the console",
			live: func(a *state.Account) { a.Users["alice"].Tags["team"] = "search" },
			want: []finding{{
				"changed/user/alice/tag/team/differs/10e1c66340bb", drift.Low,
				"set `team: search` in `tags` of user `alice` in `" + people + ":10`",
			}},
		},
		{
			name: "tag added by hand",
			live: func(a *state.Account) { a.Users["alice"].Tags["note"] = "temp" },
			want: []finding{{
				"changed/user/alice/tag/note/live-only/a6864eb339b0", drift.Low,
				"add `note: temp` to `tags` of user `alice` in `" + people + ":10`",
			}},
		},
		{
			name: "default tag missing in AWS",
			live: func(a *state.Account) { delete(a.Users["alice"].Tags, "cost-center") },
			want: []finding{{
				"changed/user/alice/tag/cost-center/manifest-only/03ac674216f3", drift.Low,
				"remove `cost-center` from `defaults.tags` in `access/roster.yaml` (it applies to every user)",
			}},
		},
		{
			name: "service account owner changed",
			live: func(a *state.Account) { a.Users["ci"].Tags["roster:owner"] = "data" },
			want: []finding{{
				"changed/service_account/ci/tag/roster:owner/differs/a91011c44295", drift.Low,
				"set `owner: data` for `ci` in `" + people + ":20`",
			}},
		},
		{
			name: "path moved",
			live: func(a *state.Account) { a.Users["alice"].Path = "/old/" },
			want: []finding{{
				"changed/user/alice/path/differs/a8635ab22f4d", drift.Low,
				"set `path: /old/` for `alice` in `" + people + ":10`",
			}},
		},
		{
			name:     "permissions boundary removed by hand",
			manifest: func(e *manifest.Environment) { user(e, "alice").PermissionsBoundary = boundary },
			want: []finding{{
				"changed/user/alice/permissions-boundary/manifest-only/" + boundary, drift.Medium,
				"remove `permissions_boundary` from `alice` in `" + people + ":10`",
			}},
		},
		{
			name:     "inline policy edited",
			manifest: func(e *manifest.Environment) { user(e, "alice").InlinePolicies = map[string]string{"deny": denyDoc} },
			live:     func(a *state.Account) { a.Users["alice"].InlinePolicies = map[string]string{"deny": denyDoc2} },
			want: []finding{{
				"changed/user/alice/inline-policy/deny/differs/c64857e5152d", drift.Medium,
				"replace `inline_policies.deny` of user `alice` in `" + people + ":10` with the document in AWS",
			}},
		},
		{
			name: "allow-everything inline policy added by hand",
			live: func(a *state.Account) { a.Users["alice"].InlinePolicies = map[string]string{"god": starDoc} },
			want: []finding{{
				"changed/user/alice/inline-policy/god/live-only/82d94e32f3cb", drift.High,
				"add `god` with its document from AWS to `inline_policies` of user `alice` in `" + people + ":10`",
			}},
		},
		{
			name: "console access added by hand",
			live: func(a *state.Account) { a.Users["alice"].LoginProfile = true },
			want: []finding{{
				"changed/user/alice/console/live-only", drift.Medium,
				"set `console: true` and a `pgp_key` for `alice` in `" + people + ":10`",
			}},
		},
		{
			name:     "console password never delivered",
			manifest: func(e *manifest.Environment) { user(e, "alice").Console = true },
			live: func(a *state.Account) {
				a.Users["alice"].LoginProfile = true
				a.Users["alice"].Tags[manifest.PasswordTag] = manifest.PasswordUndelivered
			},
			want: []finding{{"changed/user/alice/console/undelivered", drift.Medium, ""}},
		},
		{
			name: "undelivered-password record left on a user without console access",
			live: func(a *state.Account) { a.Users["alice"].Tags[manifest.PasswordTag] = manifest.PasswordUndelivered },
		},
		{
			name: "unassigned virtual MFA device named after a managed user",
			live: func(a *state.Account) {
				a.UnassignedMFADevices = []string{"arn:aws:iam::111111111111:mfa/alice", "arn:aws:iam::111111111111:mfa/root-spare"}
			},
			want: []finding{{"changed/user/alice/mfa-device/unassigned/6f3c4238f274", drift.Low, ""}},
		},
		{
			name: "console access on a service account",
			live: func(a *state.Account) { a.Users["ci"].LoginProfile = true },
			want: []finding{{
				"changed/service_account/ci/console/live-only", drift.Medium,
				"move `ci` from `service_accounts:` to `users:` with `console: true` and a `pgp_key` (service accounts never have console access)",
			}},
		},
		{
			name: "new joiner not created yet",
			manifest: func(e *manifest.Environment) {
				e.Users = append(e.Users, &manifest.User{Kind: manifest.Person, Name: "bob", Groups: []string{"admins"}, Pos: pos(30)})
			},
			want: []finding{{
				"missing/user/bob", drift.High,
				"remove the entry for `bob` from `users:` in `" + people + ":30`",
			}},
		},
		{
			name: "leaver still present",
			manifest: func(e *manifest.Environment) {
				e.Users = append(e.Users, &manifest.User{Kind: manifest.Person, Name: "carol", Absent: true, Pos: pos(40)})
			},
			live: func(a *state.Account) { a.Users["carol"] = liveUser("carol", nil, map[string]string{}) },
			want: []finding{{
				"extra/user/carol", drift.Medium,
				"remove `absent: true` from the entry for `carol` in `" + people + ":40` if the user should stay",
			}},
		},
		{
			name: "removed from the manifests without a tombstone: undeclared, high",
			live: func(a *state.Account) { a.Users["carol"] = liveUser("carol", nil, map[string]string{}) },
			want: []finding{{
				"undeclared/user/carol", drift.High,
				"declare `carol` in a manifest in `access/development/`, or remove its `roster:managed` tag by hand if roster should not manage it",
			}},
		},
		{
			name: "a hand-added ownership tag on an ignored break-glass user: silent",
			manifest: func(e *manifest.Environment) {
				e.Unmanaged.Ignore = []string{"break-glass-*"}
			},
			live: func(a *state.Account) {
				u := liveUser("break-glass-admin", nil, map[string]string{})
				u.ManagedPolicies = []string{"arn:aws:iam::aws:policy/AdministratorAccess"}
				a.Users["break-glass-admin"] = u
			},
			want: nil,
		},
		{
			name: "expired user still present",
			manifest: func(e *manifest.Environment) {
				e.Users = append(e.Users, &manifest.User{Kind: manifest.Person, Name: "carol", Expires: &expires, Pos: pos(40)})
			},
			live: func(a *state.Account) { a.Users["carol"] = liveUser("carol", nil, map[string]string{}) },
			want: []finding{{
				"extra/user/carol", drift.Medium,
				"move `expires` of `carol` in `" + people + ":40` to a later date, or remove it",
			}},
		},
		{
			name: "removed service account still present",
			manifest: func(e *manifest.Environment) {
				e.Users = append(e.Users, &manifest.User{Kind: manifest.ServiceAccount, Name: "etl", Owner: "data", Absent: true, Pos: pos(50)})
			},
			live: func(a *state.Account) {
				a.Users["etl"] = liveUser("etl", nil, map[string]string{"roster:owner": "data"})
			},
			want: []finding{{
				"extra/service_account/etl", drift.Medium,
				"remove `absent: true` from the entry for `etl` in `" + people + ":50` if the service account should stay",
			}},
		},
		{
			name: "declared user without the ownership tag",
			live: func(a *state.Account) {
				delete(a.Users["alice"].Tags, "roster:managed")
				a.Users["alice"].Tags["team"] = "search"
			},
			want: []finding{
				{
					"adoptable/user/alice", drift.Medium,
					"remove the entry for `alice` from `" + people + ":10` so roster leaves the user alone, and add it to `unmanaged.ignore` in `" + envFile + "` to stay silent about it",
				},
				{
					"changed/user/alice/tag/team/differs/10e1c66340bb", drift.Low,
					"set `team: search` in `tags` of user `alice` in `" + people + ":10`",
				},
			},
		},
		{
			name: "unmanaged user",
			live: func(a *state.Account) {
				a.Users["legacy"] = &state.User{Name: "legacy", Path: "/", ARN: "arn:aws:iam::111111111111:user/legacy"}
			},
			want: []finding{{
				"unmanaged/user/legacy", drift.Medium,
				"import it (`roster import`) or add a `users:` entry for it, or add it to `unmanaged.ignore` in `" + envFile + "`",
			}},
		},
		{
			name:     "ignored unmanaged user",
			manifest: func(e *manifest.Environment) { e.Unmanaged.Ignore = []string{"legacy*"} },
			live: func(a *state.Account) {
				a.Users["legacy"] = &state.User{Name: "legacy", Path: "/", ARN: "arn:aws:iam::111111111111:user/legacy"}
			},
		},
		{
			name: "admin policy attached to a group by hand",
			live: func(a *state.Account) { a.Groups["developers"].ManagedPolicies = []string{admin, powerUser} },
			want: []finding{{
				"group-changed/group/developers/managed-policy/live-only/" + admin, drift.High,
				"only after removing it from `guardrails.forbidden_managed_policies` in `" + envFile + "`: add `" + admin + "` to `managed_policies` of group `developers` in `" + people + ":5`",
			}},
		},
		{
			name: "declared group missing",
			live: func(a *state.Account) { delete(a.Groups, "admins") },
			want: []finding{{
				"missing/group/admins", drift.High,
				"remove the entry for group `admins` from `" + people + ":2`, and the group from the `groups` of its members",
			}},
		},
		{
			name: "absent group still present",
			manifest: func(e *manifest.Environment) {
				e.Groups = append(e.Groups, &manifest.Group{Name: "old", Absent: true, Pos: pos(8)})
			},
			live: func(a *state.Account) {
				a.Groups["old"] = &state.Group{Name: "old", Path: "/", ManagedPolicies: []string{readOnly}, Members: []string{"alice"}}
				a.Users["alice"].Groups = []string{"developers", "old"}
			},
			// alice's membership goes with the group: one finding.
			want: []finding{{
				"extra/group/old", drift.Medium,
				"remove the entry for group `old` from `" + people + ":8`, so roster leaves the group alone",
			}},
		},
		{
			name:     "production raises every severity",
			manifest: func(e *manifest.Environment) { e.Production = true },
			live: func(a *state.Account) {
				a.Users["alice"].Tags["team"] = "search"
				a.Users["alice"].ManagedPolicies = []string{readOnly}
				a.Users["alice"].InlinePolicies = map[string]string{"god": starDoc}
			},
			want: []finding{
				{
					"changed/user/alice/inline-policy/god/live-only/82d94e32f3cb", drift.High,
					"add `god` with its document from AWS to `inline_policies` of user `alice` in `" + people + ":10`",
				},
				{
					"changed/user/alice/managed-policy/live-only/" + readOnly, drift.High,
					"add `" + readOnly + "` to `managed_policies` of user `alice` in `" + people + ":10`",
				},
				{
					"changed/user/alice/tag/team/differs/10e1c66340bb", drift.Medium,
					"set `team: search` in `tags` of user `alice` in `" + people + ":10`",
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, env, live := baseline()
			if tc.manifest != nil {
				tc.manifest(env)
			}
			if tc.live != nil {
				tc.live(live)
			}
			r := drift.Build(cfg, env, plan.Diff(cfg, env, live, now))
			got := []finding{}
			for _, f := range r.Findings {
				got = append(got, finding{f.ID, f.Severity, f.Accept.String()})
			}
			want := tc.want
			if want == nil {
				want = []finding{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if r.HasDrift() != (len(tc.want) > 0) {
				t.Errorf("HasDrift() = %v with %d findings", r.HasDrift(), len(tc.want))
			}
			for _, f := range r.Findings {
				if f.Summary.Empty() || (f.Restore.Empty() && f.Accept.Empty()) {
					t.Errorf("finding %s has no summary or no resolution: %+v", f.ID, f)
				}
			}
		})
	}
}

// TestEveryFindingPointsAtItsEntry: a person accepting drift is told the
// file and line of the entry to edit.
func TestEveryFindingPointsAtItsEntry(t *testing.T) {
	t.Parallel()
	cfg, env, live := baseline()
	u := live.Users["alice"]
	u.Path = "/x/"
	u.ManagedPolicies = []string{readOnly}
	u.Tags["team"] = "search"
	u.LoginProfile = true
	r := drift.Build(cfg, env, plan.Diff(cfg, env, live, now))
	if len(r.Findings) != 4 {
		t.Fatalf("got %d findings, want 4: %+v", len(r.Findings), r.Findings)
	}
	for _, f := range r.Findings {
		if diff := cmp.Diff(pos(10), f.Pos); diff != "" {
			t.Errorf("%s: Pos (-want +got):\n%s", f.ID, diff)
		}
		if !slices.Contains(f.Accept, drift.Span{Text: people + ":10", Code: true}) {
			t.Errorf("%s: accept %q does not name %s:10", f.ID, f.Accept, people)
		}
	}
}
