package drift

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/policy"
)

// Build turns an environment's plan, computed against live IAM, into its
// drift report. cfg and env are the repository configuration and the
// environment the plan was computed for; manifest positions in the
// resolutions come from env. Every change of the plan becomes one or more
// findings (one per attribute that differs), every unmanaged user one
// finding; the plan's warnings become notes.
func Build(cfg manifest.Config, env *manifest.Environment, p *plan.Environment) *Report {
	b := newBuilder(cfg, env, p)
	r := &Report{
		Environment: p.Name,
		AccountID:   p.AccountID,
		Production:  p.Production,
		Refused:     p.Refused,
		Notes:       notes(b.ownTag, p),
		Findings:    []Finding{},
	}
	for i := range p.Changes {
		b.change(&p.Changes[i])
	}
	for _, u := range p.Unmanaged {
		b.unmanaged(u)
	}
	for _, u := range p.Undeclared {
		b.undeclared(u)
	}
	for _, a := range p.AccessKeys {
		b.accessKeyIssues(a)
	}
	r.Add(b.findings...)
	return r
}

// notes are the plan's warnings without those that findings repeat.
func notes(ownTag string, p *plan.Environment) []string {
	out := slices.Clone(p.Warnings)
	for _, u := range p.Undeclared {
		w := plan.UndeclaredWarning(ownTag, p.Name, u.Name)
		out = slices.DeleteFunc(out, func(s string) bool { return s == w })
	}
	return out
}

// builder holds what Build needs to word findings.
type builder struct {
	cfg        manifest.Config
	env        *manifest.Environment
	production bool
	ownTag     string
	ownerTag   string
	accessDir  string
	envFile    string
	configFile string
	users      map[string]*manifest.User  // by lower-case name
	groups     map[string]*manifest.Group // by lower-case name
	deleting   map[string]bool            // groups the plan deletes
	forbidden  map[string]bool
	findings   []Finding
}

func newBuilder(cfg manifest.Config, env *manifest.Environment, p *plan.Environment) *builder {
	if env == nil {
		env = &manifest.Environment{Name: p.Name}
	}
	b := &builder{
		cfg:        cfg,
		env:        env,
		production: p.Production,
		ownTag:     cfg.OwnershipKey(),
		ownerTag:   cfg.OwnerKey(),
		accessDir:  manifest.DefaultDir,
		users:      map[string]*manifest.User{},
		groups:     map[string]*manifest.Group{},
		deleting:   map[string]bool{},
		forbidden:  map[string]bool{},
	}
	envDir := env.Dir
	if envDir != "" {
		b.accessDir = path.Dir(envDir)
	} else {
		envDir = path.Join(b.accessDir, cmp.Or(env.Name, p.Name))
	}
	b.envFile = cmp.Or(env.Pos.File, path.Join(envDir, manifest.EnvironmentFile))
	b.configFile = cmp.Or(cfg.Pos.File, path.Join(b.accessDir, manifest.ConfigFile))
	for _, u := range env.Users {
		b.users[strings.ToLower(u.Name)] = u
	}
	for _, g := range env.Groups {
		b.groups[strings.ToLower(g.Name)] = g
	}
	for _, ch := range p.Changes {
		if ch.Kind == plan.KindGroup && ch.Action == plan.Delete {
			b.deleting[ch.Name] = true
		}
	}
	for _, arn := range env.Guardrails.ForbiddenManagedPolicies {
		b.forbidden[arn] = true
	}
	return b
}

// add records a finding with its severity: base, high when admin, one level
// up in production.
func (b *builder) add(f Finding, base Severity, admin bool) {
	f.Severity = base
	if admin {
		f.Severity = High
	}
	if b.production {
		f.Severity = f.Severity.raise()
	}
	b.findings = append(b.findings, f)
}

