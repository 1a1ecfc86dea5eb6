package plan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// Managed reports whether roster manages the live user: it carries the
// ownership tag (cfg.OwnershipTag, "roster:managed" by default) with the
// value "true". Users without it are never changed.
func Managed(cfg manifest.Config, u *state.User) bool {
	return u != nil && u.Tags[cfg.OwnershipKey()] == "true"
}

// Needs tells a live-state reader, after the account-wide read, which
// per-user details Diff needs for a live user: LoginProfile for every user
// that is managed or named in the manifests (console access is a managed
// attribute), and Credentials for every managed user the plan will delete,
// one whose entry is a tombstone or has expired (its access keys, MFA
// devices, SSH keys, signing certificates and service-specific credentials
// must go before DeleteUser). Names are matched case-insensitively, as IAM
// does.
func Needs(cfg manifest.Config, env *manifest.Environment, now time.Time) func(*state.User) state.Details {
	named := make(map[string]bool, len(env.Users))
	leaving := make(map[string]bool, len(env.Users))
	rotated := make(map[string]bool)
	for _, u := range env.Users {
		k := strings.ToLower(u.Name)
		named[k] = true
		if offboarded(u, now) {
			leaving[k] = true
		} else if u.AccessKey != nil {
			rotated[k] = true
		}
	}
	return func(u *state.User) state.Details {
		var d state.Details
		if env.Unmanaged.Ignores(u.Name) {
			return d
		}
		k := strings.ToLower(u.Name)
		m := Managed(cfg, u)
		if m || named[k] {
			d |= state.LoginProfile
		}
		if m && leaving[k] {
			d |= state.Credentials
		}
		if rotated[k] {
			d |= state.AccessKeys
		}
		return d
	}
}

// Diff computes the plan that makes the live account match the environment's
// manifests. It is a pure function of its arguments: no I/O, no clock (now is
// the plan's date), and a deterministic result. live must carry the per-user
// details Needs asks for; where they are missing, Diff leaves console access
// alone and warns. A nil live is an empty account.
//
// Users. The desired users are the manifest users that are not tombstones
// (absent) and whose Expires is unset or not before now's UTC date (a user
// exists through its expiry day). A desired
// user's tags are its manifest tags plus the ownership tag ("true") and, for
// a service account, the owner tag. With console_requires_mfa, a console
// user also gets the inline policy RequireMFAPolicyName. Then, per user:
//
//   - desired, not live: Create. CreateUser with path, tags and permissions
//     boundary, then AddUserToGroup, AttachUserPolicy and PutUserPolicy for
//     each item, then CreateLoginProfile for console users.
//   - desired, live and managed: Update when anything roster manages differs
//     (path, groups, managed and inline policies, boundary, the whole tag set,
//     console access). Group memberships and policies are exclusive: ones the
//     manifests do not name are removed. Operations: UpdateUser (path),
//     UntagUser, TagUser, the boundary, then removals before additions
//     (RemoveUserFromGroup, DetachUserPolicy, DeleteUserPolicy, then
//     AddUserToGroup, AttachUserPolicy, PutUserPolicy), then the login profile.
//   - desired, live, not managed: Adopt. TagUser with the ownership (and
//     owner) tag first, then the update operations.
//   - managed, and its entry is a tombstone or has expired: Delete, with
//     every teardown step IAM requires before DeleteUser. Deletion needs
//     this evidence in the repository: the tag alone is no proof (anyone
//     with iam:TagUser can set it).
//   - managed but not declared at all: never changed; listed in
//     Environment.Undeclared with a warning that says how to offboard it.
//   - neither managed nor desired: unmanaged. Never changed; listed in
//     Environment.Unmanaged.
//   - matched by an unmanaged.ignore glob: never changed and never listed,
//     whatever its tags (the loader refuses to declare such a name).
//
// Groups. A declared group is created or updated (path and exclusive
// attached and inline policies); its membership is carried by the user
// changes. Unmanaged members of a managed group stay, with a warning (unless
// unmanaged.ignore matches them). A group
// marked absent is deleted after its desired members are removed from it; if
// an unmanaged user is a member, roster does not touch it and warns instead.
// A live group the manifests do not name is left alone.
//
// IAM names are case-insensitive: a manifest name that differs from a live
// name only in case refers to the live user or group, and the plan uses the
// live spelling (with a warning).
//
// Order. Changes are listed in apply order, by Order: group creates, adopts,
// group updates, user creates and updates, user deletes, group deletes; by
// name within each. Each change carries its Phase and the changes it
// depends on.
//
// Guardrails. When the plan deletes more users than max_deletions, Refused
// says so; the changes stay listed so reviewers see what was refused.
func Diff(cfg manifest.Config, env *manifest.Environment, live *state.Account, now time.Time) *Environment {
	if live == nil {
		live = &state.Account{}
	}
	d := &differ{
		cfg:      cfg,
		env:      env,
		live:     live,
		now:      now,
		ownTag:   cfg.OwnershipKey(),
		ownerTag: cfg.OwnerKey(),
	}
	return d.run()
}

