package hygiene

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

var now = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// ago is a time n days before now.
func ago(n int) time.Time { return now.AddDate(0, 0, -n) }

func agoPtr(n int) *time.Time { t := ago(n); return &t }

func day(s string) *manifest.Expiry {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	e := manifest.EndOfDay(t)
	return &e
}

func pos(line int) diag.Pos { return diag.Pos{File: "access/payments/people.yaml", Line: line, Col: 5} }

// craftedEnv declares one person, service account and expiry of each kind
// the report below exercises.
func craftedEnv(production, requireMFA bool) *manifest.Environment {
	return &manifest.Environment{
		Name: "payments", Dir: "access/payments", AccountID: "111122223333", Production: production,
		Guardrails: manifest.Guardrails{MaxAccessKeyAgeDays: 90, ConsoleRequiresMFA: requireMFA},
		Unmanaged:  manifest.Unmanaged{Ignore: []string{"break-glass-*"}},
		Pos:        diag.Pos{File: "access/payments/environment.yaml", Line: 1, Col: 1},
		Users: []*manifest.User{
			{Kind: manifest.Person, Name: "alice", Console: true, Pos: pos(3)},
			{Kind: manifest.Person, Name: "bob", Console: true, Pos: pos(10)},
			{Kind: manifest.Person, Name: "carol", Pos: pos(17)},
			{Kind: manifest.ServiceAccount, Name: "ci-deployer", Owner: "platform", Pos: pos(24)},
			{Kind: manifest.ServiceAccount, Name: "reporting", Owner: "data", Pos: pos(30)},
			{Kind: manifest.Person, Name: "erin", Console: true, Expires: day("2026-11-27"), Pos: pos(36)},
			{Kind: manifest.Person, Name: "frank", Expires: day("2026-11-19"), Pos: pos(42)},
			{Kind: manifest.Person, Name: "grace", Expires: day("2026-12-31"), Pos: pos(48)},
		},
	}
}

// craftedReport has one problem per user, and users that must stay quiet.
func craftedReport() *state.CredentialReport {
	return &state.CredentialReport{GeneratedAt: now, Users: []state.CredentialReportUser{
		// Console without MFA, password unused for 120 days.
		{User: "alice", Created: ago(500), PasswordEnabled: true, PasswordLastUsed: agoPtr(120), PasswordLastChanged: agoPtr(400)},
		// Console with MFA, never signed in since the password was set 95 days ago.
		{User: "bob", Created: ago(95), PasswordEnabled: true, PasswordLastChanged: agoPtr(95), MFAActive: true},
		// A person with an active key (recent, used) and an inactive old one.
		{User: "carol", Created: ago(300), AccessKeys: []state.CredentialReportKey{
			{Number: 1, Active: true, LastRotated: ago(30), LastUsed: agoPtr(1)},
			{Number: 2, Active: false, LastRotated: ago(300)},
		}},
		// A service account: one key too old, one never used.
		{User: "ci-deployer", Created: ago(400), AccessKeys: []state.CredentialReportKey{
			{Number: 1, Active: true, LastRotated: ago(200), LastUsed: agoPtr(2)},
			{Number: 2, Active: true, LastRotated: ago(91)},
		}},
		// A service account with a healthy key: exactly the maximum age.
		{User: "reporting", Created: ago(90), AccessKeys: []state.CredentialReportKey{
			{Number: 1, Active: true, LastRotated: ago(90), LastUsed: agoPtr(89)},
		}},
		// Expires in 7 days.
		{User: "erin", Created: ago(60), PasswordEnabled: true, PasswordLastUsed: agoPtr(3), MFAActive: true},
		// Expired yesterday: drift offboards it, hygiene stays quiet.
		{User: "frank", Created: ago(60), AccessKeys: []state.CredentialReportKey{{Number: 1, Active: true, LastRotated: ago(400)}}},
		// Expires in 41 days: no reminder yet.
		{User: "grace", Created: ago(10)},
		// Unmanaged: checked, unless ignored.
		{User: "legacy-reporting", Created: ago(700), AccessKeys: []state.CredentialReportKey{{Number: 1, Active: true, LastRotated: ago(700), LastUsed: agoPtr(200)}}},
		{User: "break-glass-admin", Created: ago(700), PasswordEnabled: true, PasswordLastChanged: agoPtr(700)},
		// Managed but no longer declared: drift's extra finding covers it.
		{User: "dave", Created: ago(700), PasswordEnabled: true, AccessKeys: []state.CredentialReportKey{{Number: 1, Active: true, LastRotated: ago(700)}}},
	}}
}

