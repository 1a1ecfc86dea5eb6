package report

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/state"
)

var today = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// doc returns the canonical form of a policy document written as JSON.
func doc(t *testing.T, s string) string {
	t.Helper()
	c, err := policy.Canonical(s)
	if err != nil {
		t.Fatalf("canonical %s: %v", s, err)
	}
	return c
}

func rules(a *Access) []Rule {
	if a == nil {
		return nil
	}
	var out []Rule
	for _, f := range a.Flags {
		out = append(out, f.Rule)
	}
	return out
}

// TestAdminRules: each documented rule flags the access it describes, and
// access that only looks powerful is not flagged.
func TestAdminRules(t *testing.T) {
	t.Parallel()
	const (
		readOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
		iamRead  = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
		custom   = "arn:aws:iam::111122223333:policy/AdministratorAccess"
	)
	tests := []struct {
		name    string
		user    manifest.User
		group   manifest.Group // "team", joined when it has policies
		want    []Rule
		wantWhy []string
	}{
		{name: "read only", user: manifest.User{ManagedPolicies: []string{readOnly, iamRead}}},
		{
			name:    "administrator access directly",
			user:    manifest.User{ManagedPolicies: []string{AdministratorAccess}},
			want:    []Rule{RuleAdministrator},
			wantWhy: []string{"AdministratorAccess (direct)"},
		},
		{
			name:    "administrator access through a group",
			group:   manifest.Group{ManagedPolicies: []string{AdministratorAccess}},
			want:    []Rule{RuleAdministrator},
			wantWhy: []string{"AdministratorAccess (team)"},
		},
		{
			name:    "administrator access both ways is one flag",
			user:    manifest.User{ManagedPolicies: []string{AdministratorAccess}},
			group:   manifest.Group{ManagedPolicies: []string{AdministratorAccess}},
			want:    []Rule{RuleAdministrator},
			wantWhy: []string{"AdministratorAccess (direct, team)"},
		},
		{name: "a customer policy named AdministratorAccess is not AWS's", user: manifest.User{ManagedPolicies: []string{custom}}},
		{
			name:    "inline allow star on star",
			user:    manifest.User{InlinePolicies: map[string]string{"god": `{"Statement":[{"Action":"*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`}},
			want:    []Rule{RuleAllowAll},
			wantWhy: []string{"inline god (direct) allows * on *"},
		},
		{
			name:    "inline allow *:* in a group, single statement object",
			group:   manifest.Group{InlinePolicies: map[string]string{"all": `{"Statement":{"Action":["s3:GetObject","*:*"],"Effect":"Allow","Resource":["arn:aws:s3:::x","*"]}}`}},
			want:    []Rule{RuleAllowAll},
			wantWhy: []string{"inline all (team) allows * on *"},
		},
		{name: "star on one resource is not admin", user: manifest.User{InlinePolicies: map[string]string{"bucket": `{"Statement":[{"Action":"*","Effect":"Allow","Resource":"arn:aws:s3:::bucket/*"}]}`}}},
		{name: "deny star on star is not admin", user: manifest.User{InlinePolicies: map[string]string{"deny": `{"Statement":[{"Action":"*","Effect":"Deny","Resource":"*"}]}`}}},
		{
			name:    "IAMFullAccess alone",
			user:    manifest.User{ManagedPolicies: []string{IAMFullAccess}},
			want:    []Rule{RuleIAMFull},
			wantWhy: []string{"IAMFullAccess (direct) can grant any permission"},
		},
		{
			name:    "inline iam:Attach* grants permissions",
			user:    manifest.User{InlinePolicies: map[string]string{"attach": `{"Statement":[{"Action":"iam:Attach*","Effect":"Allow","Resource":"*"}]}`}},
			want:    []Rule{RuleIAMFull},
			wantWhy: []string{"inline attach (direct) allows IAM actions that grant permissions or act as another principal"},
		},
		{
			name:    "inline IAM action names are case-insensitive",
			user:    manifest.User{InlinePolicies: map[string]string{"put": `{"Statement":[{"Action":"IAM:putuserpolicy","Effect":"Allow","Resource":"*"}]}`}},
			want:    []Rule{RuleIAMFull},
			wantWhy: []string{"inline put (direct) allows IAM actions that grant permissions or act as another principal"},
		},
		{
			name:    "inline IAM write on the user itself grants permissions",
			user:    manifest.User{InlinePolicies: map[string]string{"self": `{"Statement":[{"Action":"iam:*","Effect":"Allow","Resource":"arn:aws:iam::111122223333:user/alice"}]}`}},
			want:    []Rule{RuleIAMFull},
			wantWhy: []string{"inline self (direct) allows IAM actions that grant permissions or act as another principal"},
		},
		{name: "iam:* on a bucket cannot touch IAM", user: manifest.User{InlinePolicies: map[string]string{"odd": `{"Statement":[{"Action":"iam:*","Effect":"Allow","Resource":"arn:aws:s3:::bucket/*"}]}`}}},
		{name: "inline IAM reads are not writes", user: manifest.User{ManagedPolicies: []string{PowerUserAccess}, InlinePolicies: map[string]string{"read": `{"Statement":[{"Action":["iam:Get*","iam:List*","iam:ChangePassword"],"Effect":"Allow","Resource":"*"}]}`}}},
		{name: "PowerUserAccess alone", group: manifest.Group{ManagedPolicies: []string{PowerUserAccess, iamRead}}},
		{
			name:    "iam:PassRole on every role hands any role to a service",
			user:    manifest.User{InlinePolicies: map[string]string{"pass": `{"Statement":[{"Action":"iam:PassRole","Effect":"Allow","Resource":"*"}]}`}},
			want:    []Rule{RuleIAMFull},
			wantWhy: []string{"inline pass (direct) allows IAM actions that grant permissions or act as another principal"},
		},
		{name: "iam:PassRole on one named role", user: manifest.User{InlinePolicies: map[string]string{"pass": `{"Statement":[{"Action":"iam:PassRole","Effect":"Allow","Resource":"arn:aws:iam::111122223333:role/lambda-exec"}]}`}}},
		{name: "own access keys only", user: manifest.User{InlinePolicies: map[string]string{"keys": `{"Statement":[{"Action":["iam:CreateAccessKey","iam:DeleteAccessKey"],"Effect":"Allow","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`}}},
		{
			name:    "PowerUserAccess with iam:CreateRole",
			user:    manifest.User{InlinePolicies: map[string]string{"roles": `{"Statement":[{"Action":"iam:CreateRole","Effect":"Allow","Resource":"*"}]}`}},
			group:   manifest.Group{ManagedPolicies: []string{PowerUserAccess}},
			want:    []Rule{RulePowerUserIAM},
			wantWhy: []string{"PowerUserAccess (team) with IAM write in inline roles (direct)"},
		},
		{
			name:    "PowerUserAccess of GovCloud with iam:CreateRole",
			user:    manifest.User{ManagedPolicies: []string{"arn:aws-us-gov:iam::aws:policy/PowerUserAccess"}, InlinePolicies: map[string]string{"roles": `{"Statement":[{"Action":"iam:CreateRole","Effect":"Allow","Resource":"*"}]}`}},
			want:    []Rule{RulePowerUserIAM},
			wantWhy: []string{"PowerUserAccess (direct) with IAM write in inline roles (direct)"},
		},
		{
			name:    "AdministratorAccess of GovCloud",
			user:    manifest.User{ManagedPolicies: []string{"arn:aws-us-gov:iam::aws:policy/AdministratorAccess"}},
			want:    []Rule{RuleAdministrator},
			wantWhy: []string{"AdministratorAccess (direct)"},
		},
		{
			name:    "IAMFullAccess of China through a group",
			group:   manifest.Group{ManagedPolicies: []string{"arn:aws-cn:iam::aws:policy/IAMFullAccess"}},
			want:    []Rule{RuleIAMFull},
			wantWhy: []string{"IAMFullAccess (team) can grant any permission"},
		},
		{
			name:    "PowerUserAccess with IAMFullAccess is flagged once, for IAMFullAccess",
			group:   manifest.Group{ManagedPolicies: []string{PowerUserAccess, IAMFullAccess}},
			want:    []Rule{RuleIAMFull},
			wantWhy: []string{"IAMFullAccess (team) can grant any permission"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := tt.user
			u.Name, u.Kind = "alice", manifest.Person
			u.InlinePolicies = canonicalAll(t, u.InlinePolicies)
			g := tt.group
			g.Name = "team"
			g.InlinePolicies = canonicalAll(t, g.InlinePolicies)
			if len(g.ManagedPolicies)+len(g.InlinePolicies) > 0 {
				u.Groups = []string{"team"}
			}
			env := &manifest.Environment{Name: "dev", Groups: []*manifest.Group{&g}, Users: []*manifest.User{&u}}
			m := Build([]*manifest.Environment{env}, Options{Now: today})
			a := m.Rows[0].Cells[0].Desired
			if diff := cmp.Diff(tt.want, rules(a)); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
			var why []string
			for _, f := range a.Flags {
				why = append(why, f.Reason)
			}
			if diff := cmp.Diff(tt.wantWhy, why); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
			if got, want := m.Rows[0].Admin(), len(tt.want) > 0; got != want {
				t.Errorf("row admin = %v, want %v", got, want)
			}
		})
	}
}