// differ holds the state of one Diff call.
type differ struct {
	cfg            manifest.Config
	env            *manifest.Environment
	live           *state.Account
	now            time.Time
	ownTag         string
	ownerTag       string
	liveUserNames  map[string]string // lower-case name -> live name
	liveGroupNames map[string]string
	groupNames     map[string]string // lower-case declared name -> resolved name
	absentGroups   map[string]bool   // resolved names of groups marked absent
	deletingGroups map[string]bool   // absent groups this plan deletes
	want           map[string]*wantUser
	leaving        map[string]*manifest.User // tombstoned or expired, by resolved name
	// ended are the memberships whose expires has passed, by resolved
	// user name and group name.
	ended     map[string]map[string]manifest.Expiry
	untouched map[string]bool // live users roster leaves alone
	// orphans are the unassigned virtual MFA devices by the lower-case
	// name they carry (orphanOps).
	orphans  map[string][]string
	warnings []string
}

// wantUser is a desired user with its resolved name and desired resource.
type wantUser struct {
	m    *manifest.User
	name string
	res  Resource
}

func (d *differ) run() *Environment {
	out := &Environment{
		Name:       d.env.Name,
		AccountID:  d.env.AccountID,
		Production: d.env.Production,
	}
	d.resolveNames()
	d.desiredUsers()
	d.orphanDevices()

	d.classifyUntouched(out)

	groupCreates, groupUpdates, groupDeletes := d.groupChanges()
	var adopts, userChanges, userDeletes []Change
	for _, name := range sortedKeys(d.want) {
		w := d.want[name]
		lu := d.live.Users[name]
		switch {
		case lu == nil:
			userChanges = append(userChanges, d.createUser(w))
		case Managed(d.cfg, lu):
			if ch, ok := d.updateUser(w, lu, false); ok {
				userChanges = append(userChanges, ch)
			}
		default:
			ch, _ := d.updateUser(w, lu, true)
			adopts = append(adopts, ch)
		}
	}
	for _, name := range sortedKeys(d.live.Users) {
		if d.want[name] != nil || d.untouched[name] {
			continue
		}
		userDeletes = append(userDeletes, d.deleteUser(d.live.Users[name]))
	}

	out.Changes = slices.Concat(groupCreates, groupUpdates, groupDeletes, adopts, userChanges, userDeletes)
	if out.Changes == nil {
		out.Changes = []Change{}
	}
	Order(out.Changes)
	out.AccessKeys = d.accessKeys(d.now)
	out.Refused = d.refusal(len(userDeletes))
	out.TimeBound = d.timeBound()
	slices.Sort(d.warnings)
	out.Warnings = slices.Compact(d.warnings)
	out.Digest = DigestOf(out.AccountID, out.Changes)
	return out
}

// classifyUntouched finds the live users roster leaves alone, lists the
// unmanaged and the undeclared ones in out, and warns about them. What is
// left of the live users that are not desired is offboarded: managed, and
// tombstoned or expired in the manifests.
func (d *differ) classifyUntouched(out *Environment) {
	d.untouched = map[string]bool{}
	for _, name := range sortedKeys(d.live.Users) {
		u := d.live.Users[name]
		m := d.leaving[name]
		switch {
		case d.want[name] != nil:
			continue
		case d.env.Unmanaged.Ignores(name):
			// Whatever its tags: a tag is no proof of ownership.
		case !Managed(d.cfg, u):
			if m != nil {
				d.warnf("%s %q is marked for offboarding (%s) but is not managed by roster (it lacks the %s tag), so roster does not delete it; delete it by hand, then remove its entry",
					kindOf(m).Noun(), name, leaveReason(m), d.ownTag)
			}
			out.Unmanaged = append(out.Unmanaged, Unmanaged{Name: name, ARN: u.ARN})
		case m == nil:
			d.warnings = append(d.warnings, UndeclaredWarning(d.ownTag, d.env.Name, name))
			out.Undeclared = append(out.Undeclared, Unmanaged{Name: name, ARN: u.ARN})
		default:
			continue // offboarded
		}
		d.untouched[name] = true
	}
}

