package plan

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// sim applies plan operations to a state.Account the way IAM would, strictly:
// every operation must find what it works on (NoSuchEntity otherwise), must
// not create what exists (EntityAlreadyExists), and DeleteUser, DeleteGroup
// and DeleteVirtualMFADevice refuse while anything is still attached
// (DeleteConflict). Being stricter than IAM where IAM is lenient (attaching a
// policy twice, untagging a missing key) makes redundant operations fail.
type sim struct {
	acct *state.Account
	// virtual maps a virtual MFA device's serial to the user it is assigned
	// to, or "" once deactivated.
	virtual map[string]string
	ids     int
}

func (s *sim) user(name string) (*state.User, error) {
	u := s.acct.Users[name]
	if u == nil {
		return nil, fmt.Errorf("NoSuchEntity: user %q", name)
	}
	return u, nil
}

func (s *sim) group(name string) (*state.Group, error) {
	g := s.acct.Groups[name]
	if g == nil {
		return nil, fmt.Errorf("NoSuchEntity: group %q", name)
	}
	return g, nil
}

func (s *sim) id(prefix string) string {
	s.ids++
	return fmt.Sprintf("%s%06d", prefix, s.ids)
}

// addSorted adds v to the sorted set *set; it fails when v is present.
func addSorted(set *[]string, v, what string) error {
	i, found := slices.BinarySearch(*set, v)
	if found {
		return fmt.Errorf("EntityAlreadyExists: %s %q", what, v)
	}
	*set = slices.Insert(*set, i, v)
	return nil
}

// removeSorted removes v from the sorted set *set; it fails when v is absent.
func removeSorted(set *[]string, v, what string) error {
	i, found := slices.BinarySearch(*set, v)
	if !found {
		return fmt.Errorf("NoSuchEntity: %s %q", what, v)
	}
	*set = slices.Delete(*set, i, i+1)
	if len(*set) == 0 {
		*set = nil
	}
	return nil
}

func (s *sim) apply(op Op) error {
	switch op.Type {
	case OpCreateUser:
		for name := range s.acct.Users {
			if strings.EqualFold(name, op.User) {
				return fmt.Errorf("EntityAlreadyExists: user %q", name)
			}
		}
		if len(op.Tags) > 50 {
			return fmt.Errorf("LimitExceeded: %d tags", len(op.Tags))
		}
		s.acct.Users[op.User] = &state.User{
			Name: op.User, Path: op.Path, ARN: "arn:aws:iam::" + s.acct.AccountID + ":user" + op.Path + op.User,
			ID: s.id("AIDA"), Tags: maps.Clone(op.Tags), PermissionsBoundary: op.PolicyARN,
			Details: state.LoginProfile | state.Credentials,
		}
		return nil
	case OpCreateGroup:
		for name := range s.acct.Groups {
			if strings.EqualFold(name, op.Group) {
				return fmt.Errorf("EntityAlreadyExists: group %q", name)
			}
		}
		s.acct.Groups[op.Group] = &state.Group{Name: op.Group, Path: op.Path, ID: s.id("AGPA"),
			ARN: "arn:aws:iam::" + s.acct.AccountID + ":group" + op.Path + op.Group}
		return nil
	case OpDeleteVirtualMFADevice:
		owner, ok := s.virtual[op.ID]
		if !ok {
			return fmt.Errorf("NoSuchEntity: virtual MFA device %q", op.ID)
		}
		if owner != "" {
			return fmt.Errorf("DeleteConflict: virtual MFA device %q is still assigned to %q", op.ID, owner)
		}
		delete(s.virtual, op.ID)
		return nil
	case OpUpdateGroup, OpDeleteGroup, OpAttachGroupPolicy, OpDetachGroupPolicy, OpPutGroupPolicy, OpDeleteGroupPolicy:
		return s.applyGroup(op)
	default:
		return s.applyUser(op)
	}
}