func canonicalAll(t *testing.T, docs map[string]string) map[string]string {
	t.Helper()
	if docs == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range docs {
		out[k] = doc(t, v)
	}
	return out
}

// TestBuildMatrix: rows join a user's environments by name, effective
// policies are de-duplicated with their sources, and columns keep the order
// given.
func TestBuildMatrix(t *testing.T) {
	t.Parallel()
	expired := manifest.EndOfDay(time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC))
	lastDay := manifest.EndOfDay(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	dev := &manifest.Environment{
		Name: "development", AccountID: "111111111111",
		Groups: []*manifest.Group{
			{Name: "developers", ManagedPolicies: []string{PowerUserAccess, "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}, InlinePolicies: map[string]string{"deny-billing": doc(t, `{"Statement":[{"Effect":"Deny","Action":"aws-portal:*","Resource":"*"}]}`)}},
			{Name: "readers", ManagedPolicies: []string{"arn:aws:iam::aws:policy/IAMReadOnlyAccess"}},
			{Name: "old", ManagedPolicies: []string{AdministratorAccess}, Absent: true},
		},
		Users: []*manifest.User{
			{Kind: manifest.Person, Name: "Alice", Groups: []string{"readers", "developers"}, ManagedPolicies: []string{PowerUserAccess}, Console: true},
			{Kind: manifest.ServiceAccount, Name: "deployer", Owner: "platform", PermissionsBoundary: "arn:aws:iam::111111111111:policy/boundaries/sa"},
			{Kind: manifest.Person, Name: "carol", Expires: &expired},
			{Kind: manifest.Person, Name: "dan", Expires: &lastDay},
		},
	}
	prod := &manifest.Environment{
		Name: "production", AccountID: "444444444444", Production: true,
		Guardrails: manifest.Guardrails{ConsoleRequiresMFA: true},
		Users: []*manifest.User{
			{Kind: manifest.Person, Name: "alice", Console: true},
			{Kind: manifest.ServiceAccount, Name: "deployer", Owner: "release"},
			{Kind: manifest.Person, Name: "bob"},
		},
	}
	m := Build([]*manifest.Environment{dev, prod}, Options{Now: today})

	type cellView struct {
		Groups, Managed, Inline []string
		Boundary                string
		Console, Expired        bool
	}
	view := func(c *Cell) *cellView {
		if c == nil {
			return nil
		}
		v := &cellView{Expired: c.Expired}
		if a := c.Desired; a != nil {
			v.Groups, v.Boundary, v.Console = a.Groups, a.Boundary, a.Console
			for _, g := range a.ManagedPolicies {
				v.Managed = append(v.Managed, g.ShortName()+" via "+join(g.Via()))
			}
			for _, g := range a.InlinePolicies {
				v.Inline = append(v.Inline, g.ShortName()+" via "+join(g.Via()))
			}
		}
		return v
	}
	type rowView struct {
		Name   string
		Kind   Kind
		Owners []string
		Cells  []*cellView
	}
	var got []rowView
	for _, r := range m.Rows {
		rv := rowView{Name: r.Name, Kind: r.Kind, Owners: r.Owners}
		for _, c := range r.Cells {
			rv.Cells = append(rv.Cells, view(c))
		}
		got = append(got, rv)
	}
	want := []rowView{
		{Name: "Alice", Kind: Person, Cells: []*cellView{
			{
				Groups: []string{"developers", "readers"},
				Managed: []string{
					"IAMReadOnlyAccess via developers, readers",
					"PowerUserAccess via direct, developers",
				},
				Inline:  []string{"deny-billing via developers"},
				Console: true,
			},
			{Inline: []string{"roster-require-mfa via direct"}, Console: true},
		}},
		{Name: "bob", Kind: Person, Cells: []*cellView{nil, {}}},
		{Name: "carol", Kind: Person, Cells: []*cellView{{Expired: true}, nil}},
		{Name: "dan", Kind: Person, Cells: []*cellView{{}, nil}},
		{Name: "deployer", Kind: ServiceAccount, Owners: []string{"platform", "release"}, Cells: []*cellView{
			{Boundary: "arn:aws:iam::111111111111:policy/boundaries/sa"},
			{},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	type colView struct {
		Name                            string
		Production                      bool
		People, ServiceAccounts, Admins int
	}
	var cols []colView
	for _, c := range m.Columns {
		cols = append(cols, colView{c.Name, c.Production, c.People, c.ServiceAccounts, c.Admins})
	}
	wantCols := []colView{{"development", false, 2, 1, 0}, {"production", true, 2, 1, 0}}
	if diff := cmp.Diff(wantCols, cols); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
}

func join(s []string) string {
	out := ""
	for i, e := range s {
		if i > 0 {
			out += ", "
		}
		out += e
	}
	return out
}

// TestBuildLive: with live state, a cell shows what IAM grants, says how it
// differs from the manifests, and users only IAM knows get rows of their own.
func TestBuildLive(t *testing.T) {
	t.Parallel()
	prod := &manifest.Environment{
		Name: "production", AccountID: "444444444444", Production: true,
		Groups: []*manifest.Group{{Name: "operators", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
		Users: []*manifest.User{
			{Kind: manifest.Person, Name: "alice", Groups: []string{"operators"}},
			{Kind: manifest.Person, Name: "newcomer"},
		},
	}
	staging := &manifest.Environment{Name: "staging", Users: []*manifest.User{{Kind: manifest.Person, Name: "alice"}}}
	live := &state.Account{
		AccountID: "444444444444",
		Groups:    map[string]*state.Group{"operators": {Name: "operators", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
		Users: map[string]*state.User{
			"alice": {
				Name: "alice", Access: state.Access{
					Groups:          []string{"operators"},
					ManagedPolicies: []string{AdministratorAccess},
					Tags:            map[string]string{"roster:managed": "true"},
				}, Details: state.LoginProfile | state.Credentials, LoginProfile: true,
				AccessKeys: []state.AccessKey{{ID: "AKIA1", Status: "Active"}, {ID: "AKIA2", Status: "Inactive"}}, MFADevices: []string{"arn:mfa"},
			},
			"break-glass": {Name: "break-glass", Access: state.Access{ManagedPolicies: []string{AdministratorAccess}}},
			"leaver":      {Name: "leaver", Access: state.Access{Tags: map[string]string{"roster:managed": "true"}}},
		},
	}
	m := Build([]*manifest.Environment{staging, prod}, Options{Now: today, Live: map[string]*state.Account{"production": live}})
	if !m.Live || m.Columns[0].Live || !m.Columns[1].Live {
		t.Errorf("live = %v, columns live = %v, %v; want true, false, true", m.Live, m.Columns[0].Live, m.Columns[1].Live)
	}
	type cellView struct {
		Shown    []string
		Rules    []Rule
		Drift    []string
		Console  bool
		Keys     int
		MFA      int
		Pending  bool
		Removed  bool
		Declared bool
	}
	var got []string
	cells := map[string]cellView{}
	for _, r := range m.Rows {
		got = append(got, r.Name+" "+string(r.Kind))
		c := r.Cells[1]
		if c == nil {
			continue
		}
		a := c.Shown()
		v := cellView{Rules: rules(a), Drift: c.Drift(), Pending: c.Pending(m.Columns[1]), Removed: c.Removed, Declared: c.Desired != nil}
		if a != nil {
			v.Shown = names(a.ManagedPolicies)
			v.Console, v.Keys, v.MFA = a.Console, a.ActiveKeys, a.MFADevices
		}
		cells[r.Name] = v
	}
	if diff := cmp.Diff([]string{"alice person", "newcomer person", "break-glass unmanaged", "leaver unmanaged"}, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	want := map[string]cellView{
		"alice": {
			Shown:    []string{AdministratorAccess, "arn:aws:iam::aws:policy/ReadOnlyAccess"},
			Rules:    []Rule{RuleAdministrator},
			Drift:    []string{"+policy " + AdministratorAccess, "+console"},
			Console:  true,
			Keys:     1,
			MFA:      1,
			Declared: true,
		},
		"newcomer":    {Pending: true, Declared: true, Shown: []string{}},
		"break-glass": {Shown: []string{AdministratorAccess}, Rules: []Rule{RuleAdministrator}},
		"leaver":      {Shown: []string{}, Removed: true},
	}
	if diff := cmp.Diff(want, cells); diff != "" {
		t.Errorf("production cells (-want +got):\n%s", diff)
	}
	if got := m.Columns[1].Admins; got != 2 {
		t.Errorf("production admins = %d, want 2", got)
	}
}