func craftedLive() *state.Account {
	acct := &state.Account{AccountID: "111122223333", Users: map[string]*state.User{}, Groups: map[string]*state.Group{}}
	for _, u := range craftedReport().Users {
		acct.Users[u.User] = &state.User{Name: u.User, Access: state.Access{Tags: map[string]string{manifest.DefaultOwnershipTag: "true"}}}
	}
	for _, name := range []string{"legacy-reporting", "break-glass-admin"} {
		acct.Users[name].Tags = nil
	}
	return acct
}

// format writes findings the way a golden file can be read: one block each.
func format(fs []drift.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s %s %s %s\n  id: %s\n  %s\n", f.Severity, f.Kind, f.SubjectKind, f.Subject, f.ID, f.Summary)
		if !f.Restore.Empty() {
			fmt.Fprintf(&b, "  restore: %s\n", f.Restore)
		}
		if !f.Accept.Empty() {
			fmt.Fprintf(&b, "  accept: %s\n", f.Accept)
		}
		if f.Pos.File != "" {
			fmt.Fprintf(&b, "  at: %s:%d\n", f.Pos.File, f.Pos.Line)
		}
	}
	if len(fs) == 0 {
		b.WriteString("no findings\n")
	}
	return b.String()
}

// TestCheckGolden: every finding kind from a crafted credential report, in
// an ordinary environment, one that requires MFA, and production.
func TestCheckGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                   string
		production, requireMFA bool
	}{
		{"development", false, false},
		{"mfa-required", false, true},
		{"production", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Check(manifest.Config{}, craftedEnv(tc.production, tc.requireMFA), craftedLive(), craftedReport(), now)
			golden.File(t, "crafted-"+tc.name+".golden", format(got))
		})
	}
}

// TestCheckEveryKind: the crafted report yields each hygiene kind, so the
// golden files above cover them all.
func TestCheckEveryKind(t *testing.T) {
	t.Parallel()
	got := map[drift.Kind]bool{}
	for _, f := range Check(manifest.Config{}, craftedEnv(false, true), craftedLive(), craftedReport(), now) {
		got[f.Kind] = true
	}
	for _, k := range Kinds {
		if !got[k] {
			t.Errorf("no %s finding from the crafted report", k)
		}
	}
}

