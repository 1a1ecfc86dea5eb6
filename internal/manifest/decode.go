package manifest

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/approval"
	"github.com/roster-dev/roster/internal/diag"
)

// configSrc is roster.yaml as read, with what validation needs later.
type configSrc struct {
	Config
	order    []ref
	orderSet bool
	tags     []kv
	guard    guardSrc
	// ownershipTagPos and ownerTagPos are where the tag keys were set, if
	// they were.
	ownershipTagPos, ownerTagPos diag.Pos
}

// guardSrc is a guardrails block; nil fields were not set.
type guardSrc struct {
	forbidden    []ref
	forbiddenSet bool
	forbidAdmin  *bool
	mfa          *bool
	keyAge       *int
	maxDeletions *int
	maxElevation *int
}

func defaultConfig() configSrc {
	return configSrc{Config: Config{
		OwnershipTag: DefaultOwnershipTag,
		OwnerTag:     DefaultOwnerTag,
		Defaults:     Defaults{Path: "/", Guardrails: Guardrails{MaxDeletions: DefaultMaxDeletions}},
	}}
}

// envSrc is one environment as read.
type envSrc struct {
	env *Environment
	// broken is set when environment.yaml is missing or unreadable, so
	// checks that need its settings are skipped.
	broken     bool
	accountPos diag.Pos
	accountOK  bool
	prodSet    bool
	// regionPos is where region was set; File is "" when it was not.
	regionPos diag.Pos
	guard     guardSrc
	// arns are every ARN of the environment in reading order, for the
	// partition check.
	arns   []ref
	users  []*userSrc
	groups []*groupSrc
}

func newEnv(name, dir string) *envSrc {
	return &envSrc{env: &Environment{Name: name, Dir: dir, Region: "us-east-1"}}
}

// userSrc is a person or service account as read.
type userSrc struct {
	entrySrc
	u         *User
	groups    []ref
	groupsPos diag.Pos
	// expiresPos is where each time-bound membership's expires is.
	expiresPos map[string]diag.Pos
	tags       []kv
	tagsPos    diag.Pos
	accessKey  accessKeySrc
}

// groupSrc is a group as read.
type groupSrc struct {
	entrySrc
	g *Group
}