// UndeclaredWarning is the plan's warning about a user that carries the
// ownership tag ownTag in environment env but that no manifest declares.
// Drift reports such a user as a finding instead, and leaves this warning
// out of its notes.
func UndeclaredWarning(ownTag, env, name string) string {
	return fmt.Sprintf("user %q is managed but not declared: it carries the %s tag, but no manifest of %s names it, so roster does not change or delete it. Add an entry with `absent: true` to offboard it, or remove the tag",
		name, ownTag, env)
}

// resolveNames maps manifest names to live names case-insensitively.
func (d *differ) resolveNames() {
	d.liveUserNames = map[string]string{}
	for _, name := range sortedKeys(d.live.Users) {
		d.liveUserNames[strings.ToLower(name)] = name
	}
	d.liveGroupNames = map[string]string{}
	for _, name := range sortedKeys(d.live.Groups) {
		d.liveGroupNames[strings.ToLower(name)] = name
	}
	d.groupNames = map[string]string{}
	d.absentGroups = map[string]bool{}
	for _, g := range d.env.Groups {
		name := g.Name
		if ln, ok := d.liveGroupNames[strings.ToLower(name)]; ok && ln != name {
			d.warnf("group %q is called %q in the account; IAM names are case-insensitive, so roster manages the existing group %q", name, ln, ln)
			name = ln
		}
		d.groupNames[strings.ToLower(g.Name)] = name
		if g.Absent {
			d.absentGroups[name] = true
		}
	}
}

// groupName resolves a group reference from a user entry.
func (d *differ) groupName(ref string) string {
	if n, ok := d.groupNames[strings.ToLower(ref)]; ok {
		return n
	}
	if n, ok := d.liveGroupNames[strings.ToLower(ref)]; ok {
		return n
	}
	return ref
}

// desiredUsers fills d.want and d.leaving from the manifest users. A name
// unmanaged.ignore matches is neither (the loader refuses it).
func (d *differ) desiredUsers() {
	d.want = map[string]*wantUser{}
	d.leaving = map[string]*manifest.User{}
	d.ended = map[string]map[string]manifest.Expiry{}
	for _, m := range d.env.Users {
		name := m.Name
		if ln, ok := d.liveUserNames[strings.ToLower(name)]; ok && ln != name {
			d.warnf("user %q is called %q in the account; IAM names are case-insensitive, so roster manages the existing user %q", name, ln, ln)
			name = ln
		}
		if d.env.Unmanaged.Ignores(name) {
			continue
		}
		if offboarded(m, d.now) {
			d.leaving[name] = m
			continue
		}
		d.want[name] = &wantUser{m: m, name: name, res: d.desiredResource(m, name)}
	}
}

// desiredResource is the user as the manifests want it in the account.
// A membership whose expires has passed is not wanted: it is noted in
// d.ended, so the change that removes it says why.
func (d *differ) desiredResource(m *manifest.User, name string) Resource {
	r := Resource{
		Path: cmp.Or(m.Path, d.cfg.Defaults.Path, "/"),
		Access: state.Access{
			ManagedPolicies:     sortedSet(m.ManagedPolicies),
			PermissionsBoundary: m.PermissionsBoundary,
		},
		Console: m.Kind != manifest.ServiceAccount && m.Console,
	}
	var groups []string
	for _, ref := range m.Groups {
		g := d.groupName(ref)
		if e, ok := m.GroupExpires[ref]; ok && e.Passed(d.now) {
			if d.ended[name] == nil {
				d.ended[name] = map[string]manifest.Expiry{}
			}
			d.ended[name][g] = e
			continue
		}
		if !d.absentGroups[g] { // the loader rejects this; never join a group being deleted
			groups = append(groups, g)
		}
	}
	r.Groups = sortedSet(groups)
	inline := maps.Clone(m.InlinePolicies)
	if r.Console && d.env.Guardrails.ConsoleRequiresMFA {
		if inline == nil {
			inline = map[string]string{}
		}
		inline[RequireMFAPolicyName] = RequireMFAPolicy
	}
	r.InlinePolicies = nilIfEmpty(inline)
	tags := m.Tags.Map()
	if tags == nil {
		tags = map[string]string{}
	}
	tags[d.ownTag] = "true"
	if owner, ok := m.OwnerTagValue(); ok {
		tags[d.ownerTag] = owner
	}
	r.Tags = tags
	return r
}

