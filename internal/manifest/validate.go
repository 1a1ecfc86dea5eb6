package manifest

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/policy"
)

// IAM quotas and limits the loader enforces.
const (
	maxInlineUser        = 2048 // aggregate inline policy size per user
	maxInlineGroup       = 5120 // aggregate inline policy size per group
	maxManagedPolicies   = 20   // managed policies per user or group (quota maximum)
	quotaManagedPolicies = 10   // the default quota
	maxGroupsPerUser     = 10
	maxTags              = 50
	maxPathLen           = 512
)

var (
	namePartRE = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathRE     = regexp.MustCompile(`^(/|/[\x21-\x7e]+/)$`)
	tagCharsRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	// policyARNRE is a managed policy ARN: partition, account ("aws" for
	// AWS managed policies), path and name.
	policyARNRE = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(aws|[0-9]{12}):policy/((?:[\x21-\x2e\x30-\x7e]+/)*)([\w+=,.@-]{1,128})$`)
	roleARNRE   = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):role/((?:[\x21-\x2e\x30-\x7e]+/)*)([\w+=,.@-]{1,64})$`)
)

// checkName checks an IAM user or group name.
func checkName(l *diag.List, pos diag.Pos, rule, what, name string, maxLen int) bool {
	if len(name) >= 1 && len(name) <= maxLen && namePartRE.MatchString(name) {
		return true
	}
	hint := fmt.Sprintf("use 1-%d letters, digits and the characters + = , . @ _ -", maxLen)
	l.Errorf(pos, rule, hint, "%q is not a valid IAM %s name", name, what)
	return false
}

// checkPath checks an IAM path.
func (l *loader) checkPath(pos diag.Pos, p string) bool {
	if len(p) <= maxPathLen && pathRE.MatchString(p) {
		return true
	}
	l.diags.Errorf(pos, rulePath, `a path is "/" or starts and ends with "/", for example /teams/payments/, up to 512 printable ASCII characters without spaces`,
		"path %q is not a valid IAM path", p)
	return false
}

// notePartition records an ARN for the environment's partition check.
func notePartition(env *envSrc, r ref) {
	if env != nil {
		env.arns = append(env.arns, r)
	}
}

// checkManagedARN checks a managed policy ARN's syntax, and that a customer
// managed policy belongs to the environment's account. env is nil for
// roster.yaml defaults.
func (l *loader) checkManagedARN(env *envSrc, r ref, what string) bool {
	m := policyARNRE.FindStringSubmatch(r.val)
	if m == nil {
		hint := "a managed policy ARN looks like arn:aws:iam::aws:policy/ReadOnlyAccess (AWS managed) or arn:aws:iam::123456789012:policy/NAME (customer managed)"
		if namePartRE.MatchString(r.val) {
			hint = fmt.Sprintf("did you mean arn:aws:iam::aws:policy/%s?", r.val)
		}
		l.diags.Errorf(r.pos, ruleManagedARN, hint, "%s %q is not a managed policy ARN", what, r.val)
		return false
	}
	notePartition(env, r)
	if env != nil && env.accountOK && m[2] != "aws" && m[2] != env.env.AccountID {
		l.diags.Errorf(r.pos, ruleManagedAccount,
			fmt.Sprintf("create the policy in account %s and use its ARN; IAM cannot attach another account's policy", env.env.AccountID),
			"policy %s belongs to account %s, not to this environment's account %s", r.val, m[2], env.env.AccountID)
		return false
	}
	return true
}

// checkBoundaryARN checks a permissions boundary.
func (l *loader) checkBoundaryARN(env *envSrc, r ref) bool {
	m := policyARNRE.FindStringSubmatch(r.val)
	if m == nil {
		l.diags.Errorf(r.pos, ruleBoundaryARN,
			"a permissions boundary is a managed policy ARN, for example arn:aws:iam::123456789012:policy/boundary",
			"permissions_boundary %q is not a managed policy ARN", r.val)
		return false
	}
	notePartition(env, r)
	if env.accountOK && m[2] != "aws" && m[2] != env.env.AccountID {
		l.diags.Errorf(r.pos, ruleBoundaryAccount,
			fmt.Sprintf("use a policy of account %s as the boundary", env.env.AccountID),
			"permissions boundary %s belongs to account %s, not to this environment's account %s", r.val, m[2], env.env.AccountID)
		return false
	}
	return true
}