var (
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	dateRE      = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// IsAccountID reports whether id is an AWS account ID as environment.yaml
// writes it: twelve digits.
func IsAccountID(id string) bool { return accountIDRE.MatchString(id) }

// loadConfig reads access/roster.yaml.
func (l *loader) loadConfig(rel string) {
	d, root, ok := l.readFile(rel)
	if !ok || root == nil {
		return
	}
	l.cfg.Pos = d.pos(root)
	f, ok := d.fields(root, ConfigFile, ConfigFields.Names(), func(name string) string {
		if name == "account_id" || name == "role_arn" || name == "guardrails" {
			return "environment settings belong in each environment's environment.yaml; shared guardrails go under defaults.guardrails"
		}
		return ""
	})
	if !ok {
		return
	}
	if e, ok := f["order"]; ok {
		l.cfg.orderSet = true
		l.cfg.order = d.strList(e.val, "order")
	}
	if e, ok := f["ownership_tag"]; ok {
		if s, ok := d.str(e.val, "ownership_tag"); ok {
			l.cfg.OwnershipTag = s
			l.cfg.ownershipTagPos = d.pos(d.node(e.val))
			l.checkTagKey(l.cfg.ownershipTagPos, s, "ownership_tag")
		}
	}
	if e, ok := f["owner_tag"]; ok {
		if s, ok := d.str(e.val, "owner_tag"); ok {
			l.cfg.OwnerTag = s
			l.cfg.ownerTagPos = d.pos(d.node(e.val))
			l.checkTagKey(l.cfg.ownerTagPos, s, "owner_tag")
		}
	}
	if strings.EqualFold(l.cfg.OwnershipTag, l.cfg.OwnerTag) {
		pos := l.cfg.ownerTagPos
		if pos.File == "" {
			pos = l.cfg.ownershipTagPos
		}
		l.diags.Errorf(pos, ruleConfigTag, "use two different tag keys",
			"ownership_tag and owner_tag are both %q", l.cfg.OwnerTag)
	}
	if e, ok := f["defaults"]; ok {
		df, ok := d.fields(e.val, "defaults", DefaultsFields.Names(), nil)
		if ok {
			if e, ok := df["path"]; ok {
				if s, ok := d.str(e.val, "path"); ok && l.checkPath(d.pos(d.node(e.val)), s) {
					l.cfg.Defaults.Path = s
				}
			}
			if e, ok := df["tags"]; ok {
				l.cfg.tags = d.strMap(e.val, "tags")
				l.checkTags(l.cfg.tags)
			}
			if e, ok := df["guardrails"]; ok {
				l.cfg.guard = l.guardrails(d, e.val)
			}
		}
	}
	if e, ok := f["organization"]; ok {
		l.organization(d, e)
	}
	// The ownership tags are known only now: check the default tags
	// against them.
	for _, t := range l.cfg.tags {
		l.checkReservedTag(t)
	}
	if len(l.cfg.tags) > 0 {
		l.cfg.Defaults.Tags = make(map[string]string, len(l.cfg.tags))
		for _, t := range l.cfg.tags {
			l.cfg.Defaults.Tags[t.key] = t.val
		}
	}
	for _, r := range l.cfg.guard.forbidden {
		l.checkManagedARN(nil, r, "forbidden_managed_policies entry")
	}
	l.cfg.Defaults.Guardrails = mergeGuardrails(guardSrc{}, l.cfg.guard)
}

// organization reads roster.yaml's organization block.
func (l *loader) organization(d *decoder, e entry) {
	of, ok := d.fields(e.val, "organization", OrganizationFields.Names(), nil)
	if !ok {
		return
	}
	re, ok := of["management_role_arn"]
	if !ok {
		d.errorf(e.key, ruleRequired, "name the role drift assumes to list the accounts, for example management_role_arn: arn:aws:iam::123456789012:role/roster-organization-read",
			"organization needs management_role_arn")
		return
	}
	s, ok := d.str(re.val, "management_role_arn")
	if !ok {
		return
	}
	pos := d.pos(d.node(re.val))
	m := roleARNRE.FindStringSubmatch(s)
	if m == nil {
		l.diags.Errorf(pos, ruleRoleARN, "a role ARN looks like arn:aws:iam::123456789012:role/roster-organization-read",
			"management_role_arn %q is not an IAM role ARN", s)
		return
	}
	l.cfg.Organization = &Organization{ManagementRoleARN: s, AccountID: m[2], Pos: pos}
}

// guardrails reads a guardrails block.
func (l *loader) guardrails(d *decoder, n *yaml.Node) guardSrc {
	var g guardSrc
	f, ok := d.fields(n, "guardrails", GuardrailFields.Names(), nil)
	if !ok {
		return g
	}
	if e, ok := f["forbidden_managed_policies"]; ok {
		g.forbiddenSet = true
		g.forbidden = d.strList(e.val, "forbidden_managed_policies")
	}
	g.forbidAdmin = optional(f, "forbid_admin_equivalent", d.boolean)
	g.mfa = optional(f, "console_requires_mfa", d.boolean)
	g.keyAge = guardrailLimit(d, f, "max_access_key_age_days", "use 0 to disable the check")
	g.maxDeletions = guardrailLimit(d, f, "max_deletions", "use 0 to refuse every plan that deletes a user")
	g.maxElevation = guardrailLimit(d, f, "max_elevation_hours", "use 0 to disable the check")
	return g
}

// guardrailLimit reads a guardrail's number, which must be 0 or more: nil
// when it is not set or not such a number. hint says what 0 does.
func guardrailLimit(d *decoder, f map[string]entry, name, hint string) *int {
	i, val, ok := typed(f, name, d.integer)
	if !ok {
		return nil
	}
	if i < 0 {
		d.errorf(d.node(val), ruleGuardrailRange, hint, "%s must be 0 or more, got %d", name, i)
		return nil
	}
	return &i
}

// mergeGuardrails fills the fields env leaves unset from defaults, and
// those from the built-in defaults.
func mergeGuardrails(env, defaults guardSrc) Guardrails {
	g := Guardrails{MaxDeletions: DefaultMaxDeletions}
	for _, src := range []guardSrc{defaults, env} {
		if src.forbiddenSet {
			g.ForbiddenManagedPolicies = nil
			for _, r := range src.forbidden {
				g.ForbiddenManagedPolicies = append(g.ForbiddenManagedPolicies, r.val)
			}
		}
		if src.mfa != nil {
			g.ConsoleRequiresMFA = *src.mfa
		}
		if src.forbidAdmin != nil {
			g.ForbidAdminEquivalent = *src.forbidAdmin
		}
		if src.keyAge != nil {
			g.MaxAccessKeyAgeDays = *src.keyAge
		}
		if src.maxDeletions != nil {
			g.MaxDeletions = *src.maxDeletions
		}
		if src.maxElevation != nil {
			g.MaxElevationHours = *src.maxElevation
		}
	}
	return g
}

// loadEnvFile reads access/<env>/environment.yaml.
func (l *loader) loadEnvFile(env *envSrc, rel string) {
	d, root, ok := l.readFile(rel)
	env.env.Pos = diag.Pos{File: d.file, Line: 1}
	if !ok {
		env.broken = true
		return
	}
	var f map[string]entry
	if root != nil {
		env.env.Pos = d.pos(root)
		f, ok = d.fields(root, EnvironmentFile, EnvironmentFields.Names(), func(name string) string {
			switch {
			case ManifestFields.Has(name):
				return "users, service accounts and groups go in other files of the environment folder, for example people.yaml"
			case ConfigFields.Has(name):
				return "this setting belongs in " + l.display(ConfigFile)
			case GuardrailFields.Has(name):
				return "put it under guardrails:"
			}
			return ""
		})
		if !ok {
			env.broken = true
			return
		}
	}
	l.accountID(env, d, root, f)
	env.env.RoleARN = l.roleARN(env, d, f, "role_arn")
	env.env.PlanRoleARN = l.roleARN(env, d, f, "plan_role_arn")
	if s, val, ok := typed(f, "region", d.str); ok {
		if regionRE.MatchString(s) {
			env.env.Region = s
			env.regionPos = d.pos(d.node(val))
		} else {
			d.errorf(d.node(val), ruleRegion, "use an AWS region name such as us-east-1", "region %q is not an AWS region name", s)
		}
	}
	env.env.Production = env.env.Name == "production" || env.env.Name == "prod"
	if b, _, ok := typed(f, "production", d.boolean); ok {
		env.env.Production = b
		env.prodSet = true
	}
	if e, ok := f["guardrails"]; ok {
		env.guard = l.guardrails(d, e.val)
		for _, r := range env.guard.forbidden {
			l.checkManagedARN(env, r, "forbidden_managed_policies entry")
		}
	}
	env.env.Guardrails = mergeGuardrails(env.guard, l.cfg.guard)
	if env.env.Production && env.guard.forbidAdmin == nil {
		// Only production's own file can switch its guard off.
		env.env.Guardrails.ForbidAdminEquivalent = true
	}
	if e, ok := f["unmanaged"]; ok {
		l.unmanaged(env, d, e.val)
	}
	if e, ok := set(f, "approvals"); ok {
		l.approvals(env, d, e.val)
	}
}

// roleARN reads environment.yaml's role_arn or plan_role_arn: "" when it is
// not set or not a role ARN of the environment's account.
func (l *loader) roleARN(env *envSrc, d *decoder, f map[string]entry, name string) string {
	s, val, ok := typed(f, name, d.str)
	if !ok || !l.checkRoleARN(env, ref{val: s, pos: d.pos(d.node(val))}, name) {
		return ""
	}
	return s
}

// approvals reads environment.yaml's approvals block.
func (l *loader) approvals(env *envSrc, d *decoder, n *yaml.Node) {
	af, ok := d.fields(n, "approvals", ApprovalFields.Names(), nil)
	if !ok {
		return
	}
	a := Approvals{Pos: d.pos(d.node(n))}
	e, has := af["required"]
	if !has || isNull(e.val) {
		d.errorf(n, ruleRequired, "add required: 1 (or more): the number of distinct approving reviews", "approvals need required")
		return
	}
	if a.Required, ok = d.integer(e.val, "required"); !ok {
		return
	}
	if a.Required < 1 {
		d.errorf(d.node(e.val), ruleApprovals, "use 1 or more, or remove the approvals block", "approvals required must be 1 or more, got %d", a.Required)
		return
	}
	r, has := af["reviewers"]
	if !has || isNull(r.val) {
		d.errorf(n, ruleRequired, "add reviewers: [login, org/team-slug]", "approvals need reviewers")
		return
	}
	for _, ref := range d.strList(r.val, "reviewers") {
		a.Reviewers = append(a.Reviewers, ref.val)
	}
	if err := (approval.Rule{Required: a.Required, Reviewers: a.Reviewers}).Validate(); err != nil {
		d.errorf(d.node(r.val), ruleApprovals, "list GitHub logins (octocat) or teams (example-corp/iam-admins), each once, enough to meet required", "%v", strings.ReplaceAll(err.Error(), "\n", "; "))
		return
	}
	env.env.Approvals = a
}

// accountID reads environment.yaml's account_id.
func (l *loader) accountID(env *envSrc, d *decoder, root *yaml.Node, f map[string]entry) {
	e, has := f["account_id"]
	switch {
	case !has || isNull(e.val):
		at := root
		if has {
			at = e.key
		}
		d.errorf(at, ruleRequired, `add account_id: "123456789012" (quoted) with the environment's AWS account ID`,
			"%s needs an account_id", EnvironmentFile)
	default:
		n := d.node(e.val)
		if n == nil {
			break
		}
		env.accountPos = d.pos(n)
		switch {
		case n.Kind == yaml.ScalarNode && n.ShortTag() != "!!str" && accountIDRE.MatchString(n.Value):
			d.errorf(n, ruleAccountIDQuoted, fmt.Sprintf(`quote it: account_id: "%s"`, n.Value),
				"account_id must be a quoted string, or YAML reads it as a number")
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
			if !accountIDRE.MatchString(n.Value) {
				d.errorf(n, ruleAccountID, "an AWS account ID is exactly 12 digits, quoted", "account_id %q is not 12 digits", n.Value)
				break
			}
			env.env.AccountID = n.Value
			env.accountOK = true
		default:
			d.errorf(n, ruleAccountID, `write it as 12 digits in quotes: account_id: "123456789012"`,
				"account_id must be a quoted string of 12 digits, got %s", kindName(n))
		}
	}
}

// unmanaged reads environment.yaml's unmanaged block.
func (l *loader) unmanaged(env *envSrc, d *decoder, n *yaml.Node) {
	uf, ok := d.fields(n, "unmanaged", UnmanagedFields.Names(), nil)
	if !ok {
		return
	}
	e, ok := uf["ignore"]
	if !ok {
		return
	}
	for _, r := range d.strList(e.val, "ignore") {
		if _, err := path.Match(r.val, ""); err != nil {
			l.diags.Errorf(r.pos, ruleUnmanagedGlob, `use * and ? wildcards and [a-z] classes; escape [ with \`,
				"ignore pattern %q is not a valid glob: %v", r.val, err)
			continue
		}
		env.env.Unmanaged.Ignore = append(env.env.Unmanaged.Ignore, r.val)
	}
}

// loadManifest reads one manifest file of env.
func (l *loader) loadManifest(env *envSrc, rel string) {
	d, root, ok := l.readFile(rel)
	if !ok || root == nil {
		return
	}
	f, ok := d.fields(root, "manifest", ManifestFields.Names(), func(name string) string {
		if EnvironmentFields.Has(name) {
			return "environment settings belong in " + l.display(env.env.Name+"/"+EnvironmentFile)
		}
		switch name {
		case "user", "people", "persons":
			return `people go under "users:"`
		case "service_account", "services", "machines":
			return `machine users go under "service_accounts:"`
		case "group":
			return `did you mean "groups"?`
		}
		return ""
	})
	if !ok {
		return
	}
	if e, ok := f["groups"]; ok {
		items, _ := d.list(e.val, "groups")
		for _, it := range items {
			if g := l.group(env, d, it); g != nil {
				env.groups = append(env.groups, g)
			}
		}
	}
	for _, kind := range []struct {
		field string
		kind  Kind
	}{{"users", Person}, {"service_accounts", ServiceAccount}} {
		e, ok := f[kind.field]
		if !ok {
			continue
		}
		items, _ := d.list(e.val, kind.field)
		for _, it := range items {
			if u := l.user(env, d, it, kind.kind); u != nil {
				env.users = append(env.users, u)
			}
		}
	}
}

// entrySrc is what groups, users and service accounts share, as read.
type entrySrc struct {
	pos        diag.Pos
	nameOK     bool
	policies   []ref
	policyPos  diag.Pos
	inlineSize int
	inlinePos  diag.Pos
	// statements are the inline policies' statements that the
	// admin-equivalence rules care about, with their positions.
	statements []statementSrc
}

// entryFields are where readEntry puts the shared fields of an entry.
type entryFields struct {
	name, path *string
	managed    *[]string
	inline     *map[string]string
}

// readEntry reads the fields every entry has: name, path,
// managed_policies and inline_policies. what names the entry in messages
// ("group", "user", "service account"); it returns the entry's label.
func (l *loader) readEntry(env *envSrc, d *decoder, n *yaml.Node, f map[string]entry, what string, dst entryFields, src *entrySrc) string {
	nameRule, nameKind, maxLen := ruleUserName, "user", 64
	if what == "group" {
		nameRule, nameKind, maxLen = ruleGroupName, "group", 128
	}
	switch s, val, ok := typed(f, "name", d.str); {
	case ok:
		*dst.name = s
		src.nameOK = checkName(&l.diags, d.pos(d.node(val)), nameRule, nameKind, s, maxLen)
	case val == nil:
		d.errorf(n, ruleRequired, "add name: with the IAM "+nameKind+" name", "%s has no name", what)
	}
	label := fmt.Sprintf("%s %q", what, *dst.name)
	if s, val, ok := typed(f, "path", d.str); ok && l.checkPath(d.pos(d.node(val)), s) {
		*dst.path = s
	}
	if e, ok := f["managed_policies"]; ok {
		src.policyPos = d.pos(e.key)
		src.policies = l.managedPolicies(env, d, e.val)
		for _, r := range src.policies {
			*dst.managed = append(*dst.managed, l.strs.intern(r.val))
		}
	}
	if e, ok := f["inline_policies"]; ok {
		src.inlinePos = d.pos(e.key)
		*dst.inline, src.inlineSize = l.inlinePolicies(d, e.val, label, src)
	}
	return label
}

// group reads one entry of a groups list.
func (l *loader) group(env *envSrc, d *decoder, n *yaml.Node) *groupSrc {
	at := d.pos(n) // where the entry is written: an alias's own line, not its anchor's
	n = d.node(n)
	if n == nil {
		return nil
	}
	f, ok := d.fields(n, "group", GroupFields.Names(), func(name string) string {
		if name == "members" || name == "users" {
			return "list the group under each member's groups: instead"
		}
		return ""
	})
	if !ok {
		return nil
	}
	g := &groupSrc{g: &Group{Path: l.cfg.Defaults.Path, Pos: at}, entrySrc: entrySrc{pos: at}}
	l.readEntry(env, d, n, f, "group", entryFields{&g.g.Name, &g.g.Path, &g.g.ManagedPolicies, &g.g.InlinePolicies}, &g.entrySrc)
	g.g.Absent, _, _ = typed(f, "absent", d.boolean)
	return g
}

// user reads one entry of a users or service_accounts list.
func (l *loader) user(env *envSrc, d *decoder, n *yaml.Node, kind Kind) *userSrc {
	at := d.pos(n) // where the entry is written: an alias's own line, not its anchor's
	n = d.node(n)
	if n == nil {
		return nil
	}
	known, what := UserFields.Names(), "user"
	if kind == ServiceAccount {
		known, what = ServiceAccountFields.Names(), "service account"
	}
	f, ok := d.fields(n, what, known, func(name string) string { return userFieldHint(kind, name) })
	if !ok {
		return nil
	}
	u := &userSrc{u: &User{Kind: kind, Path: l.cfg.Defaults.Path, Pos: at}, entrySrc: entrySrc{pos: at}}
	label := l.readEntry(env, d, n, f, what, entryFields{&u.u.Name, &u.u.Path, &u.u.ManagedPolicies, &u.u.InlinePolicies}, &u.entrySrc)
	if e, ok := f["groups"]; ok {
		l.userGroups(d, e, u, label)
	}
	if s, val, ok := typed(f, "permissions_boundary", d.str); ok && l.checkBoundaryARN(env, ref{val: s, pos: d.pos(d.node(val))}) {
		u.u.PermissionsBoundary = s
	}
	if e, ok := f["tags"]; ok {
		u.tagsPos = d.pos(e.key)
		u.tags = d.strMap(e.val, "tags")
		l.checkTags(u.tags)
		for _, t := range u.tags {
			l.checkReservedTag(t)
		}
	}
	l.console(d, f, u, label)
	if kind == ServiceAccount {
		l.owner(d, n, f, u, label)
		if e, ok := set(f, "access_key"); ok {
			l.accessKey(d, e, u, label)
		}
	}
	u.u.Absent, _, _ = typed(f, "absent", d.boolean)
	if e, ok := set(f, "expires"); ok {
		l.expires(d, d.node(e.val), u, label)
	}
	return u
}

// userFieldHint says what to do about an unknown field of a user or
// service account, or "".
func userFieldHint(kind Kind, name string) string {
	switch {
	case kind == ServiceAccount && (name == "console" || name == "pgp_key"):
		return "service accounts never sign in to the console; a person who needs the console goes under users:"
	case kind == Person && name == "access_key":
		return "roster manages access keys of service accounts only; move this entry under service_accounts: if it is a machine"
	case kind == Person && name == "owner":
		return "owner is for service accounts; move this entry under service_accounts: if it is a machine"
	case name == "group":
		return `did you mean "groups"?`
	case name == "policies":
		return "use managed_policies: for ARNs or inline_policies: for documents"
	}
	return ""
}

// userGroups reads a user's groups list: group names, or mappings with
// the name and the membership's expires.
func (l *loader) userGroups(d *decoder, e entry, u *userSrc, label string) {
	u.groupsPos = d.pos(e.key)
	items, _ := d.list(e.val, "groups")
	seen := map[string]bool{}
	for _, it := range items {
		r, exp, ok := l.membership(d, it, label)
		if !ok {
			continue
		}
		if seen[r.val] {
			l.diags.Errorf(r.pos, ruleListDuplicate, "remove the repeated entry", "group %q is listed twice", r.val)
			continue
		}
		seen[r.val] = true
		r.val = l.strs.intern(r.val)
		u.groups = append(u.groups, r)
		u.u.Groups = append(u.u.Groups, r.val)
		if exp != nil {
			if u.u.GroupExpires == nil {
				u.u.GroupExpires = map[string]Expiry{}
				u.expiresPos = map[string]diag.Pos{}
			}
			u.u.GroupExpires[r.val] = exp.e
			u.expiresPos[r.val] = exp.pos
		}
	}
}

// membership reads one entry of a user's groups: a name, or {name,
// expires}.
func (l *loader) membership(d *decoder, it *yaml.Node, label string) (ref, *expirySrc, bool) {
	n := d.node(it)
	if n == nil {
		return ref{}, nil, false
	}
	if n.Kind != yaml.MappingNode {
		s, ok := d.str(n, "groups entry")
		return ref{val: s, pos: d.pos(n)}, nil, ok
	}
	f, ok := d.fields(n, "group membership", MembershipFields.Names(), nil)
	if !ok {
		return ref{}, nil, false
	}
	ne, ok := f["name"]
	if !ok {
		d.errorf(n, ruleRequired, "write the group's name: - name: developers", "a group membership of %s has no name", label)
		return ref{}, nil, false
	}
	s, ok := d.str(ne.val, "groups entry name")
	if !ok {
		return ref{}, nil, false
	}
	r := ref{val: s, pos: d.pos(d.node(ne.val))}
	ee, ok := set(f, "expires")
	if !ok {
		return r, nil, true
	}
	exp, ok := l.expiry(d, d.node(ee.val), "expires")
	if !ok {
		return r, nil, true
	}
	if exp.Passed(l.now) {
		d.warnf(d.node(ee.val), ruleExpired, "remove the entry, or move expires to a later time if the access is still needed",
			"the membership of %s in group %q ended %s and will be removed by the next apply or expire run", label, s, expiredWhen(exp))
	}
	return r, &expirySrc{exp, d.pos(d.node(ee.val))}, true
}

// expirySrc is an expiry with where it is written.
type expirySrc struct {
	e   Expiry
	pos diag.Pos
}

// console reads a person's console and pgp_key.
func (l *loader) console(d *decoder, f map[string]entry, u *userSrc, label string) {
	console, consoleVal, _ := typed(f, "console", d.boolean)
	u.u.Console = console
	consolePos := d.node(consoleVal)
	var pgpPos *yaml.Node
	if s, val, ok := typed(f, "pgp_key", d.str); ok {
		u.u.PGPKey = l.keyTexts.intern(s)
		pgpPos = d.node(val)
	}
	switch {
	case u.u.Console && pgpPos == nil:
		d.errorf(consolePos, ruleConsolePGP, "add pgp_key: with the person's armored OpenPGP public key (gpg --export --armor EMAIL); the initial password is encrypted to it",
			"%s has console access but no pgp_key", label)
	case u.u.Console:
		if err := l.checkPGPKey(u.u.PGPKey); err != nil {
			d.errorf(pgpPos, ruleConsolePGP, "paste the output of gpg --export --armor EMAIL, or its binary form in base64",
				"pgp_key of %s is not usable: %v", label, err)
		}
	case pgpPos != nil:
		d.warnf(pgpPos, rulePGPUnused, "remove pgp_key, or set console: true", "%s has a pgp_key but no console access; the key is not used", label)
	}
}

// owner reads a service account's owner.
func (l *loader) owner(d *decoder, n *yaml.Node, f map[string]entry, u *userSrc, label string) {
	e, ok := f["owner"]
	if !ok || isNull(e.val) {
		at := n
		if ok {
			at = e.key
		}
		d.errorf(at, ruleOwner, "add owner: with the team or person responsible for this machine user",
			"%s has no owner", label)
		return
	}
	s, ok := d.str(e.val, "owner")
	if !ok {
		return
	}
	if err := tagValueProblem(s); s == "" || err != "" {
		if s == "" {
			err = "it is empty"
		}
		d.errorf(d.node(e.val), ruleOwner, "roster stores the owner in the tag "+l.cfg.OwnerTag+"; use letters, digits, spaces and _ . : / = + - @",
			"owner %q of %s cannot be a tag value: %s", s, label, err)
	}
	if strings.EqualFold(s, UnknownOwner) {
		d.warnf(d.node(e.val), ruleOwnerUnknown, "replace it with the team or person responsible; until then roster writes no "+l.cfg.OwnerTag+" tag",
			"owner of %s is still %q, the placeholder roster import writes", label, s)
	}
	u.u.Owner = s
}

// checkPGPKey checks that key is a pgp_key with a key that can encrypt
// today: IAM encrypts the initial console password to it. Each distinct key
// is verified once per load.
func (l *loader) checkPGPKey(key string) error {
	k, err := l.keys.Parse(key)
	if err != nil {
		return err
	}
	return k.CanEncrypt(l.now)
}

// expires reads a user's or service account's expires.
func (l *loader) expires(d *decoder, n *yaml.Node, u *userSrc, label string) {
	e, ok := l.expiry(d, n, "expires")
	if !ok {
		return
	}
	u.u.Expires = &e
	if e.Passed(l.now) && !u.u.Absent {
		d.warnf(n, ruleExpired, "keep the entry until the user is deleted (removing it does not offboard anyone), or move expires to a later date if the access is still needed",
			"%s expired %s and will be removed by the next apply or expire run", label, expiredWhen(e))
	}
}

// expiredWhen says when a passed expiry ended: "on 2026-03-31" for a
// date, "at 2026-12-03 18:00 UTC" for a time.
func expiredWhen(e Expiry) string {
	if e.Day {
		return "on " + e.Written()
	}
	return "at " + e.String()
}

// expiry reads an expires value: a date YYYY-MM-DD (the grant lasts
// through that day, UTC) or an RFC 3339 time with its offset, quoted or
// not.
func (l *loader) expiry(d *decoder, n *yaml.Node, what string) (Expiry, bool) {
	if n == nil {
		return Expiry{}, false
	}
	const hint = "write the last day as YYYY-MM-DD (access ends at the end of that day, UTC), or a time as RFC 3339 with its offset, for example 2026-12-03T18:00:00Z"
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != "!!str" && tag != "!!timestamp") {
		d.errorf(n, ruleExpiresFormat, hint, "%s must be a date or an RFC 3339 time, got %s", what, describe(n))
		return Expiry{}, false
	}
	if dateRE.MatchString(n.Value) {
		t, err := time.Parse(time.DateOnly, n.Value)
		if err != nil {
			d.errorf(n, ruleExpiresFormat, hint, "%s %s is not a calendar date", what, n.Value)
			return Expiry{}, false
		}
		return EndOfDay(t), true
	}
	t, err := time.Parse(time.RFC3339Nano, n.Value)
	if err != nil {
		d.errorf(n, ruleExpiresFormat, hint, "%s must be a date or an RFC 3339 time with its offset (Z or +hh:mm), got %s", what, describe(n))
		return Expiry{}, false
	}
	return At(t), true
}

// describe quotes a scalar's text, or names a node's kind.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return fmt.Sprintf("%q", n.Value)
	}
	return kindName(n)
}