// restore is the resolution that runs apply. It names the apply by hand: a
// merge applies only environments its pull request planned, and skips
// drift nobody reviewed.
func (b *builder) restore(spans ...Span) Text {
	env := cmp.Or(b.env.Name, "ENV")
	return sentence(append([]Span{words("apply by hand (the apply workflow with "), code("environments: " + env), words(", or "), code("roster apply --env " + env), words(") to ")}, spans...)...)
}

// loc names a manifest entry's place, file:line, as a literal.
func loc(pos diag.Pos) Span {
	if pos.File == "" {
		return words("its manifest entry")
	}
	return code(where(pos))
}

// where formats a manifest entry's place, file:line.
func where(pos diag.Pos) string {
	if pos.File == "" {
		return "its manifest entry"
	}
	if pos.Line == 0 {
		return pos.File
	}
	return fmt.Sprintf("%s:%d", pos.File, pos.Line)
}

// operations counts IAM write calls in words.
func operations(n int) string {
	if n == 1 {
		return "1 IAM operation"
	}
	return fmt.Sprintf("%d IAM operations", n)
}

// digest is a short hash of values that differ, so a finding's ID changes
// when the values do without carrying them.
func digest(values ...string) string {
	h := sha256.Sum256([]byte(strings.Join(values, "\x00")))
	return hex.EncodeToString(h[:6])
}

func (b *builder) change(ch *plan.Change) {
	switch {
	case ch.Kind == plan.KindGroup:
		b.group(ch)
	case ch.Action == plan.Create:
		b.missingUser(ch)
	case ch.Action == plan.Delete:
		b.extraUser(ch)
	case ch.Action == plan.Adopt:
		b.adoptable(ch)
		b.attributes(ch)
	case ch.Action == plan.Update:
		b.attributes(ch)
	}
}

// entryPos is where the manifests declare the user or service account
// name; zero when they do not.
func (b *builder) entryPos(name string) diag.Pos {
	if m := b.users[strings.ToLower(name)]; m != nil {
		return m.Pos
	}
	return diag.Pos{}
}

// entry is the user or service account a change is about, at the entry
// that declares it.
func (b *builder) entry(ch *plan.Change) subject {
	return subject{kind: ch.Kind, name: ch.Name, pos: b.entryPos(ch.Name), person: ch.Kind == plan.KindUser}
}

func (b *builder) missingUser(ch *plan.Change) {
	s := b.entry(ch)
	f := s.finding(Missing)
	f.Summary = sentence(words(ch.Kind.Noun()+" "), code(ch.Name), words(" is declared in the manifests but does not exist in AWS"))
	f.Restore = b.restore(words("create it"))
	f.Accept = sentence(words("remove the entry for "), code(ch.Name), words(" from "), code(ch.Kind.List()+":"), words(" in "), loc(s.pos))
	b.add(f, Medium, b.adminResource(ch.After))
}

func (b *builder) extraUser(ch *plan.Change) {
	n := ch.Kind.Noun()
	s := b.entry(ch)
	f := s.finding(Extra)
	f.Restore = b.restore(words("offboard it (" + operations(len(ch.Ops)) + ", ending with DeleteUser)"))
	if m := b.users[strings.ToLower(ch.Name)]; m != nil && m.Expires != nil && !m.Absent {
		date := m.Expires.Written()
		f.Summary = sentence(words(n+" "), code(ch.Name), words(" still exists in AWS, but its "), code("expires"), words(" date ("+date+") has passed"))
		f.Accept = sentence(words("move "), code("expires"), words(" of "), code(ch.Name), words(" in "), loc(m.Pos), words(" to a later date, or remove it"))
	} else {
		f.Summary = sentence(words(n+" "), code(ch.Name), words(" is marked "), code("absent: true"), words(" in the manifests but still exists in AWS"))
		f.Accept = sentence(words("remove "), code("absent: true"), words(" from the entry for "), code(ch.Name), words(" in "), loc(s.pos), words(" if the "+n+" should stay"))
	}
	b.add(f, Medium, b.adminResource(ch.Before))
}