// applyUser applies an operation on an existing user.
func (s *sim) applyUser(op Op) error {
	u, err := s.user(op.User)
	if err != nil {
		return err
	}
	switch op.Type {
	case OpUpdateUser:
		u.Path = op.Path
	case OpDeleteUser:
		switch {
		case u.LoginProfile, len(u.AccessKeys) > 0, len(u.MFADevices) > 0, len(u.SSHPublicKeys) > 0,
			len(u.SigningCertificates) > 0, len(u.ServiceSpecificCredentials) > 0, len(u.Groups) > 0,
			len(u.ManagedPolicies) > 0, len(u.InlinePolicies) > 0, u.PermissionsBoundary != "":
			return fmt.Errorf("DeleteConflict: user %q still has attachments: %+v", u.Name, u)
		}
		delete(s.acct.Users, u.Name)
	case OpTagUser:
		if len(op.Tags) == 0 {
			return fmt.Errorf("ValidationError: TagUser without tags")
		}
		if u.Tags == nil {
			u.Tags = map[string]string{}
		}
		maps.Copy(u.Tags, op.Tags)
		if len(u.Tags) > 50 {
			return fmt.Errorf("LimitExceeded: user %q would have %d tags", u.Name, len(u.Tags))
		}
	case OpUntagUser:
		if len(op.TagKeys) == 0 {
			return fmt.Errorf("ValidationError: UntagUser without keys")
		}
		for _, k := range op.TagKeys {
			if _, ok := u.Tags[k]; !ok {
				return fmt.Errorf("NoSuchEntity: tag %q on %q", k, u.Name)
			}
			delete(u.Tags, k)
		}
	case OpAddUserToGroup:
		g, err := s.group(op.Group)
		if err != nil {
			return err
		}
		if err := addSorted(&u.Groups, g.Name, "membership"); err != nil {
			return err
		}
		return addSorted(&g.Members, u.Name, "member")
	case OpRemoveUserFromGroup:
		g, err := s.group(op.Group)
		if err != nil {
			return err
		}
		if err := removeSorted(&u.Groups, g.Name, "membership"); err != nil {
			return err
		}
		return removeSorted(&g.Members, u.Name, "member")
	case OpAttachUserPolicy:
		return addSorted(&u.ManagedPolicies, op.PolicyARN, "attached policy")
	case OpDetachUserPolicy:
		return removeSorted(&u.ManagedPolicies, op.PolicyARN, "attached policy")
	case OpPutUserPolicy:
		if op.PolicyName == "" || op.PolicyDocument == "" {
			return fmt.Errorf("ValidationError: PutUserPolicy needs a name and a document")
		}
		if u.InlinePolicies == nil {
			u.InlinePolicies = map[string]string{}
		}
		u.InlinePolicies[op.PolicyName] = op.PolicyDocument
	case OpDeleteUserPolicy:
		if _, ok := u.InlinePolicies[op.PolicyName]; !ok {
			return fmt.Errorf("NoSuchEntity: inline policy %q on %q", op.PolicyName, u.Name)
		}
		delete(u.InlinePolicies, op.PolicyName)
	case OpPutUserPermissionsBoundary:
		u.PermissionsBoundary = op.PolicyARN
	case OpDeleteUserPermissionsBoundary:
		if u.PermissionsBoundary == "" {
			return fmt.Errorf("NoSuchEntity: boundary on %q", u.Name)
		}
		u.PermissionsBoundary = ""
	case OpCreateLoginProfile:
		if u.LoginProfile {
			return fmt.Errorf("EntityAlreadyExists: login profile of %q", u.Name)
		}
		if op.PGPKey == "" {
			return fmt.Errorf("ValidationError: no PGP key to encrypt the password of %q to", u.Name)
		}
		u.LoginProfile = true
	case OpDeleteLoginProfile:
		if !u.LoginProfile {
			return fmt.Errorf("NoSuchEntity: login profile of %q", u.Name)
		}
		u.LoginProfile = false
	case OpDeleteAccessKey:
		i := slices.IndexFunc(u.AccessKeys, func(k state.AccessKey) bool { return k.ID == op.ID })
		if i < 0 {
			return fmt.Errorf("NoSuchEntity: access key %q", op.ID)
		}
		u.AccessKeys = slices.Delete(u.AccessKeys, i, i+1)
	case OpDeactivateMFADevice:
		if err := removeSorted(&u.MFADevices, op.ID, "MFA device"); err != nil {
			return err
		}
		if _, ok := s.virtual[op.ID]; ok {
			s.virtual[op.ID] = ""
		}
	case OpDeleteSSHPublicKey:
		return removeSorted(&u.SSHPublicKeys, op.ID, "SSH public key")
	case OpDeleteSigningCertificate:
		return removeSorted(&u.SigningCertificates, op.ID, "signing certificate")
	case OpDeleteServiceSpecificCredential:
		i := slices.IndexFunc(u.ServiceSpecificCredentials, func(c state.ServiceCredential) bool { return c.ID == op.ID })
		if i < 0 {
			return fmt.Errorf("NoSuchEntity: service-specific credential %q", op.ID)
		}
		u.ServiceSpecificCredentials = slices.Delete(u.ServiceSpecificCredentials, i, i+1)
	default:
		return fmt.Errorf("unknown operation %q", op.Type)
	}
	return nil
}