// checkRoleARN checks role_arn and plan_role_arn.
func (l *loader) checkRoleARN(env *envSrc, r ref, what string) bool {
	m := roleARNRE.FindStringSubmatch(r.val)
	if m == nil {
		l.diags.Errorf(r.pos, ruleRoleARN, "a role ARN looks like arn:aws:iam::123456789012:role/roster-apply",
			"%s %q is not an IAM role ARN", what, r.val)
		return false
	}
	notePartition(env, r)
	if env.accountOK && m[2] != env.env.AccountID {
		l.diags.Errorf(r.pos, ruleRoleARN,
			fmt.Sprintf("use the role in account %s; roster assumes it to manage that account", env.env.AccountID),
			"%s is in account %s, not in this environment's account %s", what, m[2], env.env.AccountID)
		return false
	}
	return true
}

// managedPolicies reads a managed_policies list.
func (l *loader) managedPolicies(env *envSrc, d *decoder, n *yaml.Node) []ref {
	var out []ref
	seen := map[string]bool{}
	for _, r := range d.strList(n, "managed_policies") {
		if !l.checkManagedARN(env, r, "managed policy") {
			continue
		}
		if seen[r.val] {
			l.diags.Errorf(r.pos, ruleListDuplicate, "remove the repeated entry", "managed policy %s is listed twice", r.val)
			continue
		}
		seen[r.val] = true
		out = append(out, r)
	}
	return out
}

// inlinePolicies reads an inline_policies mapping: each document is checked
// with package policy and stored as canonical JSON. It returns the
// documents and their total size as IAM counts it, and notes in src the
// statements the admin-equivalence rules care about.
func (l *loader) inlinePolicies(d *decoder, n *yaml.Node, owner string, src *entrySrc) (map[string]string, int) {
	entries, _ := d.mapping(n, "inline_policies")
	out := map[string]string{}
	total := 0
	for _, e := range entries {
		if !checkName(&l.diags, d.pos(e.key), rulePolicyName, "inline policy", e.name, 128) {
			continue
		}
		doc := d.node(e.val)
		if doc == nil {
			continue
		}
		if doc.Kind != yaml.MappingNode {
			d.errorf(doc, rulePolicyDocument, "write the document as a mapping with Version and Statement; JSON object syntax { ... } works too",
				"inline policy %q of %s must be a policy document (a mapping), got %s", e.name, owner, kindName(doc))
			continue
		}
		v, ok := d.value(doc, "policy document")
		if !ok {
			continue
		}
		problems := policy.Validate(v)
		for _, p := range problems {
			at := problemNode(d, doc, p.Path)
			if at == nil {
				at = e.key
			}
			d.errorf(at, rulePolicyGrammar, "", "inline policy %q of %s: %s", e.name, owner, p.Message)
		}
		canon, err := policy.CanonicalValue(v)
		if err != nil {
			d.errorf(e.key, rulePolicyDocument, "", "inline policy %q of %s cannot be read: %v", e.name, owner, err)
			continue
		}
		if len(problems) > 0 {
			continue
		}
		out[e.name] = canon
		total += policy.Size(canon)
		src.statements = append(src.statements, statements(d, e, doc, canon)...)
	}
	if len(out) == 0 {
		return nil, total
	}
	return out, total
}

// tagValueProblem says what is wrong with a tag value, or "".
func tagValueProblem(v string) string {
	switch {
	case utf8.RuneCountInString(v) > 256:
		return "it is longer than 256 characters"
	case !tagCharsRE.MatchString(v):
		return "it may hold only letters, digits, spaces and _ . : / = + - @"
	}
	return ""
}

// checkTagKey checks a tag key's syntax.
func (l *loader) checkTagKey(pos diag.Pos, key, what string) bool {
	n := utf8.RuneCountInString(key)
	switch {
	case n < 1 || n > 128 || !tagCharsRE.MatchString(key):
		l.diags.Errorf(pos, ruleTagKey, "use 1-128 letters, digits, spaces and _ . : / = + - @",
			"%s %q is not a valid tag key", what, key)
		return false
	case strings.HasPrefix(strings.ToLower(key), "aws:"):
		l.diags.Errorf(pos, ruleTagAWSPrefix, "choose a key without the aws: prefix", "%s %q starts with aws:, which AWS reserves for itself", what, key)
		return false
	}
	return true
}

