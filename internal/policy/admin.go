package policy

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
)

// This file is the home of admin-equivalence: which AWS managed policies
// and which policy documents give the power to reach every permission of an
// account. The drift report (internal/drift), the access report
// (internal/report) and the forbid_admin_equivalent guardrail (the loader,
// internal/manifest) all judge access by it.

// AWS managed policies the admin-equivalence rules know by name, as ARNs of
// the aws partition. Every rule matches them in every partition
// (arn:aws-us-gov:…, arn:aws-cn:…): see ManagedName.
const (
	AdministratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"
	IAMFullAccess       = "arn:aws:iam::aws:policy/IAMFullAccess"
	PowerUserAccess     = "arn:aws:iam::aws:policy/PowerUserAccess"
)

// AdminManaged are the AWS managed policies that grant admin-equivalent
// access on their own: full access, or the power to grant it.
var AdminManaged = []string{AdministratorAccess, IAMFullAccess}

// Rule names an admin-equivalence rule: why access is admin-equivalent.
// docs/report.md lists them; the access report, drift and the
// forbid_admin_equivalent guardrail all judge by them.
type Rule string

// The admin-equivalence rules. Each one means the holder can reach every
// permission in the account, at once or by granting it to itself.
const (
	// RuleAdministrator: AdministratorAccess is attached.
	RuleAdministrator Rule = "administrator-access"
	// RuleAllowAll: a statement allows the action "*" (or "*:*") on the
	// resource "*".
	RuleAllowAll Rule = "allow-all"
	// RuleIAMFull: IAMFullAccess is attached, or a statement allows
	// iam:* on "*" or an IAM action that grants permissions or takes over
	// another principal (escalationActions, takeoverActions).
	RuleIAMFull Rule = "iam-escalation"
	// RulePowerUserIAM: PowerUserAccess, which runs any service, together
	// with any other IAM write (iam:CreateRole...): a role created with
	// any policy and given to a compute service the holder controls is
	// administrator access.
	RulePowerUserIAM Rule = "power-user-with-iam-write"
)

// ruleMeanings say in a few words what each rule means.
var ruleMeanings = map[Rule]string{
	RuleAdministrator: "full administrator access",
	RuleAllowAll:      "every action on every resource",
	RuleIAMFull:       "IAM actions that grant any permission or act as another principal",
	RulePowerUserIAM:  "PowerUserAccess with an IAM write",
}

// Meaning says what the rule means, for messages ("full administrator
// access"); an unknown rule is its own name.
func (r Rule) Meaning() string {
	if m, ok := ruleMeanings[r]; ok {
		return m
	}
	return string(r)
}

// ManagedName returns the name of an AWS managed policy ("PowerUserAccess"
// for arn:aws-cn:iam::aws:policy/PowerUserAccess) in any partition, or ""
// for a customer managed policy or something that is no policy ARN.
func ManagedName(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:"+PartitionOf(arn)+":iam::aws:policy/")
	if !ok || PartitionOf(arn) == "" {
		return ""
	}
	return rest
}

// ManagedRule returns the rule by which an AWS managed policy is
// admin-equivalent on its own, in any partition, or "".
func ManagedRule(arn string) Rule {
	switch ManagedName(arn) {
	case "AdministratorAccess":
		return RuleAdministrator
	case "IAMFullAccess":
		return RuleIAMFull
	}
	return ""
}

// IsAdminManaged reports whether arn is one of AdminManaged, in any AWS
// partition (arn:aws-us-gov:iam::aws:policy/AdministratorAccess too).
func IsAdminManaged(arn string) bool { return ManagedRule(arn) != "" }

// IsPowerUser reports whether arn is PowerUserAccess, in any partition.
func IsPowerUser(arn string) bool { return ManagedName(arn) == "PowerUserAccess" }