func (b *builder) envDir() string {
	if b.env.Dir != "" {
		return b.env.Dir
	}
	return path.Dir(b.envFile)
}

func (b *builder) adoptable(ch *plan.Change) {
	s := b.entry(ch)
	f := s.finding(Adoptable)
	f.Summary = sentence(words(ch.Kind.Noun()+" "), code(ch.Name), words(" is declared in the manifests and exists in AWS without the "), code(b.ownTag), words(" tag, so roster does not manage it yet"))
	f.Restore = b.restore(words("adopt it: roster tags it "), code(b.ownTag+"=true"), words(" and from then on manages it"))
	f.Accept = sentence(words("remove the entry for "), code(ch.Name), words(" from "), loc(s.pos), words(" so roster leaves the user alone, and add it to "), code("unmanaged.ignore"), words(" in "), code(b.envFile), words(" to stay silent about it"))
	b.add(f, Medium, false)
}

// undeclared reports a user that carries the ownership tag but that no
// manifest names: roster never changes it, and a tag someone else set is
// how a forged ownership claim looks, so it is high.
func (b *builder) undeclared(u plan.Unmanaged) {
	s := subject{kind: plan.KindUser, name: u.Name}
	f := s.finding(Undeclared)
	f.Summary = sentence(words("user "), code(u.Name), words(" carries the "), code(b.ownTag), words(" tag, but no manifest declares it, so roster does not change or delete it (a tag anyone with "), code("iam:TagUser"), words(" can set is no proof that roster manages it)"))
	f.Restore = sentence(words("add an entry for "), code(u.Name), words(" with "), code("absent: true"), words(" to a manifest in "), code(b.envDir()+"/"), words(" to offboard it"))
	f.Accept = sentence(words("declare "), code(u.Name), words(" in a manifest in "), code(b.envDir()+"/"), words(", or remove its "), code(b.ownTag), words(" tag by hand if roster should not manage it"))
	b.add(f, High, false)
}

// accessKeyIssues turns what the key lifecycle cannot settle alone into
// findings: a key nobody made through roster beside the managed one (a
// credential the repository does not know of), and a rotation blocked by
// two keys already in use.
func (b *builder) accessKeyIssues(a plan.AccessKey) {
	s := subject{kind: plan.KindServiceAccount, name: a.ServiceAccount, pos: b.entryPos(a.ServiceAccount)}
	for _, n := range a.Notes {
		f := s.finding(Kind(n.Kind), n.KeyID)
		switch n.Kind {
		case plan.KeyHandMade:
			f.Summary = sentence(words("service account "), code(a.ServiceAccount), words(" has access key "), code(n.KeyID),
				words(" beside the one roster manages ("+a.Destination+"): "+n.Detail))
			f.Restore = sentence(words("move whatever uses "), code(n.KeyID), words(" to the managed key, then deactivate and delete it"))
			f.Accept = sentence(words("remove "), code("access_key"), words(" from the entry for "), code(a.ServiceAccount),
				words(" if its keys should be made by hand (roster then only reports their age)"))
		case plan.KeyBlocked:
			f.Summary = sentence(words("the access key of service account "), code(a.ServiceAccount), words(" cannot be rotated: "+n.Detail))
			f.Restore = sentence(words("delete the key that is not in use; the next rotation then goes ahead"))
		default:
			continue
		}
		b.add(f, Medium, false)
	}
}

func (b *builder) unmanaged(u plan.Unmanaged) {
	s := subject{kind: plan.KindUser, name: u.Name}
	f := s.finding(Unmanaged)
	f.Summary = sentence(words("user "), code(u.Name), words(" exists in AWS, but no manifest declares it and it lacks the "), code(b.ownTag), words(" tag, so roster does not manage it"))
	f.Restore = sentence(words("delete it by hand if nobody needs it (roster never changes unmanaged users)"))
	f.Accept = sentence(words("import it ("), code("roster import"), words(") or add a "), code("users:"), words(" entry for it, or add it to "), code("unmanaged.ignore"), words(" in "), code(b.envFile))
	b.add(f, Medium, false)
}