// checkTags checks a tags mapping's keys and values. IAM treats tag keys
// that differ only in case as the same key.
func (l *loader) checkTags(tags []kv) {
	seen := map[string]kv{}
	for _, t := range tags {
		l.checkTagKey(t.keyPos, t.key, "tag key")
		if p := tagValueProblem(t.val); p != "" {
			l.diags.Errorf(t.valPos, ruleTagValue, "use up to 256 letters, digits, spaces and _ . : / = + - @",
				"value of tag %q is not a valid tag value: %s", t.key, p)
		}
		lk := strings.ToLower(t.key)
		if first, dup := seen[lk]; dup {
			l.diags.Errorf(t.keyPos, ruleTagDuplicate, "IAM tag keys are case-insensitive; keep one of them",
				"tag key %q is the same as %q at line %d", t.key, first.key, first.keyPos.Line)
			continue
		}
		seen[lk] = t
	}
}

// checkReservedTag reports a tag that roster sets itself.
func (l *loader) checkReservedTag(t kv) {
	for _, reserved := range []struct{ key, what string }{
		{l.cfg.OwnershipTag, "the ownership tag, which roster sets on every user it manages"},
		{l.cfg.OwnerTag, "the owner tag, which roster sets from a service account's owner"},
		{PasswordTag, "the tag roster sets on a console password it could not deliver"},
	} {
		if strings.EqualFold(t.key, reserved.key) {
			hint := "remove the tag"
			if reserved.key == l.cfg.OwnerTag {
				hint = "remove the tag; set owner: on the service account instead"
			}
			l.diags.Errorf(t.keyPos, ruleTagReserved, hint, "tag key %q is %s", t.key, reserved.what)
			return
		}
	}
}