// escalationActions are the IAM actions that let a principal grant
// permissions, to itself as much as to anyone: attaching, writing or
// re-versioning a policy, joining a group, removing or replacing a
// permissions boundary, rewriting a role's trust. They count on any IAM
// resource, the holder's own user included. The list follows the public
// research on IAM privilege escalation (Rhino Security Labs, "AWS IAM
// Privilege Escalation – Methods and Mitigation"; docs/report.md).
var escalationActions = []string{
	"iam:AddUserToGroup",
	"iam:AttachGroupPolicy",
	"iam:AttachRolePolicy",
	"iam:AttachUserPolicy",
	"iam:CreatePolicyVersion",
	"iam:DeleteRolePermissionsBoundary",
	"iam:DeleteUserPermissionsBoundary",
	"iam:PutGroupPolicy",
	"iam:PutRolePermissionsBoundary",
	"iam:PutRolePolicy",
	"iam:PutUserPermissionsBoundary",
	"iam:PutUserPolicy",
	"iam:SetDefaultPolicyVersion",
	"iam:UpdateAssumeRolePolicy",
}

// takeoverActions let a principal act as another one: sign in or call AWS
// as another user, or hand any role to a compute service it controls. They
// count on a resource that covers other principals than the holder
// itself: "*", user/* or role/*, but not user/${aws:username} (the
// self-service policies) nor a named role for iam:PassRole.
var takeoverActions = []struct {
	action string
	kind   string // the resource type: user or role
}{
	{"iam:CreateAccessKey", "user"},
	{"iam:CreateLoginProfile", "user"},
	{"iam:UpdateLoginProfile", "user"},
	{"iam:PassRole", "role"},
}

// iamReadPrefixes start the names of IAM actions that change nothing.
var iamReadPrefixes = []string{"get", "list", "generate", "simulate"}

// Grants summarizes what one policy document (or one statement) allows, as
// far as the admin-equivalence rules care.
type Grants struct {
	// AllowAll: "*" (or "*:*") on "*".
	AllowAll bool
	// AllIAM: "iam:*" on "*".
	AllIAM bool
	// Escalation: an IAM action that grants permissions (see
	// escalationActions) on a resource that may be IAM's, or one that takes
	// over another principal (takeoverActions) on a resource covering
	// others.
	Escalation bool
	// IAMWrite: any IAM action that is not a read.
	IAMWrite bool
}

// Admin reports whether the document alone is admin-equivalent: every
// action, every IAM action, or an IAM action that grants permissions.
func (g Grants) Admin() bool { return g.Rule() != "" }

// Rule returns the rule by which the grants alone are admin-equivalent,
// or "".
func (g Grants) Rule() Rule {
	switch {
	case g.AllowAll:
		return RuleAllowAll
	case g.AllIAM || g.Escalation:
		return RuleIAMFull
	}
	return ""
}

func (g Grants) or(o Grants) Grants {
	return Grants{
		AllowAll:   g.AllowAll || o.AllowAll,
		AllIAM:     g.AllIAM || o.AllIAM,
		Escalation: g.Escalation || o.Escalation,
		IAMWrite:   g.IAMWrite || o.IAMWrite,
	}
}

// Inspect reads a policy document. Deny statements, NotAction,
// NotResource and conditions are not evaluated: an Allow is counted as
// written, so the findings err on the side of showing access. A document
// that does not parse grants nothing.
func Inspect(doc string) Grants {
	var g Grants
	for _, s := range InspectStatements(doc) {
		g = g.or(s.Grants)
	}
	return g
}

// StatementGrants is what one statement of a document allows.
type StatementGrants struct {
	// Path is the statement's path in the document, in the forms of
	// Problem.Path: "Statement[2]", or "Statement" for a single object.
	Path string
	Grants
}

// InspectStatements reads a policy document statement by statement, as
// Inspect does, so a caller can point at the statement that grants.
func InspectStatements(doc string) []StatementGrants {
	var d struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil
	}
	var stmts []map[string]any
	if err := json.Unmarshal(d.Statement, &stmts); err != nil {
		var one map[string]any
		if json.Unmarshal(d.Statement, &one) != nil {
			return nil
		}
		return []StatementGrants{{Path: "Statement", Grants: inspectStatement(one)}}
	}
	out := make([]StatementGrants, 0, len(stmts))
	for i, s := range stmts {
		out = append(out, StatementGrants{Path: fmt.Sprintf("Statement[%d]", i), Grants: inspectStatement(s)})
	}
	return out
}

