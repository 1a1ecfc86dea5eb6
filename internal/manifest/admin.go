package manifest

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/policy"
)

// This file is the forbid_admin_equivalent guardrail: it refuses, at the
// line of the ARN or statement, any identity that gets admin-equivalent
// access. What is admin-equivalent is decided in one place,
// internal/policy/admin.go, which the access report and drift use too.

// statementSrc is one statement of an inline policy, where it is written
// and what it allows.
type statementSrc struct {
	policy string
	pos    diag.Pos
	grants policy.Grants
}

// statements returns the statements of an inline policy (canon is its
// canonical JSON) that allow admin-equivalent access or an IAM write, each
// at the line it is written on.
func statements(d *decoder, e entry, doc *yaml.Node, canon string) []statementSrc {
	var out []statementSrc
	for _, s := range policy.InspectStatements(canon) {
		if s.Rule() == "" && !s.IAMWrite {
			continue
		}
		at := problemNode(d, doc, s.Path)
		if at == nil {
			at = e.key
		}
		out = append(out, statementSrc{policy: e.name, pos: d.pos(at), grants: s.Grants})
	}
	return out
}

// adminHint says what to do about admin-equivalent access in env.
func (l *loader) adminHint(env *envSrc) string {
	return "grant a narrower policy; keep break-glass administrators out of the manifests (unmanaged.ignore), or set guardrails.forbid_admin_equivalent: false in " +
		l.display(env.env.Name+"/"+EnvironmentFile)
}

// adminForbids is the end of every admin-equivalent message.
func adminForbids(env *envSrc) string {
	why := "its guardrails set forbid_admin_equivalent"
	if env.env.Production {
		why = "a production environment forbids it unless its environment.yaml sets forbid_admin_equivalent: false"
	}
	return fmt.Sprintf("environment %s forbids admin-equivalent access (%s)", env.env.Name, why)
}

// checkAdminEquivalent refuses the entry's own admin-equivalent grants:
// AWS managed policies (any partition) and inline statements.
func (l *loader) checkAdminEquivalent(env *envSrc, src *entrySrc, label string) {
	if !env.env.Guardrails.ForbidAdminEquivalent {
		return
	}
	for _, r := range src.policies {
		if slices.Contains(env.env.Guardrails.ForbiddenManagedPolicies, r.val) {
			continue // refused as forbidden already, at the same line
		}
		if rule := policy.ManagedRule(r.val); rule != "" {
			l.diags.Errorf(r.pos, ruleAdminEquivalent, l.adminHint(env),
				"%s attaches %s, which is admin-equivalent (%s: %s); %s", label, r.val, rule, rule.Meaning(), adminForbids(env))
		}
	}
	for _, s := range src.statements {
		if rule := s.grants.Rule(); rule != "" {
			l.diags.Errorf(s.pos, ruleAdminEquivalent, l.adminHint(env),
				"this statement of inline policy %q of %s is admin-equivalent (%s: %s); %s", s.policy, label, rule, rule.Meaning(), adminForbids(env))
		}
	}
	if power, ok := powerUser(src.policies); ok {
		for _, s := range src.statements {
			if s.grants.Rule() == "" && s.grants.IAMWrite {
				l.diags.Errorf(s.pos, ruleAdminEquivalent, l.adminHint(env),
					"this statement of inline policy %q of %s writes to IAM, and %s also has PowerUserAccess (%s): together admin-equivalent (%s); %s",
					s.policy, label, label, power.pos, policy.RulePowerUserIAM, adminForbids(env))
			}
		}
	}
}

// checkAdminThroughGroups refuses a user whose groups, together with its
// own grants, make it admin-equivalent (PowerUserAccess in one place, an
// IAM write in another). A group that is admin-equivalent on its own is
// reported at the group's line, once, not at every member.
func (l *loader) checkAdminThroughGroups(env *envSrc, u *userSrc, label string, groups map[string]*groupSrc) {
	if !env.env.Guardrails.ForbidAdminEquivalent {
		return
	}
	ownPower, ownHasPower := powerUser(u.policies)
	ownWrite, ownHasWrite := iamWriteStatement(u.statements)
	for _, r := range u.groups {
		g := groups[r.val]
		if g == nil || g.g.Absent {
			continue
		}
		_, groupPower := powerUser(g.policies)
		_, groupWrite := iamWriteStatement(g.statements)
		switch {
		case groupPower && groupWrite:
			// The group is refused on its own.
		case groupPower && ownHasWrite:
			l.diags.Errorf(ownWrite.pos, ruleAdminEquivalent, l.adminHint(env),
				"this statement of inline policy %q of %s writes to IAM, and %s has PowerUserAccess through group %q (%s): together admin-equivalent (%s); %s",
				ownWrite.policy, label, label, g.g.Name, r.pos, policy.RulePowerUserIAM, adminForbids(env))
		case groupWrite && (ownHasPower || l.powerInOtherGroup(u, g, groups)):
			via := "it attaches PowerUserAccess"
			if ownHasPower {
				via += " (" + ownPower.pos.String() + ")"
			} else {
				via = "another of its groups has PowerUserAccess"
			}
			l.diags.Errorf(r.pos, ruleAdminEquivalent, l.adminHint(env),
				"%s is in group %q, whose inline policies write to IAM, and %s: together admin-equivalent (%s); %s",
				label, g.g.Name, via, policy.RulePowerUserIAM, adminForbids(env))
		}
	}
}

// powerInOtherGroup reports whether another group of u than g attaches
// PowerUserAccess.
func (l *loader) powerInOtherGroup(u *userSrc, g *groupSrc, groups map[string]*groupSrc) bool {
	for _, r := range u.groups {
		if other := groups[r.val]; other != nil && other != g && !other.g.Absent {
			if _, ok := powerUser(other.policies); ok {
				return true
			}
		}
	}
	return false
}

// powerUser finds PowerUserAccess, in any partition, among policies.
func powerUser(policies []ref) (ref, bool) {
	for _, r := range policies {
		if policy.IsPowerUser(r.val) {
			return r, true
		}
	}
	return ref{}, false
}

// iamWriteStatement finds a statement that writes to IAM without being
// admin-equivalent on its own.
func iamWriteStatement(stmts []statementSrc) (statementSrc, bool) {
	for _, s := range stmts {
		if s.grants.Rule() == "" && s.grants.IAMWrite {
			return s, true
		}
	}
	return statementSrc{}, false
}
