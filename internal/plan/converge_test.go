package plan_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
	"github.com/roster-dev/roster/internal/testfixture"
)

const genAccount = "111122223333"

// Random worlds.
var (
	genUsers    = []string{"ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy"}
	genGroups   = []string{"admins", "devs", "ops", "readers", "legacy"}
	genPolicies = []string{"arn:aws:iam::aws:policy/P0", "arn:aws:iam::aws:policy/P1", "arn:aws:iam::aws:policy/P2", "arn:aws:iam::111122223333:policy/P3"}
	genBounds   = []string{"", "", "arn:aws:iam::111122223333:policy/B0", "arn:aws:iam::111122223333:policy/B1"}
	genDocs     = append(slices.Clone(plan.FixtureDocs), `{"Statement":[{"Action":"ec2:*","Effect":"Deny","Resource":"*"}],"Version":"2012-10-17"}`)
	genInline   = []string{"i0", "i1", "i2"}
	genTagKeys  = []string{"team", "email", "cost-center"}
	genTagVals  = []string{"x", "y"}
	genPaths    = []string{"/", "/", "/people/", "/machines/"}
	// genCustomer are the customer managed policies the worlds name; they
	// exist in every generated account.
	genCustomer = []string{"arn:aws:iam::111122223333:policy/P3", "arn:aws:iam::111122223333:policy/B0", "arn:aws:iam::111122223333:policy/B1"}
)

type gen struct {
	r   *rand.Rand
	pgp string
}

func (g gen) chance(p float64) bool  { return g.r.Float64() < p }
func (g gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g gen) subset(s []string, p float64) []string {
	var out []string
	for _, v := range s {
		if g.chance(p) {
			out = append(out, v)
		}
	}
	return out
}

func (g gen) inline() map[string]string {
	m := map[string]string{}
	for _, n := range g.subset(genInline, 0.3) {
		m[n] = g.pick(genDocs)
	}
	return nilIfEmpty(m)
}