// subject is who an attribute finding is about: a user or a group, with its
// manifest entry.
type subject struct {
	kind plan.Kind
	name string
	pos  diag.Pos
	// person is false for service accounts and groups.
	person bool
}

func (s subject) of() string { return " of " + s.kind.Noun() + " " }

// attributes adds one finding per attribute an update or adoption changes,
// read from its operations, so findings match exactly what apply would do.
func (b *builder) attributes(ch *plan.Change) {
	s := b.entry(ch)
	before := ch.Before
	if before == nil {
		before = &plan.Resource{}
	}
	after := ch.After
	if after == nil {
		after = &plan.Resource{}
	}
	cur := maps.Clone(before.Tags)
	if cur == nil {
		cur = map[string]string{}
	}
	ops := ch.Ops
	if ch.Action == plan.Adopt && len(ops) > 0 && ops[0].Type == plan.OpTagUser {
		// The ownership (and owner) tags adoption writes are the adoptable
		// finding itself.
		maps.Copy(cur, ops[0].Tags)
		ops = ops[1:]
	}
	for _, op := range ops {
		switch op.Type {
		case plan.OpUpdateUser:
			b.path(s, before.Path, op.Path)
		case plan.OpUntagUser:
			for _, k := range op.TagKeys {
				if k == manifest.PasswordTag {
					// roster's own record, not a tag of the manifests: it
					// counts only with the reset it asks for.
					continue
				}
				b.tagLiveOnly(s, k, cur[k])
			}
		case plan.OpUpdateLoginProfile:
			b.undeliveredPassword(s)
		case plan.OpDeleteVirtualMFADevice:
			b.orphanDevice(s, op.ID)
		case plan.OpTagUser:
			for _, k := range slices.Sorted(maps.Keys(op.Tags)) {
				if old, ok := cur[k]; ok {
					b.tagDiffers(s, k, old, op.Tags[k])
				} else {
					b.tagManifestOnly(s, k, op.Tags[k])
				}
			}
		case plan.OpPutUserPermissionsBoundary, plan.OpDeleteUserPermissionsBoundary:
			b.boundary(s, before.PermissionsBoundary, after.PermissionsBoundary)
		case plan.OpRemoveUserFromGroup:
			b.membership(s, op.Group, true)
		case plan.OpAddUserToGroup:
			b.membership(s, op.Group, false)
		case plan.OpDetachUserPolicy:
			b.managedPolicy(s, Changed, op.PolicyARN, true)
		case plan.OpAttachUserPolicy:
			b.managedPolicy(s, Changed, op.PolicyARN, false)
		case plan.OpDeleteUserPolicy:
			b.inlinePolicy(s, Changed, op.PolicyName, before.InlinePolicies, after.InlinePolicies)
		case plan.OpPutUserPolicy:
			b.inlinePolicy(s, Changed, op.PolicyName, before.InlinePolicies, after.InlinePolicies)
		case plan.OpCreateLoginProfile:
			b.console(s, false)
		case plan.OpDeleteLoginProfile:
			b.console(s, true)
		default:
			// Creation, deletion and credential teardown are whole-user
			// changes, not attribute drift.
		}
	}
}

// finding starts a finding of kind about s, at its manifest entry,
// identified by the attribute parts (see FindingID).
func (s subject) finding(kind Kind, attr ...string) Finding {
	return Finding{ID: FindingID(kind, s.kind, s.name, attr...), Kind: kind, SubjectKind: s.kind, Subject: s.name, Pos: s.pos}
}