// liveResource is the live user's snapshot.
func liveResource(u *state.User) Resource {
	return Resource{
		Path: u.Path,
		Access: state.Access{
			Groups:              sortedSet(u.Groups),
			ManagedPolicies:     sortedSet(u.ManagedPolicies),
			InlinePolicies:      nilIfEmpty(maps.Clone(u.InlinePolicies)),
			PermissionsBoundary: u.PermissionsBoundary,
			Tags:                nilIfEmpty(lifecycleTagsRemoved(maps.Clone(u.Tags))),
		},
		Console: u.LoginProfile,
	}
}

func kindOf(m *manifest.User) Kind {
	if m.Kind == manifest.ServiceAccount {
		return KindServiceAccount
	}
	return KindUser
}

// createUser plans a new user: one CreateUser, then each attachment.
func (d *differ) createUser(w *wantUser) Change {
	r := w.res
	ops := []Op{{Type: OpCreateUser, User: w.name, Path: r.Path, Tags: maps.Clone(r.Tags), PolicyARN: r.PermissionsBoundary}}
	for _, g := range r.Groups {
		ops = append(ops, Op{Type: OpAddUserToGroup, User: w.name, Group: g})
	}
	for _, p := range r.ManagedPolicies {
		ops = append(ops, Op{Type: OpAttachUserPolicy, User: w.name, PolicyARN: p})
	}
	for _, n := range sortedKeys(r.InlinePolicies) {
		ops = append(ops, Op{Type: OpPutUserPolicy, User: w.name, PolicyName: n, PolicyDocument: r.InlinePolicies[n]})
	}
	if r.Console {
		ops = append(ops, Op{Type: OpCreateLoginProfile, User: w.name, PGPKey: w.m.PGPKey})
	}
	after := r
	return Change{Action: Create, Kind: kindOf(w.m), Name: w.name, After: &after, Ops: ops}
}

// updateUser plans an update, or an adoption when adopt is set. It reports
// false when an update has nothing to do.
func (d *differ) updateUser(w *wantUser, lu *state.User, adopt bool) (Change, bool) {
	name := w.name
	before := liveResource(lu)
	want := w.res
	if v, ok := lu.Tags[d.ownerTag]; ok && w.m.Kind == manifest.ServiceAccount {
		if _, known := w.m.OwnerTagValue(); !known {
			// owner: unknown writes no owner tag, and removes none either:
			// the live one may well be right.
			want.Tags = maps.Clone(want.Tags)
			want.Tags[d.ownerTag] = v
		}
	}
	var ops []Op

	// The current tags, as the update sees them.
	cur := lifecycleTagsRemoved(maps.Clone(lu.Tags))
	if cur == nil {
		cur = map[string]string{}
	}
	if adopt {
		t := map[string]string{d.ownTag: "true"}
		if owner, ok := w.m.OwnerTagValue(); ok {
			t[d.ownerTag] = owner
		}
		ops = append(ops, Op{Type: OpTagUser, User: name, Tags: t})
		maps.Copy(cur, t)
	}

	if lu.Path != want.Path {
		ops = append(ops, Op{Type: OpUpdateUser, User: name, Path: want.Path})
	}
	// The undelivered-password record is the console's, not a tag to
	// diff (consoleOps).
	delete(cur, manifest.PasswordTag)
	ops = append(ops, tagOps(name, cur, want.Tags)...)
	if lu.PermissionsBoundary != want.PermissionsBoundary {
		if want.PermissionsBoundary == "" {
			ops = append(ops, Op{Type: OpDeleteUserPermissionsBoundary, User: name})
		} else {
			ops = append(ops, Op{Type: OpPutUserPermissionsBoundary, User: name, PolicyARN: want.PermissionsBoundary})
		}
	}
	ops = append(ops, d.attachmentOps(name, &before, &want)...)
	ops = append(ops, d.consoleOps(w, lu)...)
	if !adopt {
		ops = append(ops, d.orphanOps(name)...)
	}

	action := Update
	if adopt {
		action = Adopt
	} else if len(ops) == 0 {
		return Change{}, false
	}
	after := want
	ch := Change{Action: action, Kind: kindOf(w.m), Name: name, Before: &before, After: &after, Ops: ops}
	d.noteEnded(&ch)
	return ch, true
}

