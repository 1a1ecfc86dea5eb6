package report

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/state"
)

// Kind tells the rows of the matrix apart.
type Kind string

// Kinds of rows.
const (
	Person         Kind = "person"
	ServiceAccount Kind = "service account"
	// Unmanaged rows are live IAM users that no manifest names; they only
	// appear when live state is given.
	Unmanaged Kind = "unmanaged"
)

// Matrix is the access matrix of a repository.
type Matrix struct {
	// Columns are the environments in promotion order.
	Columns []*Column
	// Rows are people, then service accounts, then unmanaged users, each
	// sorted by name.
	Rows []*Row
	// Live is true when live IAM state was given for at least one column.
	Live bool
	// Date is the day the matrix was computed for (expiry is judged on it).
	Date time.Time
}

// Column is one environment.
type Column struct {
	Name       string
	AccountID  string
	Production bool
	// Live is true when live IAM state of the environment was given.
	Live bool
	// People, ServiceAccounts and Admins count the column's non-empty cells.
	People, ServiceAccounts, Admins int
}

// Row is one user name across environments.
type Row struct {
	Name string
	Kind Kind
	// Owners of a service account, from every environment that declares it.
	Owners []string
	// Cells has one entry per column; nil where the user does not exist in
	// that environment.
	Cells []*Cell
}

// Admin reports whether the user is admin-equivalent in any environment.
func (r *Row) Admin() bool {
	return slices.ContainsFunc(r.Cells, func(c *Cell) bool { return c != nil && c.Admin() })
}

// Cell is one user's access in one environment.
type Cell struct {
	// Desired is what the manifests grant; nil for a user that only exists
	// in live IAM.
	Desired *Access
	// Live is what live IAM grants; nil without live state or for a user
	// that does not exist there yet.
	Live *Access
	// Expires is when the user ends, from the manifests.
	Expires *manifest.Expiry
	// Memberships are the user's time-bound group memberships that have
	// not ended, with their ends.
	Memberships []manifest.Grant
	// Expired users are removed by the next apply: they have no desired
	// access any more.
	Expired bool
	// Absent is true for a tombstone (absent: true): the next apply
	// offboards the user, so it has no desired access.
	Absent bool
	// Removed is true for a live user that carries the ownership tag but is
	// in no manifest of the environment: roster leaves it alone (deleting
	// it needs a tombstone).
	Removed bool
}

// Shown is the access the matrix shows: live IAM where it is known,
// otherwise the manifests.
func (c *Cell) Shown() *Access {
	if c.Live != nil {
		return c.Live
	}
	return c.Desired
}

// Admin reports whether the shown access is admin-equivalent.
func (c *Cell) Admin() bool {
	a := c.Shown()
	return a != nil && len(a.Flags) > 0
}

// Pending reports whether the manifests declare the user but live IAM,
// which was read, does not have it yet.
func (c *Cell) Pending(col *Column) bool {
	return col.Live && c.Live == nil && c.Desired != nil
}

// Drift lists how live IAM differs from the manifests, for people: "+X" is
// live only, "-X" is in the manifests only. Empty without live state.
func (c *Cell) Drift() []string {
	if c.Live == nil || c.Desired == nil {
		return nil
	}
	var out []string
	diff := func(label string, live, desired []string) {
		for _, s := range live {
			if !slices.Contains(desired, s) {
				out = append(out, "+"+label+" "+s)
			}
		}
		for _, s := range desired {
			if !slices.Contains(live, s) {
				out = append(out, "-"+label+" "+s)
			}
		}
	}
	l, d := c.Live, c.Desired
	diff("group", l.Groups, d.Groups)
	diff("policy", names(directGrants(l.ManagedPolicies)), names(directGrants(d.ManagedPolicies)))
	diff("inline", names(directGrants(l.InlinePolicies)), names(directGrants(d.InlinePolicies)))
	if l.Boundary != d.Boundary {
		if l.Boundary != "" {
			out = append(out, "+boundary "+l.Boundary)
		}
		if d.Boundary != "" {
			out = append(out, "-boundary "+d.Boundary)
		}
	}
	if l.ConsoleKnown && l.Console != d.Console {
		if l.Console {
			out = append(out, "+console")
		} else {
			out = append(out, "-console")
		}
	}
	return out
}