func (g gen) tags() map[string]string {
	m := map[string]string{}
	for _, k := range g.subset(genTagKeys, 0.4) {
		m[k] = g.pick(genTagVals)
	}
	return m
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// maybeCapitalize returns name with an upper-case first letter now and then,
// to exercise IAM's case-insensitive names.
func (g gen) maybeCapitalize(name string) string {
	if g.chance(0.1) {
		return strings.ToUpper(name[:1]) + name[1:]
	}
	return name
}

// world is a generated case: a desired environment and a live account that
// differ in every way roster cares about.
type world struct {
	env  *manifest.Environment
	live *state.Account
	// virtual maps a virtual MFA device's serial to the user it is assigned
	// to.
	virtual map[string]string
}

func (g gen) world() world {
	env := plan.FixtureEnv(nil, nil)
	env.Guardrails.ConsoleRequiresMFA = g.chance(0.5)
	env.Guardrails.MaxDeletions = 100
	if g.chance(0.3) {
		env.Unmanaged.Ignore = []string{"[a-c]*"}
	}
	var usable []string // declared, not absent
	for _, name := range genGroups {
		if !g.chance(0.6) {
			continue
		}
		grp := &manifest.Group{Name: g.maybeCapitalize(name), Absent: g.chance(0.2)}
		if !grp.Absent {
			grp.Path = g.pick(genPaths)
			grp.ManagedPolicies = g.subset(genPolicies, 0.3)
			grp.InlinePolicies = g.inline()
			usable = append(usable, name) // referenced in lower case
		}
		env.Groups = append(env.Groups, grp)
	}
	days := []*manifest.Expiry{plan.FixtureDate("2026-05-31"), plan.FixtureDate("2026-06-01"), plan.FixtureDate("2026-06-02"), plan.FixtureDate("2020-01-01")}
	for _, name := range genUsers {
		if !g.chance(0.6) {
			continue
		}
		u := &manifest.User{
			Kind: manifest.Person, Name: g.maybeCapitalize(name), Path: g.pick(genPaths),
			Groups:              g.subset(usable, 0.4),
			ManagedPolicies:     g.subset(genPolicies, 0.3),
			InlinePolicies:      g.inline(),
			PermissionsBoundary: g.pick(genBounds),
			Tags:                manifest.TagsOf(g.tags()),
		}
		if g.chance(0.3) {
			u.Kind = manifest.ServiceAccount
			u.Owner = g.pick([]string{"platform", "payments"})
		} else if g.chance(0.5) {
			u.Console, u.PGPKey = true, g.pgp
		}
		if g.chance(0.3) {
			u.Expires = days[g.r.IntN(len(days))]
		}
		u.Absent = g.chance(0.15)
		env.Users = append(env.Users, u)
	}
	return world{env: env, live: g.live(), virtual: map[string]string{}}.withVirtual()
}

// live generates the live account.
func (g gen) live() *state.Account {
	acct := &state.Account{AccountID: genAccount, Users: map[string]*state.User{}, Groups: map[string]*state.Group{}}
	for _, name := range genGroups {
		if g.chance(0.5) {
			acct.Groups[name] = &state.Group{Name: name, Path: g.pick(genPaths), ManagedPolicies: plan.SortedSet(g.subset(genPolicies, 0.3)),
				InlinePolicies: g.inline()}
		}
	}
	liveGroups := slices.Sorted(maps.Keys(acct.Groups))
	for _, name := range genUsers {
		if !g.chance(0.6) {
			continue
		}
		tags := g.tags()
		switch {
		case g.chance(0.55):
			tags["roster:managed"] = "true"
		case g.chance(0.2):
			tags["roster:managed"] = "false"
		}
		if g.chance(0.3) {
			tags["roster:owner"] = g.pick([]string{"platform", "someone"})
		}
		u := &state.User{Name: name, Access: state.Access{Tags: nilIfEmpty(tags)}}
		u.Path = g.pick(genPaths)
		u.ManagedPolicies = plan.SortedSet(g.subset(genPolicies, 0.3))
		u.InlinePolicies = g.inline()
		u.PermissionsBoundary = g.pick(genBounds)
		u.LoginProfile = g.chance(0.4)
		for _, grp := range g.subset(liveGroups, 0.3) {
			u.Groups = append(u.Groups, grp)
			acct.Groups[grp].Members = append(acct.Groups[grp].Members, name)
		}
		g.credentials(u)
		acct.Users[name] = u
	}
	return acct
}

// credentials gives u the credentials IAM makes roster remove before
// DeleteUser.
func (g gen) credentials(u *state.User) {
	name := u.Name
	for i := range g.r.IntN(3) {
		u.AccessKeys = append(u.AccessKeys, state.AccessKey{ID: fmt.Sprintf("AKIA%s%d", strings.ToUpper(name), i), Status: "Active"})
	}
	if g.chance(0.3) {
		u.MFADevices = append(u.MFADevices, "arn:aws:iam::"+genAccount+":mfa/"+name)
	}
	if g.chance(0.1) {
		u.MFADevices = append(u.MFADevices, "GAHT"+strings.ToUpper(name))
	}
	if g.chance(0.2) {
		u.SSHPublicKeys = []string{"APKA" + strings.ToUpper(name)}
	}
	if g.chance(0.1) {
		u.SigningCertificates = []string{"CERT" + strings.ToUpper(name)}
	}
	if g.chance(0.1) {
		u.ServiceSpecificCredentials = []state.ServiceCredential{{ID: "ACCA" + strings.ToUpper(name), ServiceName: "codecommit.amazonaws.com"}}
	}
	slices.Sort(u.MFADevices)
}

// withVirtual records who each virtual MFA device (serials that are ARNs)
// is assigned to.
func (w world) withVirtual() world {
	for name, u := range w.live.Users {
		for _, serial := range u.MFADevices {
			if strings.HasPrefix(serial, "arn:") {
				w.virtual[serial] = name
			}
		}
	}
	return w
}

// tally counts what the generated cases exercised.
type tally struct {
	creates, adopts, updates, deletes, blockedGroups, caseMatches, writes int
	ops                                                                   map[plan.OpType]int
}

func (t *tally) add(o tally) {
	t.creates += o.creates
	t.adopts += o.adopts
	t.updates += o.updates
	t.deletes += o.deletes
	t.blockedGroups += o.blockedGroups
	t.caseMatches += o.caseMatches
	t.writes += o.writes
	for k, v := range o.ops {
		t.ops[k] += v
	}
}

// TestConvergence generates hundreds of (desired, live) pairs, seeds each
// live account into the IAM fake, plans against what the product's reader
// reads back, applies every operation through the product's writer, and
// checks that the next plan is empty, that the account then holds exactly
// what the manifests say, that no operation ever touched an unmanaged user
// or an undeclared group, and that no write was redundant: IAM answered
// none of them "already exists" or "not found", nor accepted one that found
// nothing to do (attaching an attached policy, adding a member twice,
// untagging a missing key).
func TestConvergence(t *testing.T) {
	t.Parallel()
	const cases = 600
	key := testfixture.PGPKey(t).Armored
	results := make([]tally, cases)
	seeds := make(chan uint64)
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range seeds {
				results[seed] = convergeCase(t, seed, key)
			}
		}()
	}
	for seed := range uint64(cases) {
		seeds <- seed
	}
	close(seeds)
	wg.Wait()

	total := tally{ops: map[plan.OpType]int{}}
	for _, r := range results {
		total.add(r)
	}
	t.Logf("%d cases: %d creates, %d adopts, %d updates, %d deletes, %d absent groups kept for unmanaged members, %d names matched ignoring case; %d writes of %d operation types",
		cases, total.creates, total.adopts, total.updates, total.deletes, total.blockedGroups, total.caseMatches, total.writes, len(total.ops))
	if total.creates == 0 || total.adopts == 0 || total.updates == 0 || total.deletes == 0 || total.blockedGroups == 0 || total.caseMatches == 0 {
		t.Errorf("generator does not cover every situation: %+v", total)
	}
	if len(total.ops) != len(plannedOpTypes) {
		var missing []string
		for _, typ := range plannedOpTypes {
			if total.ops[typ] == 0 {
				missing = append(missing, string(typ))
			}
		}
		t.Errorf("generator never plans %s", strings.Join(missing, ", "))
	}
}