// noteEnded marks the memberships the change removes because their expires
// has passed (Change.EndedGroups) and says so in its Reason.
func (d *differ) noteEnded(ch *Change) {
	ended := d.ended[ch.Name]
	var reasons []string
	for _, op := range ch.Ops {
		e, ok := ended[op.Group]
		if op.Type != OpRemoveUserFromGroup || !ok {
			continue
		}
		ch.EndedGroups = append(ch.EndedGroups, op.Group)
		reasons = append(reasons, fmt.Sprintf("membership of %s ended %s", op.Group, endedWhen(e)))
	}
	ch.Reason = strings.Join(reasons, "; ")
}

// endedWhen says when a passed expiry ended: "on 2026-03-31" for a date
// (the last day), "at 2026-12-03 18:00 UTC" for a time.
func endedWhen(e manifest.Expiry) string {
	if e.Day {
		return "on " + e.Written()
	}
	return "at " + e.String()
}

// tagOps makes the user's tag set exactly want: UntagUser for the keys want
// lacks, then TagUser for the keys it adds or changes.
func tagOps(name string, cur, want map[string]string) []Op {
	var ops []Op
	var untag []string
	for _, k := range sortedKeys(cur) {
		if _, ok := want[k]; !ok {
			untag = append(untag, k)
		}
	}
	if len(untag) > 0 {
		ops = append(ops, Op{Type: OpUntagUser, User: name, TagKeys: untag})
	}
	tag := map[string]string{}
	for k, v := range want {
		if old, ok := cur[k]; !ok || old != v {
			tag[k] = v
		}
	}
	if len(tag) > 0 {
		ops = append(ops, Op{Type: OpTagUser, User: name, Tags: tag})
	}
	return ops
}

// attachmentOps makes the user's group memberships, managed and inline
// policies exactly what want says: removals first, then additions.
// Memberships of groups this plan deletes are removed by the group's change.
func (d *differ) attachmentOps(name string, before, want *Resource) []Op {
	var ops []Op
	liveGroups := slices.DeleteFunc(slices.Clone(before.Groups), func(g string) bool { return d.deletingGroups[g] })
	addGroups, removeGroups := setDiff(liveGroups, want.Groups)
	removals, additions := policyOps(userPolicyCalls, Op{User: name}, before, want)
	for _, g := range removeGroups {
		ops = append(ops, Op{Type: OpRemoveUserFromGroup, User: name, Group: g})
	}
	ops = append(ops, removals...)
	for _, g := range addGroups {
		ops = append(ops, Op{Type: OpAddUserToGroup, User: name, Group: g})
	}
	return append(ops, additions...)
}

// policyCalls names the IAM calls that change a user's or a group's
// policies.
type policyCalls struct {
	detach, deleteInline, attach, putInline OpType
}

var (
	userPolicyCalls  = policyCalls{OpDetachUserPolicy, OpDeleteUserPolicy, OpAttachUserPolicy, OpPutUserPolicy}
	groupPolicyCalls = policyCalls{OpDetachGroupPolicy, OpDeleteGroupPolicy, OpAttachGroupPolicy, OpPutGroupPolicy}
)

// policyOps makes the managed and inline policies of the principal that
// who names (its User or Group set) exactly what want says: the removals
// (detach, delete inline) and the additions (attach, put new or changed
// inline documents), each sorted.
func policyOps(c policyCalls, who Op, before, want *Resource) (removals, additions []Op) {
	op := func(t OpType) Op { o := who; o.Type = t; return o }
	attach, detach := setDiff(before.ManagedPolicies, want.ManagedPolicies)
	for _, p := range detach {
		o := op(c.detach)
		o.PolicyARN = p
		removals = append(removals, o)
	}
	for _, n := range sortedKeys(before.InlinePolicies) {
		if _, ok := want.InlinePolicies[n]; !ok {
			o := op(c.deleteInline)
			o.PolicyName = n
			removals = append(removals, o)
		}
	}
	for _, p := range attach {
		o := op(c.attach)
		o.PolicyARN = p
		additions = append(additions, o)
	}
	for _, n := range sortedKeys(want.InlinePolicies) {
		if doc, ok := before.InlinePolicies[n]; !ok || doc != want.InlinePolicies[n] {
			o := op(c.putInline)
			o.PolicyName, o.PolicyDocument = n, want.InlinePolicies[n]
			additions = append(additions, o)
		}
	}
	return removals, additions
}