func (b *builder) path(s subject, live, want string) {
	f := s.finding(kindFor(s), "path", "differs", digest(live, want))
	f.Summary = sentence(words("the path"+s.of()), code(s.name), words(" is "), code(live), words(" in AWS but "), code(want), words(" in the manifests"))
	f.Restore = b.restore(words("move it back to "), code(want))
	f.Accept = sentence(words("set "), code("path: "+live), words(" for "), code(s.name), words(" in "), loc(s.pos))
	b.add(f, Low, false)
}

func kindFor(s subject) Kind {
	if s.kind == plan.KindGroup {
		return GroupChanged
	}
	return Changed
}

// fromDefaults reports whether a desired tag comes from defaults.tags rather
// than the entry itself (as far as the manifests tell).
func (b *builder) fromDefaults(k, v string) bool {
	dv, ok := b.cfg.Defaults.Tags[k]
	return ok && dv == v
}

func (b *builder) tagLiveOnly(s subject, k, v string) {
	f := s.finding(Changed, "tag", k, "live-only", digest(v))
	f.Summary = sentence(words("tag "), code(k+" = "+v), words(" is set on "+s.kind.Noun()+" "), code(s.name), words(" in AWS but not in the manifests"))
	f.Restore = b.restore(words("remove it"))
	f.Accept = sentence(words("add "), code(k+": "+v), words(" to "), code("tags"), words(s.of()), code(s.name), words(" in "), loc(s.pos))
	if k == b.ownerTag && s.kind != plan.KindServiceAccount {
		f.Accept = sentence(words("declare "), code(s.name), words(" under "), code("service_accounts:"), words(" with "), code("owner: "+v), words(" instead of in "), loc(s.pos))
	}
	b.add(f, Low, false)
}

func (b *builder) tagManifestOnly(s subject, k, v string) {
	f := s.finding(Changed, "tag", k, "manifest-only", digest(v))
	f.Summary = sentence(words("tag "), code(k+" = "+v), words(" is in the manifests but not set on "+s.kind.Noun()+" "), code(s.name), words(" in AWS"))
	f.Restore = b.restore(words("add it"))
	switch {
	case k == b.ownerTag:
		// Service accounts must have an owner: nothing to accept.
	case b.fromDefaults(k, v):
		f.Accept = sentence(words("remove "), code(k), words(" from "), code("defaults.tags"), words(" in "), code(b.configFile), words(" (it applies to every user)"))
	default:
		f.Accept = sentence(words("remove "), code(k), words(" from "), code("tags"), words(s.of()), code(s.name), words(" in "), loc(s.pos))
	}
	b.add(f, Low, false)
}

func (b *builder) tagDiffers(s subject, k, live, want string) {
	f := s.finding(Changed, "tag", k, "differs", digest(live, want))
	f.Summary = sentence(words("tag "), code(k), words(s.of()), code(s.name), words(" is "), code(live), words(" in AWS but "), code(want), words(" in the manifests"))
	f.Restore = b.restore(words("set it back to "), code(want))
	switch {
	case k == b.ownerTag:
		f.Accept = sentence(words("set "), code("owner: "+live), words(" for "), code(s.name), words(" in "), loc(s.pos))
	case b.fromDefaults(k, want):
		f.Accept = sentence(words("add "), code(k+": "+live), words(" to "), code("tags"), words(s.of()), code(s.name), words(" in "), loc(s.pos), words(" (the value "), code(want), words(" comes from "), code("defaults.tags"), words(" in "), code(b.configFile), words(")"))
	default:
		f.Accept = sentence(words("set "), code(k+": "+live), words(" in "), code("tags"), words(s.of()), code(s.name), words(" in "), loc(s.pos))
	}
	b.add(f, Low, false)
}