// plannedOpTypes are the operations the generator's plans hold: all but
// UpdateLoginProfile, as its live users never carry an undelivered password.
var plannedOpTypes = slices.DeleteFunc(slices.Clone(plan.OpTypes), func(t plan.OpType) bool { return t == plan.OpUpdateLoginProfile })

// convergeCase runs one generated case against its own fake account.
func convergeCase(t *testing.T, seed uint64, pgpKey string) tally {
	t.Helper()
	cfg, now := plan.FixtureConfig, plan.FixtureNow
	w := gen{r: rand.New(rand.NewPCG(seed, 0x5eed)), pgp: pgpKey}.world()
	env := w.env
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("seed %d: %s", seed, fmt.Sprintf(format, args...))
	}

	srv := iamtest.NewServer(nil, iamtest.InProcess())
	defer srv.Close()
	fake := srv.Account(genAccount)
	for _, arn := range genCustomer {
		fake.CreatePolicy(arn)
	}
	fake.PutState(w.live)
	ctx := context.Background()
	acct, err := awsiam.Connect(ctx, srv.AWSConfig(genAccount), env, awsiam.ForApply)
	if err != nil {
		fail("connect: %v", err)
		return tally{}
	}
	reader, writer := awsiam.NewReader(acct, awsiam.Options{}), awsiam.NewWriter(acct, awsiam.WriterOptions{})
	live, err := reader.Read(ctx, plan.Needs(cfg, env, now))
	if err != nil {
		fail("read: %v", err)
		return tally{}
	}

	// The test's own view of who stays untouched and which groups are
	// declared, independent of the diff: roster deletes only a managed user
	// whose entry is a tombstone or has expired, and never touches a name
	// unmanaged.ignore matches.
	ignored := func(name string) bool {
		ok, _ := path.Match("[a-c]*", strings.ToLower(name))
		return len(env.Unmanaged.Ignore) > 0 && ok
	}
	desired := map[string]*manifest.User{}
	named := map[string]bool{}
	for _, u := range env.Users {
		if ignored(u.Name) {
			continue
		}
		named[strings.ToLower(u.Name)] = true
		if !u.Absent && (u.Expires == nil || u.Expires.End.After(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))) {
			desired[strings.ToLower(u.Name)] = u
		}
	}
	unmanaged := map[string]iamtest.User{} // every user roster must leave alone
	for name, u := range w.live.Users {
		if desired[name] == nil && (!plan.Managed(cfg, u) || ignored(name) || !named[name]) {
			unmanaged[name], _ = fake.User(name)
		}
	}
	declared := map[string]bool{}
	for _, grp := range env.Groups {
		declared[strings.ToLower(grp.Name)] = true
	}

	p := plan.Diff(cfg, env, live, now)
	// reflect.DeepEqual first: cmp's reflection costs a tenth of the
	// test's CPU, and equal values are the common case.
	if again := plan.Diff(cfg, env, live, now); !reflect.DeepEqual(p, again) && !cmp.Equal(p, again) {
		fail("Diff is not deterministic: %s", cmp.Diff(p, again))
	}
	n := count(p, fail, func(op plan.Op) {
		if _, ok := unmanaged[op.User]; ok {
			fail("%s touches unmanaged user %q", op.Type, op.User)
		}
		if _, ok := unmanaged[w.virtual[op.ID]]; ok && op.Type == plan.OpDeleteVirtualMFADevice {
			fail("%s touches unmanaged user %q's device", op.Type, w.virtual[op.ID])
		}
		if op.Group != "" && op.User == "" && !declared[strings.ToLower(op.Group)] {
			fail("%s touches group %q, which the manifests do not declare", op.Type, op.Group)
		}
	})
	srv.ResetCalls()
	for _, ch := range p.Changes {
		for i, op := range ch.Ops {
			out, err := writer.Write(ctx, op)
			if err != nil || out.AlreadyDone {
				fail("apply %s %s %s, op %d %s: already done %t, %v", ch.Action, ch.Kind, ch.Name, i, op.Type, out.AlreadyDone, err)
			}
		}
	}
	writes := srv.Writes()
	n.writes = len(writes)
	for _, c := range writes {
		if c.Error != "" || c.NoOp {
			fail("redundant or failed write %s %v: error %q, no-op %t", c.Action, c.Params, c.Error, c.NoOp)
		}
	}

	after, err := reader.Read(ctx, plan.Needs(cfg, env, now))
	if err != nil {
		fail("read after apply: %v", err)
		return n
	}
	if again := plan.Diff(cfg, env, after, now); again.HasChanges() {
		fail("plan after apply is not empty:\n%s", cmp.Diff([]plan.Change{}, again.Changes))
	}
	for name, before := range unmanaged {
		got, _ := fake.User(name)
		if reflect.DeepEqual(before, got) {
			continue
		}
		if diff := cmp.Diff(before, got); diff != "" {
			fail("unmanaged user %q changed (-before +after):\n%s", name, diff)
		}
	}
	checkMatchesManifests(t, seed, env, after, desired, unmanaged)
	return n
}