func (s *sim) applyGroup(op Op) error {
	g, err := s.group(op.Group)
	if err != nil {
		return err
	}
	switch op.Type {
	case OpUpdateGroup:
		g.Path = op.Path
	case OpDeleteGroup:
		if len(g.Members) > 0 || len(g.ManagedPolicies) > 0 || len(g.InlinePolicies) > 0 {
			return fmt.Errorf("DeleteConflict: group %q still has members or policies: %+v", g.Name, g)
		}
		delete(s.acct.Groups, g.Name)
	case OpAttachGroupPolicy:
		return addSorted(&g.ManagedPolicies, op.PolicyARN, "attached group policy")
	case OpDetachGroupPolicy:
		return removeSorted(&g.ManagedPolicies, op.PolicyARN, "attached group policy")
	case OpPutGroupPolicy:
		if g.InlinePolicies == nil {
			g.InlinePolicies = map[string]string{}
		}
		g.InlinePolicies[op.PolicyName] = op.PolicyDocument
	case OpDeleteGroupPolicy:
		if _, ok := g.InlinePolicies[op.PolicyName]; !ok {
			return fmt.Errorf("NoSuchEntity: group inline policy %q", op.PolicyName)
		}
		delete(g.InlinePolicies, op.PolicyName)
	default:
		return fmt.Errorf("not a group operation: %q", op.Type)
	}
	return nil
}

// Random worlds.
var (
	genUsers    = []string{"ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy"}
	genGroups   = []string{"admins", "devs", "ops", "readers", "legacy"}
	genPolicies = []string{"arn:aws:iam::aws:policy/P0", "arn:aws:iam::aws:policy/P1", "arn:aws:iam::aws:policy/P2", "arn:aws:iam::111122223333:policy/P3"}
	genBounds   = []string{"", "", "arn:aws:iam::111122223333:policy/B0", "arn:aws:iam::111122223333:policy/B1"}
	genDocs     = []string{docA, docB, `{"Statement":[{"Action":"ec2:*","Effect":"Deny","Resource":"*"}],"Version":"2012-10-17"}`}
	genInline   = []string{"i0", "i1", "i2"}
	genTagKeys  = []string{"team", "email", "cost-center"}
	genTagVals  = []string{"x", "y"}
	genPaths    = []string{"/", "/", "/people/", "/machines/"}
)

type gen struct{ r *rand.Rand }

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

// maybeCapitalize returns name with an upper-case first letter now and then,
// to exercise IAM's case-insensitive names.
func (g gen) maybeCapitalize(name string) string {
	if g.chance(0.1) {
		return strings.ToUpper(name[:1]) + name[1:]
	}
	return name
}