// consoleOps creates or deletes the login profile so that console access is
// what the manifests say, when the live user's console access was read.
//
// A user carrying manifest.PasswordTag holds a password apply could not
// deliver (every answer to its CreateLoginProfile was lost): a console user
// gets a new one (UpdateLoginProfile, encrypted again, to be changed at
// first sign-in) and the record is removed after it. Anyone with
// iam:TagUser can set the tag, which only causes such a reset, shown in the
// plan, with the new password encrypted to the user's own key.
func (d *differ) consoleOps(w *wantUser, lu *state.User) []Op {
	_, undelivered := lu.Tags[manifest.PasswordTag]
	var ops []Op
	switch {
	case !lu.Details.Has(state.LoginProfile):
		// Without the detail, console access is unknown: changing it
		// could fail or remove access, so leave it and say so.
		d.warnf("console access of user %q was not read from the account, so this plan does not change it", w.name)
		return nil
	case w.res.Console && !lu.LoginProfile:
		// CreateLoginProfile writes and clears the record itself.
		return []Op{{Type: OpCreateLoginProfile, User: w.name, PGPKey: w.m.PGPKey}}
	case w.res.Console && undelivered:
		ops = append(ops, Op{Type: OpUpdateLoginProfile, User: w.name, PGPKey: w.m.PGPKey})
	case !w.res.Console && lu.LoginProfile:
		ops = append(ops, Op{Type: OpDeleteLoginProfile, User: w.name})
	}
	if undelivered {
		ops = append(ops, Op{Type: OpUntagUser, User: w.name, TagKeys: []string{manifest.PasswordTag}})
	}
	return ops
}

// deleteUser plans the offboarding of a managed user: every teardown step
// IAM requires, then DeleteUser.
func (d *differ) deleteUser(lu *state.User) Change {
	name := lu.Name
	before := liveResource(lu)
	m := d.leaving[name]
	reason := leaveReason(m)
	kind := kindOf(m)
	if !lu.Details.Has(state.LoginProfile | state.Credentials) {
		d.warnf("the console access and credentials of user %q were not read from the account, so its teardown may be incomplete and DeleteUser may fail", name)
	}
	var ops []Op
	if lu.LoginProfile {
		ops = append(ops, Op{Type: OpDeleteLoginProfile, User: name})
	}
	keys := slices.Clone(lu.AccessKeys)
	slices.SortFunc(keys, func(a, b state.AccessKey) int { return cmp.Compare(a.ID, b.ID) })
	for _, k := range keys {
		ops = append(ops, Op{Type: OpDeleteAccessKey, User: name, ID: k.ID})
	}
	for _, serial := range sortedSet(lu.MFADevices) {
		ops = append(ops, Op{Type: OpDeactivateMFADevice, User: name, ID: serial})
		if virtualMFA(serial) {
			ops = append(ops, Op{Type: OpDeleteVirtualMFADevice, ID: serial})
		}
	}
	for _, id := range sortedSet(lu.SSHPublicKeys) {
		ops = append(ops, Op{Type: OpDeleteSSHPublicKey, User: name, ID: id})
	}
	for _, id := range sortedSet(lu.SigningCertificates) {
		ops = append(ops, Op{Type: OpDeleteSigningCertificate, User: name, ID: id})
	}
	creds := slices.Clone(lu.ServiceSpecificCredentials)
	slices.SortFunc(creds, func(a, b state.ServiceCredential) int { return cmp.Compare(a.ID, b.ID) })
	for _, c := range creds {
		ops = append(ops, Op{Type: OpDeleteServiceSpecificCredential, User: name, ID: c.ID})
	}
	for _, g := range before.Groups {
		ops = append(ops, Op{Type: OpRemoveUserFromGroup, User: name, Group: g})
	}
	for _, p := range before.ManagedPolicies {
		ops = append(ops, Op{Type: OpDetachUserPolicy, User: name, PolicyARN: p})
	}
	for _, n := range sortedKeys(before.InlinePolicies) {
		ops = append(ops, Op{Type: OpDeleteUserPolicy, User: name, PolicyName: n})
	}
	if lu.PermissionsBoundary != "" {
		ops = append(ops, Op{Type: OpDeleteUserPermissionsBoundary, User: name})
	}
	ops = append(ops, d.orphanOps(name)...)
	ops = append(ops, Op{Type: OpDeleteUser, User: name})
	return Change{Action: Delete, Kind: kind, Name: name, Before: &before, Reason: reason, Ops: ops, Expired: m != nil && expired(m, d.now)}
}