// count tallies the plan's changes and operations, checking each operation
// with check.
func count(p *plan.Environment, fail func(string, ...any), check func(plan.Op)) tally {
	n := tally{ops: map[plan.OpType]int{}}
	for _, w := range p.Warnings {
		switch {
		case strings.Contains(w, "is marked absent but"):
			n.blockedGroups++
		case strings.Contains(w, "case-insensitive"):
			n.caseMatches++
		}
	}
	for _, ch := range p.Changes {
		switch ch.Action {
		case plan.Create:
			n.creates++
		case plan.Adopt:
			n.adopts++
		case plan.Update:
			n.updates++
		case plan.Delete:
			n.deletes++
		}
		if len(ch.Ops) == 0 {
			fail("%s %s %s has no operations", ch.Action, ch.Kind, ch.Name)
		}
		for _, op := range ch.Ops {
			n.ops[op.Type]++
			check(op)
		}
	}
	return n
}

// checkMatchesManifests is an oracle independent of Diff: after apply, every
// desired user exists, is managed and has exactly its manifest attributes,
// and no managed user the manifests offboard is left.
func checkMatchesManifests(t *testing.T, seed uint64, env *manifest.Environment, acct *state.Account, desired map[string]*manifest.User, untouched map[string]iamtest.User) {
	t.Helper()
	for _, u := range acct.Users {
		_, leftAlone := untouched[u.Name]
		if plan.Managed(plan.FixtureConfig, u) && desired[strings.ToLower(u.Name)] == nil && !leftAlone {
			t.Errorf("seed %d: managed user %q is offboarded in the manifests but still exists", seed, u.Name)
		}
	}
	for lname, m := range desired {
		var live *state.User
		for name, u := range acct.Users {
			if strings.ToLower(name) == lname {
				live = u
			}
		}
		if live == nil {
			t.Errorf("seed %d: desired user %q does not exist", seed, m.Name)
			continue
		}
		want, got := userAttrs(env, acct, m, live)
		if diff := diffEmpty(want, got); diff != "" {
			t.Errorf("seed %d: user %q after apply (-manifest +live):\n%s", seed, m.Name, diff)
		}
	}
	for _, grp := range env.Groups {
		var live *state.Group
		for name, lg := range acct.Groups {
			if strings.EqualFold(name, grp.Name) {
				live = lg
			}
		}
		switch {
		case grp.Absent && live != nil:
			// Only a member roster leaves alone may keep an absent group
			// alive.
			if !slices.ContainsFunc(live.Members, func(m string) bool { _, ok := untouched[m]; return ok }) {
				t.Errorf("seed %d: absent group %q still exists with members %v", seed, grp.Name, live.Members)
			}
		case !grp.Absent && live == nil:
			t.Errorf("seed %d: declared group %q does not exist", seed, grp.Name)
		case !grp.Absent:
			want := []any{grp.Path, plan.SortedSet(grp.ManagedPolicies), grp.InlinePolicies}
			got := []any{live.Path, live.ManagedPolicies, live.InlinePolicies}
			if diff := diffEmpty(want, got); diff != "" {
				t.Errorf("seed %d: group %q after apply (-manifest +live):\n%s", seed, grp.Name, diff)
			}
		}
	}
}