// world generates a desired environment and a live account that differ in
// every way roster cares about.
func (g gen) world() (*manifest.Environment, *sim) {
	env := testEnv(nil, nil)
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
	days := []*time.Time{date("2026-05-31"), date("2026-06-01"), date("2026-06-02"), date("2020-01-01")}
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
			Tags:                g.tags(),
		}
		if g.chance(0.3) {
			u.Kind = manifest.ServiceAccount
			u.Owner = g.pick([]string{"platform", "payments"})
		} else if g.chance(0.5) {
			u.Console, u.PGPKey = true, pgp
		}
		if g.chance(0.3) {
			u.Expires = days[g.r.IntN(len(days))]
		}
		env.Users = append(env.Users, u)
	}

	s := &sim{acct: account(), virtual: map[string]string{}}
	for _, name := range genGroups {
		if g.chance(0.5) {
			s.acct.Groups[name] = &state.Group{Name: name, Path: g.pick(genPaths), ManagedPolicies: sortedSet(g.subset(genPolicies, 0.3)),
				InlinePolicies: g.inline()}
		}
	}
	liveGroups := sortedKeys(s.acct.Groups)
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
		u := liveUser(name, nilIfEmpty(tags))
		u.Path = g.pick(genPaths)
		u.ManagedPolicies = sortedSet(g.subset(genPolicies, 0.3))
		u.InlinePolicies = g.inline()
		u.PermissionsBoundary = g.pick(genBounds)
		u.LoginProfile = g.chance(0.4)
		for _, grp := range g.subset(liveGroups, 0.3) {
			u.Groups = append(u.Groups, grp)
			s.acct.Groups[grp].Members = append(s.acct.Groups[grp].Members, name)
		}
		for i := range g.r.IntN(3) {
			u.AccessKeys = append(u.AccessKeys, state.AccessKey{ID: fmt.Sprintf("AKIA%s%d", strings.ToUpper(name), i), Status: "Active"})
		}
		if g.chance(0.3) {
			serial := "arn:aws:iam::111122223333:mfa/" + name
			u.MFADevices = append(u.MFADevices, serial)
			s.virtual[serial] = name
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
		s.acct.Users[name] = u
	}
	return env, s
}

// TestConvergence generates hundreds of (desired, live) pairs, applies each
// plan to a simulated account with IAM's rules, and checks that the next plan
// is empty, that the account then holds exactly what the manifests say, and
// that no operation ever touched an unmanaged user or an undeclared group.
func TestConvergence(t *testing.T) {
	t.Parallel()
	const cases = 600
	var creates, adopts, updates, deletes, blockedGroups, caseMatches int
	for seed := range uint64(cases) {
		g := gen{r: rand.New(rand.NewPCG(seed, 0x5eed))}
		env, s := g.world()
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("seed %d: %s", seed, fmt.Sprintf(format, args...))
		}

		// The test's own view of who stays unmanaged and which groups are
		// declared, independent of the diff.
		desired := map[string]*manifest.User{}
		for _, u := range env.Users {
			if u.Expires == nil || !u.Expires.Before(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)) {
				desired[strings.ToLower(u.Name)] = u
			}
		}
		unmanaged := map[string]*state.User{}
		for name, u := range s.acct.Users {
			if !Managed(testCfg, u) && desired[name] == nil {
				unmanaged[name] = u.Clone()
			}
		}
		declared := map[string]bool{}
		for _, grp := range env.Groups {
			declared[strings.ToLower(grp.Name)] = true
		}

		p := Diff(testCfg, env, s.acct, testNow)
		if again := Diff(testCfg, env, s.acct, testNow); !cmp.Equal(p, again) {
			fail("Diff is not deterministic: %s", cmp.Diff(p, again))
		}
		for _, w := range p.Warnings {
			switch {
			case strings.Contains(w, "is marked absent but"):
				blockedGroups++
			case strings.Contains(w, "case-insensitive"):
				caseMatches++
			}
		}
		for _, ch := range p.Changes {
			switch ch.Action {
			case Create:
				creates++
			case Adopt:
				adopts++
			case Update:
				updates++
			case Delete:
				deletes++
			}
			if len(ch.Ops) == 0 {
				fail("%s %s %s has no operations", ch.Action, ch.Kind, ch.Name)
			}
			for _, op := range ch.Ops {
				if unmanaged[op.User] != nil {
					fail("%s touches unmanaged user %q", op.Type, op.User)
				}
				if op.Type == OpDeleteVirtualMFADevice && unmanaged[s.virtual[op.ID]] != nil {
					fail("%s touches unmanaged user %q's device", op.Type, s.virtual[op.ID])
				}
				if op.Group != "" && op.User == "" && !declared[strings.ToLower(op.Group)] {
					fail("%s touches group %q, which the manifests do not declare", op.Type, op.Group)
				}
			}
		}
		for _, ch := range p.Changes {
			for i, op := range ch.Ops {
				if err := s.apply(op); err != nil {
					fail("apply %s %s %s, op %d %s: %v", ch.Action, ch.Kind, ch.Name, i, op.Type, err)
				}
			}
		}

		if after := Diff(testCfg, env, s.acct, testNow); after.HasChanges() {
			fail("plan after apply is not empty:\n%s", cmp.Diff([]Change{}, after.Changes))
		}
		for name, before := range unmanaged {
			if diff := cmp.Diff(before, s.acct.Users[name]); diff != "" {
				fail("unmanaged user %q changed (-before +after):\n%s", name, diff)
			}
		}
		checkMatchesManifests(t, seed, env, s.acct, desired)
	}
	t.Logf("%d cases: %d creates, %d adopts, %d updates, %d deletes, %d absent groups kept for unmanaged members, %d names matched ignoring case",
		cases, creates, adopts, updates, deletes, blockedGroups, caseMatches)
	if creates == 0 || adopts == 0 || updates == 0 || deletes == 0 || blockedGroups == 0 || caseMatches == 0 {
		t.Errorf("generator does not cover every situation: %d creates, %d adopts, %d updates, %d deletes, %d blocked groups, %d case matches",
			creates, adopts, updates, deletes, blockedGroups, caseMatches)
	}
}