// orphanDevices indexes the account's unassigned virtual MFA devices by the
// name in their serial number (arn:aws:iam::ACCOUNT:mfa/PATH/NAME), which
// IAM's console and CLI users give after the user they set it up for.
func (d *differ) orphanDevices() {
	d.orphans = map[string][]string{}
	for _, serial := range sortedSet(d.live.UnassignedMFADevices) {
		if !virtualMFA(serial) {
			continue
		}
		name := strings.ToLower(serial[strings.LastIndex(serial, "/")+1:])
		d.orphans[name] = append(d.orphans[name], serial)
	}
}

// orphanOps deletes the unassigned virtual MFA devices named after user, a
// managed user or one being offboarded: an offboarding stopped between
// DeactivateMFADevice and DeleteVirtualMFADevice leaves one, and so does an
// MFA setup abandoned before EnableMFADevice. Devices named after anyone
// else (unmanaged users, names nobody declares) are never touched.
func (d *differ) orphanOps(user string) []Op {
	var ops []Op
	for _, serial := range d.orphans[strings.ToLower(user)] {
		ops = append(ops, Op{Type: OpDeleteVirtualMFADevice, ID: serial})
	}
	return ops
}

// virtualMFA reports whether an MFA serial number names a virtual device
// (arn:aws:iam::123456789012:mfa/name), which must be deleted as well as
// deactivated. Hardware tokens have plain serials; security keys have
// u2f ARNs and vanish when deactivated.
func virtualMFA(serial string) bool {
	return strings.HasPrefix(serial, "arn:") && strings.Contains(serial, ":mfa/")
}

// groupChanges plans the declared groups and decides which absent groups
// are deleted.
func (d *differ) groupChanges() (creates, updates, deletes []Change) {
	d.deletingGroups = map[string]bool{}
	members := map[string][]string{} // desired members by group
	for _, name := range sortedKeys(d.want) {
		for _, g := range d.want[name].res.Groups {
			members[g] = append(members[g], name)
		}
	}
	groups := slices.Clone(d.env.Groups)
	slices.SortFunc(groups, func(a, b *manifest.Group) int {
		return cmp.Compare(d.groupNames[strings.ToLower(a.Name)], d.groupNames[strings.ToLower(b.Name)])
	})
	for _, g := range groups {
		name := d.groupNames[strings.ToLower(g.Name)]
		lg := d.live.Groups[name]
		var stranded []string // unmanaged members roster leaves alone
		if lg != nil {
			for _, m := range sortedSet(lg.Members) {
				if d.untouched[m] {
					stranded = append(stranded, m)
				}
			}
		}
		if g.Absent {
			if lg == nil {
				continue
			}
			if len(stranded) > 0 {
				d.warnf("group %q is marked absent but has members roster does not change (%s); roster never changes unmanaged, ignored or undeclared users, so it does not delete the group: remove them from the group by hand or declare them in the manifests",
					name, strings.Join(stranded, ", "))
				continue
			}
			d.deletingGroups[name] = true
			deletes = append(deletes, d.deleteGroup(lg))
			continue
		}
		for _, m := range stranded {
			lu := d.live.Users[m]
			if d.env.Unmanaged.Ignores(m) || Managed(d.cfg, lu) {
				// Ignored: stay silent. Undeclared: warned about already.
				continue
			}
			d.warnf("group %q has member %q, which roster does not manage; roster leaves it in the group: add %q to the manifests or remove it from the group by hand", name, m, m)
		}
		after := Resource{
			Path: cmp.Or(g.Path, d.cfg.Defaults.Path, "/"),
			Access: state.Access{
				ManagedPolicies: sortedSet(g.ManagedPolicies),
				InlinePolicies:  nilIfEmpty(maps.Clone(g.InlinePolicies)),
			},
			Members: sortedSet(append(slices.Clone(members[name]), stranded...)),
		}
		if lg == nil {
			creates = append(creates, createGroup(name, after))
		} else if ch, ok := updateGroup(lg, after); ok {
			updates = append(updates, ch)
		}
	}
	return creates, updates, deletes
}

func groupResource(lg *state.Group) Resource {
	return Resource{
		Path: lg.Path,
		Access: state.Access{
			ManagedPolicies: sortedSet(lg.ManagedPolicies),
			InlinePolicies:  nilIfEmpty(maps.Clone(lg.InlinePolicies)),
		},
		Members: sortedSet(lg.Members),
	}
}

func createGroup(name string, after Resource) Change {
	ops := []Op{{Type: OpCreateGroup, Group: name, Path: after.Path}}
	for _, p := range after.ManagedPolicies {
		ops = append(ops, Op{Type: OpAttachGroupPolicy, Group: name, PolicyARN: p})
	}
	for _, n := range sortedKeys(after.InlinePolicies) {
		ops = append(ops, Op{Type: OpPutGroupPolicy, Group: name, PolicyName: n, PolicyDocument: after.InlinePolicies[n]})
	}
	return Change{Action: Create, Kind: KindGroup, Name: name, After: &after, Ops: ops}
}