func (b *builder) boundary(s subject, live, want string) {
	var f Finding
	switch {
	case live == "":
		f = s.finding(Changed, "permissions-boundary", "manifest-only", want)
		f.Summary = sentence(words("permissions boundary "), code(want), words(" is in the manifests but not set on "), code(s.name), words(" in AWS"))
		f.Restore = b.restore(words("set it"))
		f.Accept = sentence(words("remove "), code("permissions_boundary"), words(" from "), code(s.name), words(" in "), loc(s.pos))
	case want == "":
		f = s.finding(Changed, "permissions-boundary", "live-only", live)
		f.Summary = sentence(words("permissions boundary "), code(live), words(" is set on "), code(s.name), words(" in AWS but not in the manifests"))
		f.Restore = b.restore(words("remove it"))
		f.Accept = sentence(words("set "), code("permissions_boundary: "+live), words(" for "), code(s.name), words(" in "), loc(s.pos))
	default:
		f = s.finding(Changed, "permissions-boundary", "differs", digest(live, want))
		f.Summary = sentence(words("the permissions boundary of "), code(s.name), words(" is "), code(live), words(" in AWS but "), code(want), words(" in the manifests"))
		f.Restore = b.restore(words("set it back to "), code(want))
		f.Accept = sentence(words("set "), code("permissions_boundary: "+live), words(" for "), code(s.name), words(" in "), loc(s.pos))
	}
	b.add(f, Medium, false)
}

func (b *builder) membership(s subject, group string, liveOnly bool) {
	if liveOnly && b.deleting[group] {
		return // the group's own finding covers it
	}
	var f Finding
	if liveOnly {
		f = s.finding(Changed, "group", "live-only", group)
		f.Summary = sentence(code(s.name), words(" is a member of group "), code(group), words(" in AWS but not in the manifests"))
		f.Restore = b.restore(words("remove it from the group"))
		f.Accept = sentence(words("add "), code(group), words(" to "), code("groups"), words(s.of()), code(s.name), words(" in "), loc(s.pos))
	} else {
		f = s.finding(Changed, "group", "manifest-only", group)
		f.Summary = sentence(code(s.name), words(" is not a member of group "), code(group), words(" in AWS, but the manifests put it there"))
		f.Restore = b.restore(words("add it to the group"))
		f.Accept = sentence(words("remove "), code(group), words(" from "), code("groups"), words(s.of()), code(s.name), words(" in "), loc(s.pos))
	}
	b.add(f, Medium, b.adminGroup(group))
}

func (b *builder) managedPolicy(s subject, kind Kind, arn string, liveOnly bool) {
	var f Finding
	if liveOnly {
		f = s.finding(kind, "managed-policy", "live-only", arn)
		f.Summary = sentence(words("managed policy "), code(arn), words(" is attached to "+s.kind.Noun()+" "), code(s.name), words(" in AWS but not in the manifests"))
		f.Restore = b.restore(words("detach it"))
		accept := []Span{words("add "), code(arn), words(" to "), code("managed_policies"), words(s.of()), code(s.name), words(" in "), loc(s.pos)}
		if b.forbidden[arn] {
			accept = append([]Span{words("only after removing it from "), code("guardrails.forbidden_managed_policies"), words(" in "), code(b.envFile), words(": ")}, accept...)
		}
		f.Accept = sentence(accept...)
	} else {
		f = s.finding(kind, "managed-policy", "manifest-only", arn)
		f.Summary = sentence(words("managed policy "), code(arn), words(" is in the manifests but not attached to "+s.kind.Noun()+" "), code(s.name), words(" in AWS"))
		f.Restore = b.restore(words("attach it"))
		f.Accept = sentence(words("remove "), code(arn), words(" from "), code("managed_policies"), words(s.of()), code(s.name), words(" in "), loc(s.pos))
	}
	b.add(f, Medium, b.adminARN(arn))
}