// Access is what one user is granted in one environment.
type Access struct {
	// Groups the user belongs to, sorted.
	Groups []string
	// ManagedPolicies are the effective managed policies: attached to the
	// user or to one of its groups, de-duplicated, sorted by ARN.
	ManagedPolicies []Grant
	// InlinePolicies are the user's and its groups' inline policies, sorted
	// by name.
	InlinePolicies []Grant
	Boundary       string
	// Console is true when the user can sign in to the console. From the
	// manifests it is always known; from live IAM only when the login
	// profile was read (ConsoleKnown).
	Console      bool
	ConsoleKnown bool
	// ActiveKeys counts active access keys and MFADevices MFA devices; both
	// are only known from live IAM with credential details (KeysKnown).
	ActiveKeys int
	MFADevices int
	KeysKnown  bool
	// Flags say why the access is admin-equivalent; empty when it is not.
	Flags []Flag
}

// Grant is a policy and where it comes from.
type Grant struct {
	// Name is a managed policy's ARN or an inline policy's name.
	Name string
	// Direct is true when the policy is on the user itself.
	Direct bool
	// Groups are the groups that carry the policy, sorted.
	Groups []string
}

// ShortName is a managed policy's name without its ARN prefix and path
// ("PowerUserAccess"), or an inline policy's name.
func (g Grant) ShortName() string {
	if i := strings.LastIndexByte(g.Name, '/'); i >= 0 && strings.HasPrefix(g.Name, "arn:") {
		return g.Name[i+1:]
	}
	return g.Name
}

// Via says where the grant comes from: "direct", group names, or both.
func (g Grant) Via() []string {
	var via []string
	if g.Direct {
		via = append(via, "direct")
	}
	return append(via, g.Groups...)
}

func directGrants(gs []Grant) []Grant {
	var out []Grant
	for _, g := range gs {
		if g.Direct {
			out = append(out, g)
		}
	}
	return out
}

func names(gs []Grant) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Name
	}
	return out
}

// Options says what else goes into a matrix besides the manifests.
type Options struct {
	// Live holds live IAM state by environment name; environments without
	// an entry are shown from the manifests only.
	Live map[string]*state.Account
	// OwnershipTag marks managed users in live state; empty means
	// manifest.DefaultOwnershipTag.
	OwnershipTag string
	// Now judges expiry; users whose last day is before Now's UTC date have
	// no desired access.
	Now time.Time
}

// Build computes the access matrix of envs (in the order given, which
// should be promotion order). It is pure: the same arguments give the same
// matrix.
func Build(envs []*manifest.Environment, opts Options) *Matrix {
	b := &matrixBuilder{m: &Matrix{Date: dateOf(opts.Now)}, rows: map[string]*Row{}, envs: len(envs), now: opts.Now}
	for i, env := range envs {
		col := &Column{Name: env.Name, AccountID: env.AccountID, Production: env.Production}
		b.m.Columns = append(b.m.Columns, col)
		b.addDeclared(i, env)
		if live := opts.Live[env.Name]; live != nil {
			col.Live, b.m.Live = true, true
			b.addLive(i, live, cmp.Or(opts.OwnershipTag, manifest.DefaultOwnershipTag))
		}
	}
	return b.finish()
}

// matrixBuilder gathers a Matrix's rows, one per name (case-insensitive),
// one cell per environment.
type matrixBuilder struct {
	m    *Matrix
	rows map[string]*Row
	envs int
	now  time.Time
}

// row returns the row of name, made with kind when new. A name that is a
// person anywhere is a person; unmanaged only where nothing declares it.
func (b *matrixBuilder) row(name string, kind Kind) *Row {
	key := strings.ToLower(name)
	r := b.rows[key]
	if r == nil {
		r = &Row{Name: name, Kind: kind, Cells: make([]*Cell, b.envs)}
		b.rows[key] = r
	}
	if rank(kind) < rank(r.Kind) {
		r.Kind = kind
	}
	return r
}

// addDeclared fills environment i's cells of the users its manifests
// declare.
func (b *matrixBuilder) addDeclared(i int, env *manifest.Environment) {
	groups := map[string]*manifest.Group{}
	for _, g := range env.Groups {
		if !g.Absent {
			groups[g.Name] = g
		}
	}
	for _, u := range env.Users {
		kind := Person
		if u.Kind == manifest.ServiceAccount {
			kind = ServiceAccount
		}
		r := b.row(u.Name, kind)
		if u.Owner != "" && !slices.Contains(r.Owners, u.Owner) {
			r.Owners = append(r.Owners, u.Owner)
		}
		c := &Cell{Expires: u.Expires, Absent: u.Absent}
		switch {
		case u.Absent:
		case u.Expires != nil && u.Expires.Passed(b.now):
			c.Expired = true
		default:
			c.Desired = desiredAccess(env, u, groups, b.now)
			for _, g := range u.Grants() {
				if g.Group != "" && !g.Passed(b.now) {
					c.Memberships = append(c.Memberships, g)
				}
			}
		}
		r.Cells[i] = c
	}
}