// attrs is what roster manages of a user.
type attrs struct {
	Path, Boundary          string
	Groups, ManagedPolicies []string
	InlinePolicies, Tags    map[string]string
	Console                 bool
}

// userAttrs is what the manifest asks of a user, and what live has.
func userAttrs(env *manifest.Environment, acct *state.Account, m *manifest.User, live *state.User) (want, got attrs) {
	tags := m.Tags.Map()
	if tags == nil {
		tags = map[string]string{}
	}
	tags["roster:managed"] = "true"
	if m.Kind == manifest.ServiceAccount {
		tags["roster:owner"] = m.Owner
	}
	inline := maps.Clone(m.InlinePolicies)
	if m.Console && env.Guardrails.ConsoleRequiresMFA {
		if inline == nil {
			inline = map[string]string{}
		}
		inline[plan.RequireMFAPolicyName] = plan.RequireMFAPolicy
	}
	var groups []string
	for _, grp := range m.Groups {
		for gname := range acct.Groups {
			if strings.EqualFold(gname, grp) {
				groups = append(groups, gname)
			}
		}
	}
	want = attrs{Path: m.Path, Boundary: m.PermissionsBoundary, Groups: plan.SortedSet(groups), ManagedPolicies: plan.SortedSet(m.ManagedPolicies),
		InlinePolicies: inline, Tags: tags, Console: m.Console}
	got = attrs{Path: live.Path, Boundary: live.PermissionsBoundary, Groups: live.Groups, ManagedPolicies: live.ManagedPolicies,
		InlinePolicies: live.InlinePolicies, Tags: live.Tags, Console: live.LoginProfile}
	return want, got
}

// diffEmpty is cmp.Diff with empty and nil equal, answered by
// reflect.DeepEqual when the values are equal, the common case, at a
// fraction of cmp's cost.
func diffEmpty(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return cmp.Diff(want, got, cmpopts.EquateEmpty())
}