func (b *builder) inlinePolicy(s subject, kind Kind, name string, live, want map[string]string) {
	liveDoc, inLive := live[name]
	wantDoc, inWant := want[name]
	if inLive && inWant && liveDoc == wantDoc {
		return
	}
	var f Finding
	switch {
	case !inWant:
		f = s.finding(kind, "inline-policy", name, "live-only", digest(liveDoc))
		f.Summary = sentence(words("inline policy "), code(name), words(s.of()), code(s.name), words(" is in AWS but not in the manifests"))
		f.Restore = b.restore(words("delete it"))
		f.Accept = sentence(words("add "), code(name), words(" with its document from AWS to "), code("inline_policies"), words(s.of()), code(s.name), words(" in "), loc(s.pos))
	case !inLive:
		f = s.finding(kind, "inline-policy", name, "manifest-only", digest(wantDoc))
		f.Summary = sentence(words("inline policy "), code(name), words(s.of()), code(s.name), words(" is in the manifests but not in AWS"))
		f.Restore = b.restore(words("put it"))
		f.Accept = sentence(words("remove "), code(name), words(" from "), code("inline_policies"), words(s.of()), code(s.name), words(" in "), loc(s.pos))
		if name == plan.RequireMFAPolicyName && s.kind != plan.KindGroup {
			f.Summary = sentence(words("the MFA-enforcing inline policy "), code(name), words(" is missing from "), code(s.name), words(" in AWS"))
			f.Accept = sentence(words("set "), code("console_requires_mfa: false"), words(" in the guardrails of "), code(b.envFile), words(" (not recommended)"))
		}
	default:
		f = s.finding(kind, "inline-policy", name, "differs", digest(liveDoc, wantDoc))
		f.Summary = sentence(words("inline policy "), code(name), words(s.of()), code(s.name), words(" differs between AWS and the manifests"))
		f.Restore = b.restore(words("put the manifests' document back"))
		f.Accept = sentence(words("replace "), code("inline_policies."+name), words(s.of()), code(s.name), words(" in "), loc(s.pos), words(" with the document in AWS"))
	}
	b.add(f, Medium, adminDocument(liveDoc) || adminDocument(wantDoc))
}

func (b *builder) console(s subject, liveOnly bool) {
	var f Finding
	if liveOnly {
		f = s.finding(Changed, "console", "live-only")
		f.Summary = sentence(code(s.name), words(" can sign in to the console (it has a login profile) in AWS, but the manifests give it no console access"))
		f.Restore = b.restore(words("delete the login profile"))
		if s.person {
			f.Accept = sentence(words("set "), code("console: true"), words(" and a "), code("pgp_key"), words(" for "), code(s.name), words(" in "), loc(s.pos))
		} else {
			f.Accept = sentence(words("move "), code(s.name), words(" from "), code("service_accounts:"), words(" to "), code("users:"), words(" with "), code("console: true"), words(" and a "), code("pgp_key"), words(" (service accounts never have console access)"))
		}
	} else {
		f = s.finding(Changed, "console", "manifest-only")
		f.Summary = sentence(code(s.name), words(" has no console access in AWS, but the manifests set "), code("console: true"))
		f.Restore = b.restore(words("create its login profile (the initial password is encrypted to its "), code("pgp_key"), words(")"))
		f.Accept = sentence(words("set "), code("console: false"), words(" for "), code(s.name), words(" in "), loc(s.pos))
	}
	b.add(f, Medium, false)
}

// undeliveredPassword is a console password an apply set but could not
// deliver (the user carries manifest.PasswordTag): nobody can sign in with
// it, and the manifests have nothing to accept.
func (b *builder) undeliveredPassword(s subject) {
	f := s.finding(Changed, "console", "undelivered")
	f.Summary = sentence(words("the console password of "), code(s.name), words(" never reached anyone (an apply lost IAM's answer; the user carries "),
		code(manifest.PasswordTag+" = "+manifest.PasswordUndelivered), words(")"))
	f.Restore = b.restore(words("set a new password, encrypted to its "), code("pgp_key"), words(", to be changed at first sign-in"))
	b.add(f, Medium, false)
}