// addLive adds what live IAM grants in environment i, and a row for every
// live user no manifest declares there.
func (b *matrixBuilder) addLive(i int, live *state.Account, tag string) {
	for _, name := range slices.Sorted(maps.Keys(live.Users)) {
		u := live.Users[name]
		r := b.rows[strings.ToLower(name)]
		if r == nil || r.Cells[i] == nil {
			r = b.row(name, Unmanaged)
			// Tagged as managed but in no manifest: roster leaves it
			// alone and drift reports it.
			r.Cells[i] = &Cell{Removed: u.Tags[tag] == "true"}
		}
		r.Cells[i].Live = liveAccess(u, live)
	}
}

// finish sorts the rows (people, service accounts, unmanaged; by name) and
// counts each column's people, service accounts and admins.
func (b *matrixBuilder) finish() *Matrix {
	m := b.m
	for _, r := range b.rows {
		if gone(r) {
			continue
		}
		slices.Sort(r.Owners)
		m.Rows = append(m.Rows, r)
	}
	slices.SortFunc(m.Rows, func(a, b *Row) int {
		return cmp.Or(cmp.Compare(rank(a.Kind), rank(b.Kind)),
			cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)),
			cmp.Compare(a.Name, b.Name))
	})
	for i, col := range m.Columns {
		for _, r := range m.Rows {
			c := r.Cells[i]
			if c == nil || c.Shown() == nil {
				continue
			}
			switch r.Kind {
			case ServiceAccount:
				col.ServiceAccounts++
			default:
				col.People++
			}
			if c.Admin() {
				col.Admins++
			}
		}
	}
	return m
}

// gone reports whether a row only holds tombstones of users that no longer
// exist (or whose live state is unknown): nobody to show.
func gone(r *Row) bool {
	for _, c := range r.Cells {
		if c != nil && (!c.Absent || c.Live != nil) {
			return false
		}
	}
	return true
}

func rank(k Kind) int {
	switch k {
	case Person:
		return 0
	case ServiceAccount:
		return 1
	default:
		return 2
	}
}

// policySet collects grants by name.
type policySet map[string]*Grant

func (s policySet) add(name, group string) {
	g := s[name]
	if g == nil {
		g = &Grant{Name: name}
		s[name] = g
	}
	if group == "" {
		g.Direct = true
	} else if !slices.Contains(g.Groups, group) {
		g.Groups = append(g.Groups, group)
	}
}

func (s policySet) list() []Grant {
	out := make([]Grant, 0, len(s))
	for _, name := range slices.Sorted(maps.Keys(s)) {
		g := *s[name]
		slices.Sort(g.Groups)
		out = append(out, g)
	}
	return out
}

// inlineSet keeps inline documents too, for the admin rules. Inline policy
// names are only unique per user or group, so documents are kept per
// source.
type inlineSet struct {
	policySet
	docs []inlineDoc
}

type inlineDoc struct {
	name, source, doc string
}

func (s *inlineSet) add(name, group, doc string) {
	s.policySet.add(name, group)
	s.docs = append(s.docs, inlineDoc{name: name, source: group, doc: doc})
}

// grants gathers a user's effective policies: its own (source "") and
// those of its groups (source: the group).
type grants struct {
	managed policySet
	inline  *inlineSet
}

func newGrants() *grants {
	return &grants{managed: policySet{}, inline: &inlineSet{policySet: policySet{}}}
}

func (g *grants) add(source string, managed []string, inline map[string]string) {
	for _, p := range managed {
		g.managed.add(p, source)
	}
	for name, doc := range inline {
		g.inline.add(name, source, doc)
	}
}

// access is the Access the gathered policies give a user in groups with
// boundary, with its admin-equivalence flags.
func (g *grants) access(groups []string, boundary string) *Access {
	a := &Access{
		Groups:          groups,
		ManagedPolicies: g.managed.list(),
		InlinePolicies:  g.inline.list(),
		Boundary:        boundary,
	}
	a.Flags = adminFlags(a.ManagedPolicies, g.inline.docs)
	return a
}