// TestCheckQuiet: who is left alone, and the edges of every threshold.
func TestCheckQuiet(t *testing.T) {
	t.Parallel()
	ids := func(fs []drift.Finding) []string {
		out := []string{}
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return out
	}
	env := func(maxAge int, users ...*manifest.User) *manifest.Environment {
		return &manifest.Environment{Name: "dev", Guardrails: manifest.Guardrails{MaxAccessKeyAgeDays: maxAge}, Users: users,
			Unmanaged: manifest.Unmanaged{Ignore: []string{"break-glass-*"}}}
	}
	svc := &manifest.User{Kind: manifest.ServiceAccount, Name: "svc", Owner: "team"}
	key := func(rotated, used int) state.CredentialReportKey {
		k := state.CredentialReportKey{Number: 1, Active: true, LastRotated: ago(rotated)}
		if used >= 0 {
			k.LastUsed = agoPtr(used)
		}
		return k
	}
	row := func(name string, keys ...state.CredentialReportKey) *state.CredentialReport {
		return &state.CredentialReport{Users: []state.CredentialReportUser{{User: name, Created: ago(1000), AccessKeys: keys}}}
	}
	tests := []struct {
		name   string
		env    *manifest.Environment
		live   *state.Account
		report *state.CredentialReport
		want   []string
	}{
		{"key at the maximum age", env(90, svc), nil, row("svc", key(90, 1)), []string{}},
		{"key a day older", env(90, svc), nil, row("svc", key(91, 1)), []string{"key-age/service_account/svc/key-1/2026-08-21"}},
		{"max_access_key_age_days 0 disables the age check", env(0, svc), nil, row("svc", key(3000, 1)), []string{}},
		{"used 89 days ago", env(0, svc), nil, row("svc", key(200, 89)), []string{}},
		{"used 90 days ago", env(0, svc), nil, row("svc", key(200, 90)), []string{"unused-key/service_account/svc/key-1/2026-05-04"}},
		{"never used, created 89 days ago", env(0, svc), nil, row("svc", key(89, -1)), []string{}},
		{"inactive keys are not findings", env(1, svc), nil, row("svc", state.CredentialReportKey{Number: 2, LastRotated: ago(900)}), []string{}},
		{"ignored unmanaged user", env(1), nil, row("break-glass-1", key(900, -1)), []string{}},
		{
			"without a report, keys and MFA from the live state",
			env(90, &manifest.User{Kind: manifest.Person, Name: "amy", Console: true}),
			&state.Account{Users: map[string]*state.User{
				"amy": {Name: "amy", Details: state.LoginProfile | state.Credentials, LoginProfile: true,
					AccessKeys: []state.AccessKey{{ID: "AKIAEXAMPLE", Status: "Active", Created: ago(100)}}},
				"ben": {Name: "ben", LoginProfile: true},
			}},
			nil,
			[]string{"key-age/user/amy/AKIAEXAMPLE", "no-mfa/user/amy", "person-key/user/amy/AKIAEXAMPLE"},
		},
		{
			"expiry reminder only for users that exist",
			env(0, &manifest.User{Kind: manifest.Person, Name: "new", Expires: day("2026-11-21")}, &manifest.User{Kind: manifest.Person, Name: "old", Expires: day("2026-12-04")}),
			&state.Account{Users: map[string]*state.User{"old": {Name: "old"}}},
			nil,
			[]string{"expiring/user/old/2026-12-04"},
		},
		{
			"expiry 15 days out is not yet a reminder",
			env(0, &manifest.User{Kind: manifest.Person, Name: "old", Expires: day("2026-12-05")}),
			&state.Account{Users: map[string]*state.User{"old": {Name: "old"}}},
			nil,
			[]string{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ids(Check(manifest.Config{}, tc.env, tc.live, tc.report, now))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("finding IDs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckIDsStable: the same problems half a day later have the same IDs
// (the drift issue comments only when the set changes), while the wording
// may follow the clock.
func TestCheckIDsStable(t *testing.T) {
	t.Parallel()
	env := craftedEnv(false, true)
	first := Check(manifest.Config{}, env, craftedLive(), craftedReport(), now)
	second := Check(manifest.Config{}, env, craftedLive(), craftedReport(), now.Add(12*time.Hour))
	var a, b []string
	for _, f := range first {
		a = append(a, f.ID)
	}
	for _, f := range second {
		b = append(b, f.ID)
	}
	if diff := cmp.Diff(drift.Fingerprint(a), drift.Fingerprint(b)); diff != "" {
		t.Errorf("fingerprint changed with the clock alone:\n%s\nfirst: %v\nsecond: %v", diff, a, b)
	}
}

// TestKeyAgeAdvice: an old key of a service account with access_key is
// roster's to rotate, so the advice says so and what to check when the
// rotation is overdue; without access_key the owner rotates it by hand.
func TestKeyAgeAdvice(t *testing.T) {
	t.Parallel()
	report := &state.CredentialReport{Users: []state.CredentialReportUser{
		{User: "svc", Created: ago(1000), AccessKeys: []state.CredentialReportKey{{Number: 1, Active: true, LastRotated: ago(100), LastUsed: agoPtr(1)}}},
	}}
	byHand := "rotate it: create a second key, move whatever uses `svc` to it, then deactivate and delete the old one"
	tests := []struct {
		name string
		key  *keys.Spec
		want string
	}{
		{"no access_key", nil, byHand},
		{"access_key with the environment's age", &keys.Spec{DeliverTo: keys.SecretsManager, SecretName: "roster/svc"},
			"roster rotates the key it delivers: a new key at `rotate_after_days: 90`, the old one deactivated `overlap_days: 7` later and deleted a day after, by the scheduled `roster rotate` run; if this key is older than that, check that the rotate workflow runs and succeeds, and look for a `rotation-blocked` or `hand-made-key` finding of `svc` (roster never rotates a key made by hand: delete it once nothing uses it)"},
		{"access_key with its own schedule", &keys.Spec{DeliverTo: keys.PGP, RotateAfterDays: 30, OverlapDays: 3},
			"roster rotates the key it delivers: a new key at `rotate_after_days: 30`, the old one deactivated `overlap_days: 3` later and deleted a day after, by the scheduled `roster rotate` run; if this key is older than that, check that the rotate workflow runs and succeeds, and look for a `rotation-blocked` or `hand-made-key` finding of `svc` (roster never rotates a key made by hand: delete it once nothing uses it)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := &manifest.Environment{Name: "dev", Guardrails: manifest.Guardrails{MaxAccessKeyAgeDays: 90},
				Users: []*manifest.User{{Kind: manifest.ServiceAccount, Name: "svc", Owner: "team", AccessKey: tc.key}}}
			var got []string
			for _, f := range Check(manifest.Config{}, env, nil, report, now) {
				if f.Kind == KeyAge {
					got = append(got, f.Restore.String())
				}
			}
			if diff := cmp.Diff([]string{tc.want}, got); diff != "" {
				t.Errorf("key-age advice (-want +got):\n%s", diff)
			}
		})
	}
}