// inspectStatement reads one statement.
func inspectStatement(s map[string]any) Grants {
	var g Grants
	if effect, _ := s["Effect"].(string); effect != "Allow" {
		return g
	}
	actions := stringList(s["Action"])
	resources := stringList(s["Resource"])
	anyResource := slices.Contains(resources, "*")
	onIAM := slices.ContainsFunc(resources, mayBeIAM)
	for _, a := range actions {
		if (a == "*" || a == "*:*") && anyResource {
			g.AllowAll = true
		}
		if strings.EqualFold(a, "iam:*") && anyResource {
			g.AllIAM = true
		}
		if onIAM && matchesAny(a, escalationActions) {
			g.Escalation = true
		}
		for _, t := range takeoverActions {
			if matchesAny(a, []string{t.action}) && slices.ContainsFunc(resources, func(r string) bool { return coversOthers(r, t.kind) }) {
				g.Escalation = true
			}
		}
		if onIAM && iamWrite(a) {
			g.IAMWrite = true
		}
	}
	return g
}

// stringList reads a policy element that is a string or a list of strings.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// matchesAny reports whether the action pattern (which may hold * and ?
// wildcards, as IAM allows) covers one of actions. Action names are
// case-insensitive.
func matchesAny(pattern string, actions []string) bool {
	pattern = strings.ToLower(pattern)
	for _, a := range actions {
		if ok, err := path.Match(pattern, strings.ToLower(a)); err == nil && ok {
			return true
		}
	}
	return false
}

// iamWrite reports whether the action pattern covers an IAM action that is
// not a read and not a user changing its own password.
func iamWrite(pattern string) bool {
	p := strings.ToLower(pattern)
	service, action, ok := strings.Cut(p, ":")
	if !ok {
		return p == "*"
	}
	if service != "iam" && service != "*" {
		if ok, err := path.Match(service, "iam"); err != nil || !ok {
			return false
		}
	}
	if action == "changepassword" {
		return false
	}
	for _, prefix := range iamReadPrefixes {
		if strings.HasPrefix(action, prefix) {
			return false
		}
	}
	return true
}

// mayBeIAM reports whether a Resource pattern can match an IAM resource
// (arn:aws:iam::...): "*", an IAM ARN, or a pattern whose wildcard comes
// before the service is known. Other partitions are treated alike.
func mayBeIAM(resource string) bool {
	lit := strings.ToLower(resource)
	if i := strings.IndexAny(lit, "*?"); i >= 0 {
		lit = lit[:i]
	}
	parts := strings.SplitN(lit, ":", 4)
	switch len(parts) {
	case 1:
		return strings.HasPrefix("arn", parts[0])
	case 2:
		return parts[0] == "arn"
	default:
		return parts[0] == "arn" && strings.HasPrefix("iam", parts[2]) && (len(parts) == 3 || parts[2] == "iam")
	}
}

// probeName is a name no policy names on purpose: a resource pattern that
// matches it covers every user (or role) of its kind.
const probeName = "roster-probe-any-principal"

// coversOthers reports whether a Resource pattern covers every IAM
// principal of kind ("user" or "role"), so not only the holder itself or
// roles named on purpose: "*", arn:aws:iam::*:user/*, but not
// arn:aws:iam::*:user/${aws:username} nor arn:aws:iam::123456789012:role/deploy.
func coversOthers(resource, kind string) bool {
	if resource == "*" {
		return true
	}
	parts := strings.SplitN(resource, ":", 6)
	if len(parts) < 6 {
		return wildcardMatch(resource, "arn:aws:iam::123456789012:"+kind+"/"+probeName)
	}
	return wildcardMatch(parts[2], "iam") && wildcardMatch(parts[5], kind+"/"+probeName)
}

// wildcardMatch matches s against an IAM pattern, where * matches any run
// of characters (slashes too) and ? any one character.
func wildcardMatch(pattern, s string) bool {
	px, sx := 0, 0
	star, next := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			star, next = px, sx
			px++
		case star >= 0:
			next++
			px, sx = star+1, next
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