func desiredAccess(env *manifest.Environment, u *manifest.User, groups map[string]*manifest.Group, now time.Time) *Access {
	gr := newGrants()
	gr.add("", u.ManagedPolicies, u.InlinePolicies)
	if u.Console && env.Guardrails.ConsoleRequiresMFA {
		gr.inline.add(plan.RequireMFAPolicyName, "", plan.RequireMFAPolicy)
	}
	gs := slices.DeleteFunc(slices.Clone(u.Groups), func(g string) bool {
		e, ok := u.GroupExpires[g]
		return ok && e.Passed(now) // an ended membership is no longer granted
	})
	slices.Sort(gs)
	gs = slices.Compact(gs)
	for _, name := range gs {
		if g := groups[name]; g != nil {
			gr.add(name, g.ManagedPolicies, g.InlinePolicies)
		}
	}
	a := gr.access(gs, u.PermissionsBoundary)
	a.Console, a.ConsoleKnown = u.Console, true
	return a
}

func liveAccess(u *state.User, acct *state.Account) *Access {
	gr := newGrants()
	gr.add("", u.ManagedPolicies, u.InlinePolicies)
	gs := slices.Clone(u.Groups)
	slices.Sort(gs)
	for _, name := range gs {
		if g := acct.Groups[name]; g != nil {
			gr.add(name, g.ManagedPolicies, g.InlinePolicies)
		}
	}
	a := gr.access(gs, u.PermissionsBoundary)
	if u.Details.Has(state.LoginProfile) {
		a.Console, a.ConsoleKnown = u.LoginProfile, true
	}
	if u.Details.Has(state.Credentials) {
		a.KeysKnown = true
		a.MFADevices = len(u.MFADevices)
		for _, k := range u.AccessKeys {
			if k.Status == "Active" {
				a.ActiveKeys++
			}
		}
	}
	return a
}

// adminFlags applies the admin-equivalence rules to a user's effective
// policies. The permissions boundary is not evaluated (its document is not
// in the manifests): a flagged user with a boundary may be less powerful
// than flagged.
func adminFlags(managed []Grant, inline []inlineDoc) []Flag {
	var flags []Flag
	// has finds an AWS managed policy by its test, in any partition.
	has := func(is func(string) bool) (Grant, bool) {
		i := slices.IndexFunc(managed, func(g Grant) bool { return is(g.Name) })
		if i < 0 {
			return Grant{}, false
		}
		return managed[i], true
	}
	managedIs := func(rule Rule) func(string) bool {
		return func(arn string) bool { return policy.ManagedRule(arn) == rule }
	}
	from := func(name string, via []string) string {
		return name + " (" + strings.Join(via, ", ") + ")"
	}
	if g, ok := has(managedIs(RuleAdministrator)); ok {
		flags = append(flags, Flag{Rule: RuleAdministrator, Reason: from(policy.ManagedName(g.Name), g.Via())})
	}
	var allowAll, escalation, iamWrite []string
	for _, d := range inline {
		gr := policy.Inspect(d.doc)
		src := "direct"
		if d.source != "" {
			src = d.source
		}
		label := from("inline "+d.name, []string{src})
		switch rule := gr.Rule(); {
		case rule == RuleAllowAll:
			allowAll = append(allowAll, label)
		case rule == RuleIAMFull:
			escalation = append(escalation, label)
		case gr.IAMWrite:
			iamWrite = append(iamWrite, label)
		}
	}
	slices.Sort(allowAll)
	slices.Sort(escalation)
	slices.Sort(iamWrite)
	for _, l := range allowAll {
		flags = append(flags, Flag{Rule: RuleAllowAll, Reason: l + " allows * on *"})
	}
	if g, ok := has(managedIs(RuleIAMFull)); ok {
		flags = append(flags, Flag{Rule: RuleIAMFull, Reason: from(policy.ManagedName(g.Name), g.Via()) + " can grant any permission"})
	}
	for _, l := range escalation {
		flags = append(flags, Flag{Rule: RuleIAMFull, Reason: l + " allows IAM actions that grant permissions or act as another principal"})
	}
	if g, ok := has(policy.IsPowerUser); ok {
		// IAM writes that are admin-equivalent on their own are flagged
		// above already.
		for _, l := range iamWrite {
			flags = append(flags, Flag{Rule: RulePowerUserIAM, Reason: from("PowerUserAccess", g.Via()) + " with IAM write in " + l})
		}
	}
	return flags
}

// dateOf is t's UTC calendar date at midnight UTC.
func dateOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