// mergedTags returns a user's tags with the defaults added; the user's own
// tags win, compared case-insensitively as IAM does.
func (l *loader) mergedTags(u *userSrc) Tags {
	out := make(Tags, 0, len(l.cfg.Defaults.Tags)+len(u.tags))
	for k, v := range l.cfg.Defaults.Tags {
		if !slices.ContainsFunc(u.tags, func(t kv) bool { return strings.EqualFold(k, t.key) }) {
			out = append(out, Tag{Key: k, Value: v})
		}
	}
	for _, t := range u.tags {
		out = append(out, Tag{Key: l.strs.intern(t.key), Value: l.strs.intern(t.val)})
	}
	if len(out) == 0 {
		return nil
	}
	slices.SortFunc(out, func(a, b Tag) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

// checkEnvironment runs the rules that look at a whole environment:
// uniqueness, group references, quotas, guardrails and partitions.
func (l *loader) checkEnvironment(env *envSrc) {
	groupsFold := uniqueByFold(l, env.groups, func(g *groupSrc) (*entrySrc, string) { return &g.entrySrc, fmt.Sprintf("group %q", g.g.Name) },
		ruleGroupUnique, "IAM group names are case-insensitive; merge the two entries or rename one")
	groups := make(map[string]*groupSrc, len(groupsFold))
	for _, g := range groupsFold {
		groups[g.g.Name] = g
	}
	uniqueByFold(l, env.users, func(u *userSrc) (*entrySrc, string) { return &u.entrySrc, kindLabel(u.u) },
		ruleNameUnique, "IAM user names are case-insensitive and shared by people and service accounts; merge the two entries or rename one")
	for _, g := range env.groups {
		l.checkGroup(env, g)
	}
	for _, u := range env.users {
		l.checkUser(env, u, groups, groupsFold)
	}
	l.checkPartition(env)
}

// uniqueByFold reports entries named like an earlier one but for case (IAM
// names are case-insensitive) and returns the others by lower-case name.
// entry returns an item's shared part and its label; items whose name is
// invalid are left out.
func uniqueByFold[T interface{ name() string }](l *loader, items []T, entry func(T) (*entrySrc, string), rule, hint string) map[string]T {
	out := make(map[string]T, len(items))
	for _, it := range items {
		e, label := entry(it)
		if !e.nameOK {
			continue
		}
		lower := strings.ToLower(it.name())
		if first, dup := out[lower]; dup {
			fe, _ := entry(first)
			l.diags.Errorf(e.pos, rule, hint, "%s is already defined at %s", label, fe.pos)
			continue
		}
		out[lower] = it
	}
	return out
}

func (g *groupSrc) name() string { return g.g.Name }
func (u *userSrc) name() string  { return u.u.Name }

// checkGroup checks a group's quotas and guardrails.
func (l *loader) checkGroup(env *envSrc, g *groupSrc) {
	label := fmt.Sprintf("group %q", g.g.Name)
	l.checkManagedCount(g.policyPos, label, len(g.policies))
	if g.inlineSize > maxInlineGroup {
		l.diags.Errorf(g.inlinePos, rulePolicySize, "move statements into a customer managed policy",
			"inline policies of %s total %d characters; IAM allows %d per group", label, g.inlineSize, maxInlineGroup)
	}
	if g.g.Absent {
		return
	}
	l.checkForbidden(env, g.policies, label)
	l.checkAdminEquivalent(env, &g.entrySrc, label)
}

// checkForbidden reports managed policies the environment forbids.
func (l *loader) checkForbidden(env *envSrc, policies []ref, label string) {
	for _, r := range policies {
		if slices.Contains(env.env.Guardrails.ForbiddenManagedPolicies, r.val) {
			l.diags.Errorf(r.pos, ruleForbiddenPolicy, "remove the policy; the environment's guardrails forbid it",
				"%s attaches %s, which environment %s forbids", label, r.val, env.env.Name)
		}
	}
}

// checkUser checks a user's groups, quotas, guardrails and tags, and fills
// in its tags with the defaults.
func (l *loader) checkUser(env *envSrc, u *userSrc, groups, groupsFold map[string]*groupSrc) {
	label := kindLabel(u.u)
	if u.nameOK && env.env.Unmanaged.Ignores(u.u.Name) {
		l.diags.Errorf(u.pos, ruleIgnoredDeclared,
			"remove the entry: roster never changes or deletes a user unmanaged.ignore matches; to manage it, remove the pattern from unmanaged.ignore in "+l.display(env.env.Name+"/"+EnvironmentFile),
			"%s is matched by unmanaged.ignore, so it cannot be declared", label)
	}
	u.u.Tags = l.mergedTags(u)
	if u.u.Absent {
		// A tombstone only asks for the offboarding: what it would grant
		// does not matter.
		return
	}
	for _, r := range u.groups {
		l.checkMembership(env, r, label, groups, groupsFold)
	}
	l.checkElevation(env, u, label)
	if len(u.u.Groups) > maxGroupsPerUser {
		l.diags.Errorf(u.groupsPos, ruleGroupsPerUser, "merge groups; IAM does not raise this quota",
			"%s is in %d groups; IAM allows %d", label, len(u.u.Groups), maxGroupsPerUser)
	}
	l.checkForbidden(env, u.policies, label)
	l.checkAdminEquivalent(env, &u.entrySrc, label)
	l.checkAdminThroughGroups(env, u, label, groups)
	l.checkManagedCount(u.policyPos, label, len(u.policies))
	if u.inlineSize > maxInlineUser {
		l.diags.Errorf(u.inlinePos, rulePolicySize, "move statements into a group or a customer managed policy",
			"inline policies of %s total %d characters; IAM allows %d per user", label, u.inlineSize, maxInlineUser)
	}
	l.checkAccessKey(env, u)
	count := len(u.u.Tags) + 1
	extra := "roster's ownership tag"
	switch {
	case u.u.Kind == ServiceAccount:
		count++
		extra = "roster's ownership and owner tags"
	case u.u.Console:
		// Apply tags the user PasswordTag while it delivers a password.
		count++
		extra = "roster's ownership tag and the " + PasswordTag + " tag apply sets while it delivers the console password"
	}
	if count > maxTags {
		at := u.tagsPos
		if at.File == "" {
			at = u.pos
		}
		l.diags.Errorf(at, ruleTagCount, "remove tags; IAM allows 50 per user",
			"%s would have %d tags, counting the default tags and %s; IAM allows %d", label, count, extra, maxTags)
	}
}

// checkMembership checks one group a user is in: declared, not absent, not
// granting a forbidden policy.
func (l *loader) checkMembership(env *envSrc, r ref, label string, groups, groupsFold map[string]*groupSrc) {
	g, ok := groups[r.val]
	switch {
	case !ok:
		hint := "declare the group under groups: in a manifest of this environment"
		if fold, ok := groupsFold[strings.ToLower(r.val)]; ok {
			hint = fmt.Sprintf("did you mean %q?", fold.g.Name)
		}
		l.diags.Errorf(r.pos, ruleGroupUnknown, hint, "%s is in group %q, which environment %s does not declare", label, r.val, env.env.Name)
	case g.g.Absent:
		l.diags.Errorf(r.pos, ruleGroupAbsent, "remove the group from the user's groups, or drop absent: true from the group",
			"%s is in group %q, which is marked absent (to be deleted) at %s", label, r.val, g.pos)
	default:
		for _, p := range g.policies {
			if slices.Contains(env.env.Guardrails.ForbiddenManagedPolicies, p.val) {
				l.diags.Errorf(r.pos, ruleForbiddenPolicy, "remove the user from the group, or the policy from the group",
					"%s gets %s through group %q, which environment %s forbids", label, p.val, g.g.Name, env.env.Name)
			}
		}
	}
}

// checkElevation refuses a time-bound membership that ends more than the
// environment's max_elevation_hours from now (the time of validation).
// Memberships without an end are permanent grants, reviewed as such.
func (l *loader) checkElevation(env *envSrc, u *userSrc, label string) {
	limit := env.env.Guardrails.MaxElevationHours
	if limit == 0 {
		return
	}
	longest := time.Duration(limit) * time.Hour
	for _, g := range u.u.Grants() {
		if g.Group == "" || g.Passed(l.now) || g.End.Sub(l.now) <= longest {
			continue
		}
		l.diags.Errorf(u.expiresPos[g.Group], ruleElevation,
			fmt.Sprintf("end the membership by %s, or ask for a new elevation when this one ends", l.now.Add(longest).UTC().Format(time.RFC3339)),
			"the membership of %s in group %q lasts until %s, %s from now; environment %s allows elevations of at most %d hours (guardrails.max_elevation_hours)",
			label, g.Group, g.Expiry, roundHours(g.End.Sub(l.now)), env.env.Name, limit)
	}
}

// roundHours says a duration in whole hours, rounded up: "73 hours".
func roundHours(d time.Duration) string {
	h := int((d + time.Hour - 1) / time.Hour)
	if h == 1 {
		return "1 hour"
	}
	return fmt.Sprintf("%d hours", h)
}

func kindLabel(u *User) string {
	if u.Kind == ServiceAccount {
		return fmt.Sprintf("service account %q", u.Name)
	}
	return fmt.Sprintf("user %q", u.Name)
}

func (l *loader) checkManagedCount(pos diag.Pos, label string, n int) {
	switch {
	case n > maxManagedPolicies:
		l.diags.Errorf(pos, ruleManagedCount, "combine policies into fewer customer managed policies, or use groups",
			"%s attaches %d managed policies; IAM allows at most %d", label, n, maxManagedPolicies)
	case n > quotaManagedPolicies:
		l.diags.Warnf(pos, ruleManagedCount, "ask AWS to raise the quota (up to 20) in this account, or use groups",
			"%s attaches %d managed policies, more than IAM's default quota of %d", label, n, quotaManagedPolicies)
	}
}

// checkPartition reports ARNs whose partition differs from the first ARN
// of the environment, and a region of another partition than the ARNs.
func (l *loader) checkPartition(env *envSrc) {
	if len(env.arns) == 0 {
		return
	}
	first := env.arns[0]
	want := policy.PartitionOf(first.val)
	l.checkRegionPartition(env, first, want)
	for _, r := range env.arns[1:] {
		if p := policy.PartitionOf(r.val); p != want {
			l.diags.Errorf(r.pos, rulePartition, "an account lives in one partition; use the same arn:"+want+": prefix everywhere in this environment",
				"ARN %s is in partition %s, but this environment uses %s (first at %s)", r.val, p, want, first.pos)
		}
	}
}

// checkRegionPartition reports a region outside the partition of the
// environment's ARNs: STS of one partition cannot assume a role of another,
// so every call would fail. An environment that sets no region gets its
// partition's default region (us-east-1, cn-north-1, us-gov-west-1).
func (l *loader) checkRegionPartition(env *envSrc, first ref, want string) {
	if env.regionPos.File == "" {
		env.env.Region = policy.RegionOf(want)
		return
	}
	region := env.env.Region
	if got := policy.RegionPartition(region); got != want {
		l.diags.Errorf(env.regionPos, rulePartition,
			fmt.Sprintf("use a region of partition %s, such as %s, or the account's arn:%s: ARNs", want, policy.RegionOf(want), got),
			"region %s is in partition %s, but this environment's ARNs are in partition %s (first at %s)", region, got, want, first.pos)
	}
}

// checkOrder checks roster.yaml's order against the environment folders.
func (l *loader) checkOrder() {
	seen := map[string]diag.Pos{}
	for _, r := range l.cfg.order {
		if first, dup := seen[r.val]; dup {
			l.diags.Errorf(r.pos, ruleOrderDuplicate, "list each environment once", "environment %q is listed twice in order (first at line %d)", r.val, first.Line)
			continue
		}
		seen[r.val] = r.pos
		if !slices.ContainsFunc(l.envs, func(e *envSrc) bool { return e.env.Name == r.val }) {
			var names []string
			for _, e := range l.envs {
				names = append(names, e.env.Name)
			}
			hint := "create the folder " + l.display(r.val) + "/ or remove it from order"
			if len(names) > 0 {
				hint += "; environments: " + strings.Join(names, ", ")
			}
			l.diags.Errorf(r.pos, ruleOrderUnknown, hint, "order names environment %q, but there is no folder %s", r.val, l.display(r.val))
		}
	}
}

// checkAcrossEnvironments checks that every environment is its own account.
func (l *loader) checkAcrossEnvironments() {
	byAccount := map[string]*envSrc{}
	for _, e := range l.envs {
		if !e.accountOK {
			continue
		}
		if first, dup := byAccount[e.env.AccountID]; dup {
			l.diags.Errorf(e.accountPos, ruleAccountIDUnique, "each environment is its own AWS account; check the account ID",
				"account_id %s is already used by environment %s (%s)", e.env.AccountID, first.env.Name, first.accountPos)
			continue
		}
		byAccount[e.env.AccountID] = e
	}
}

// repository assembles the loaded tree, in promotion order with sorted
// users and groups.
func (l *loader) repository() *Repository {
	order := DefaultOrder
	if l.cfg.orderSet {
		order = nil
		for _, r := range l.cfg.order {
			order = append(order, r.val)
		}
	}
	rank := func(name string) int {
		if i := slices.Index(order, name); i >= 0 {
			return i
		}
		return len(order)
	}
	envs := slices.Clone(l.envs)
	slices.SortStableFunc(envs, func(a, b *envSrc) int {
		return cmp.Or(cmp.Compare(rank(a.env.Name), rank(b.env.Name)), cmp.Compare(a.env.Name, b.env.Name))
	})
	repo := &Repository{Dir: l.dir, Config: l.cfg.Config}
	repo.Config.Order = []string{}
	for _, e := range envs {
		repo.Environments = append(repo.Environments, e.env)
		repo.Config.Order = append(repo.Config.Order, e.env.Name)
	}
	return repo
}

// settle moves an environment's checked groups and users into its
// Environment, sorted by name, and drops what only the checks needed (the
// positions, tags and statements as read): while the other environments
// load, a loaded one holds its desired state and nothing more.
func (e *envSrc) settle() {
	for _, g := range e.groups {
		e.env.Groups = append(e.env.Groups, g.g)
	}
	if len(e.users) > 0 {
		e.env.Users = make([]*User, 0, len(e.users))
	}
	for _, u := range e.users {
		e.env.Users = append(e.env.Users, u.u)
	}
	slices.SortStableFunc(e.env.Groups, func(a, b *Group) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortStableFunc(e.env.Users, func(a, b *User) int { return cmp.Compare(a.Name, b.Name) })
	e.groups, e.users, e.arns = nil, nil, nil
}