// orphanDevice is a virtual MFA device named after a managed user but
// assigned to nobody: left by an interrupted offboarding or an abandoned
// MFA setup. The manifests have nothing to accept.
func (b *builder) orphanDevice(s subject, serial string) {
	f := s.finding(Changed, "mfa-device", "unassigned", digest(serial))
	f.Summary = sentence(words("virtual MFA device "), code(serial), words(" is named after "), code(s.name),
		words(" but assigned to no user (an interrupted offboarding or an abandoned MFA setup)"))
	f.Restore = b.restore(words("delete the device"))
	b.add(f, Low, false)
}

// group adds the findings of a group change.
func (b *builder) group(ch *plan.Change) {
	g := b.groups[strings.ToLower(ch.Name)]
	s := subject{kind: plan.KindGroup, name: ch.Name}
	if g != nil {
		s.pos = g.Pos
	}
	switch ch.Action {
	case plan.Create:
		f := s.finding(Missing)
		f.Summary = sentence(words("group "), code(ch.Name), words(" is declared in the manifests but does not exist in AWS"))
		f.Restore = b.restore(words("create it"))
		f.Accept = sentence(words("remove the entry for group "), code(ch.Name), words(" from "), loc(s.pos), words(", and the group from the "), code("groups"), words(" of its members"))
		b.add(f, Medium, b.adminResource(ch.After))
	case plan.Delete:
		f := s.finding(Extra)
		f.Summary = sentence(words("group "), code(ch.Name), words(" is marked "), code("absent: true"), words(" in the manifests but still exists in AWS"))
		f.Restore = b.restore(words("delete it (" + operations(len(ch.Ops)) + ")"))
		f.Accept = sentence(words("remove the entry for group "), code(ch.Name), words(" from "), loc(s.pos), words(", so roster leaves the group alone"))
		b.add(f, Medium, b.adminResource(ch.Before))
	case plan.Update, plan.Adopt:
		before, after := ch.Before, ch.After
		if before == nil {
			before = &plan.Resource{}
		}
		if after == nil {
			after = &plan.Resource{}
		}
		for _, op := range ch.Ops {
			switch op.Type {
			case plan.OpUpdateGroup:
				b.path(s, before.Path, op.Path)
			case plan.OpDetachGroupPolicy:
				b.managedPolicy(s, GroupChanged, op.PolicyARN, true)
			case plan.OpAttachGroupPolicy:
				b.managedPolicy(s, GroupChanged, op.PolicyARN, false)
			case plan.OpDeleteGroupPolicy, plan.OpPutGroupPolicy:
				b.inlinePolicy(s, GroupChanged, op.PolicyName, before.InlinePolicies, after.InlinePolicies)
			default:
				// Membership is carried, and reported, by the users.
			}
		}
	}
}

// adminARN reports whether a managed policy grants admin-equivalent access:
// an AWS managed admin policy, or one the environment forbids.
func (b *builder) adminARN(arn string) bool {
	return b.forbidden[arn] || policy.IsAdminManaged(arn)
}

// adminGroup reports whether the manifests give a group admin-equivalent
// policies.
func (b *builder) adminGroup(name string) bool {
	g := b.groups[strings.ToLower(name)]
	if g == nil {
		return false
	}
	if slices.ContainsFunc(g.ManagedPolicies, b.adminARN) {
		return true
	}
	for _, doc := range g.InlinePolicies {
		if adminDocument(doc) {
			return true
		}
	}
	return false
}

// adminResource reports whether a user or group snapshot carries
// admin-equivalent access.
func (b *builder) adminResource(r *plan.Resource) bool {
	if r == nil {
		return false
	}
	if slices.ContainsFunc(r.ManagedPolicies, b.adminARN) || slices.ContainsFunc(r.Groups, b.adminGroup) {
		return true
	}
	for _, doc := range r.InlinePolicies {
		if adminDocument(doc) {
			return true
		}
	}
	return false
}

// adminDocument reports whether a policy document allows every action, or
// every IAM action, on every resource.
func adminDocument(doc string) bool { return policy.Inspect(doc).Admin() }