// updateGroup plans path and exclusive policy changes; membership is carried
// by the user changes. It reports false when nothing differs.
func updateGroup(lg *state.Group, after Resource) (Change, bool) {
	name := lg.Name
	before := groupResource(lg)
	var ops []Op
	if lg.Path != after.Path {
		ops = append(ops, Op{Type: OpUpdateGroup, Group: name, Path: after.Path})
	}
	removals, additions := policyOps(groupPolicyCalls, Op{Group: name}, &before, &after)
	ops = append(ops, removals...)
	ops = append(ops, additions...)
	if len(ops) == 0 {
		return Change{}, false
	}
	return Change{Action: Update, Kind: KindGroup, Name: name, Before: &before, After: &after, Ops: ops}, true
}

// deleteGroup removes the members that stay managed (deleted users leave
// the group in their own teardown), the policies, then the group.
func (d *differ) deleteGroup(lg *state.Group) Change {
	name := lg.Name
	before := groupResource(lg)
	var ops []Op
	for _, m := range before.Members {
		if d.want[m] != nil {
			ops = append(ops, Op{Type: OpRemoveUserFromGroup, User: m, Group: name})
		}
	}
	for _, p := range before.ManagedPolicies {
		ops = append(ops, Op{Type: OpDetachGroupPolicy, Group: name, PolicyARN: p})
	}
	for _, n := range sortedKeys(before.InlinePolicies) {
		ops = append(ops, Op{Type: OpDeleteGroupPolicy, Group: name, PolicyName: n})
	}
	ops = append(ops, Op{Type: OpDeleteGroup, Group: name})
	return Change{Action: Delete, Kind: KindGroup, Name: name, Before: &before, Reason: "marked absent in the manifests", Ops: ops}
}

// refusal returns the max_deletions refusal, or "".
func (d *differ) refusal(deletions int) string { return refusal(d.env, deletions) }

// refusal returns the refusal of a plan that deletes deletions users in
// env, when that is more than its max_deletions, or "".
func refusal(env *manifest.Environment, deletions int) string {
	limit := env.Guardrails.MaxDeletions
	if deletions <= limit {
		return ""
	}
	file := manifest.EnvironmentFile
	if env.Dir != "" {
		file = env.Dir + "/" + manifest.EnvironmentFile
	}
	msg := fmt.Sprintf("This plan deletes %d %s, more than max_deletions (%d) allows in %s, so roster will not apply it. "+
		"If the deletions are intended, raise guardrails.max_deletions in %s in this change (and lower it again afterwards)",
		deletions, plural(deletions, "user", "users"), limit, env.Name, file)
	if limit > 0 {
		msg += fmt.Sprintf(", or split the change into pull requests that each delete at most %d", limit)
	}
	return msg + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (d *differ) warnf(format string, args ...any) {
	d.warnings = append(d.warnings, fmt.Sprintf(format, args...))
}

// dateOf is t's UTC calendar date at midnight UTC.
func dateOf(t time.Time) time.Time {
	y, m, day := t.UTC().Date()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
}

// expired reports whether the user's expires has passed at now.
func expired(u *manifest.User, now time.Time) bool {
	return u.Expires != nil && u.Expires.Passed(now)
}

// offboarded reports whether the repository asks for the user's deletion:
// its entry is a tombstone (absent: true) or its expires has passed at now.
func offboarded(u *manifest.User, now time.Time) bool {
	return u.Absent || expired(u, now)
}

// leaveReason says why an offboarded user goes: its tombstone, or its
// expiry.
func leaveReason(m *manifest.User) string {
	if m.Absent {
		return "marked absent in the manifests"
	}
	return "expired " + endedWhen(*m.Expires)
}

// setDiff returns what want has that have lacks (add) and the reverse
// (remove), both sorted; the inputs are sorted sets.
func setDiff(have, want []string) (add, remove []string) {
	for _, w := range want {
		if _, ok := slices.BinarySearch(have, w); !ok {
			add = append(add, w)
		}
	}
	for _, h := range have {
		if _, ok := slices.BinarySearch(want, h); !ok {
			remove = append(remove, h)
		}
	}
	return add, remove
}

// sortedSet returns a sorted copy without duplicates, nil when empty.
func sortedSet(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