// checkMatchesManifests is an oracle independent of Diff: after apply, every
// desired user exists, is managed and has exactly its manifest attributes,
// and no other managed user is left.
func checkMatchesManifests(t *testing.T, seed uint64, env *manifest.Environment, acct *state.Account, desired map[string]*manifest.User) {
	t.Helper()
	for _, u := range acct.Users {
		if Managed(testCfg, u) && desired[strings.ToLower(u.Name)] == nil {
			t.Errorf("seed %d: managed user %q is not in the manifests but still exists", seed, u.Name)
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
		tags := maps.Clone(m.Tags)
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
			inline[RequireMFAPolicyName] = RequireMFAPolicy
		}
		var groups []string
		for _, grp := range m.Groups {
			for gname := range acct.Groups {
				if strings.EqualFold(gname, grp) {
					groups = append(groups, gname)
				}
			}
		}
		type attrs struct {
			Path, Boundary          string
			Groups, ManagedPolicies []string
			InlinePolicies, Tags    map[string]string
			Console                 bool
		}
		want := attrs{Path: m.Path, Boundary: m.PermissionsBoundary, Groups: sortedSet(groups), ManagedPolicies: sortedSet(m.ManagedPolicies),
			InlinePolicies: inline, Tags: tags, Console: m.Console}
		got := attrs{Path: live.Path, Boundary: live.PermissionsBoundary, Groups: live.Groups, ManagedPolicies: live.ManagedPolicies,
			InlinePolicies: live.InlinePolicies, Tags: live.Tags, Console: live.LoginProfile}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
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
			// Only an unmanaged member may keep an absent group alive.
			if !slices.ContainsFunc(live.Members, func(m string) bool { return !Managed(testCfg, acct.Users[m]) }) {
				t.Errorf("seed %d: absent group %q still exists with members %v", seed, grp.Name, live.Members)
			}
		case !grp.Absent && live == nil:
			t.Errorf("seed %d: declared group %q does not exist", seed, grp.Name)
		case !grp.Absent:
			want := []any{grp.Path, sortedSet(grp.ManagedPolicies), grp.InlinePolicies}
			got := []any{live.Path, live.ManagedPolicies, live.InlinePolicies}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("seed %d: group %q after apply (-manifest +live):\n%s", seed, grp.Name, diff)
			}
		}
	}
}
