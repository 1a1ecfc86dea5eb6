package report

import (
	"encoding/json"
	"path"
	"slices"
	"strings"
)

// AWS managed policies the admin rules know by name.
const (
	AdministratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"
	IAMFullAccess       = "arn:aws:iam::aws:policy/IAMFullAccess"
	PowerUserAccess     = "arn:aws:iam::aws:policy/PowerUserAccess"
)

// Rule names an admin-equivalence rule (docs/report.md lists them).
type Rule string

// The admin-equivalence rules. Each one means the user can reach every
// permission in the account, at once or by granting it to themselves.
const (
	// RuleAdministrator: AdministratorAccess is attached to the user or to
	// one of its groups.
	RuleAdministrator Rule = "administrator-access"
	// RuleAllowAll: an inline policy allows the action "*" (or "*:*") on
	// the resource "*".
	RuleAllowAll Rule = "allow-all"
	// RuleIAMFull: IAMFullAccess is attached, or an inline policy allows an
	// IAM action that grants permissions (attaching or writing policies,
	// adding users to groups, creating credentials for other users...),
	// so the user can give itself anything.
	RuleIAMFull Rule = "iam-escalation"
	// RulePowerUserIAM: PowerUserAccess, which runs any service, together
	// with any other IAM write (iam:PassRole, iam:CreateRole...): passing a
	// powerful role to a compute service the user controls is
	// administrator access.
	RulePowerUserIAM Rule = "power-user-with-iam-write"
)

// Flag is one reason a user's access in an environment is admin-equivalent.
type Flag struct {
	Rule Rule `json:"rule"`
	// Reason says which policy triggered the rule, for people.
	Reason string `json:"reason"`
}

// escalationActions are the IAM actions that let a principal grant
// permissions to itself or take over another principal. Patterns in a
// policy are matched against them with IAM's wildcard rules.
var escalationActions = []string{
	"iam:AddUserToGroup",
	"iam:AttachGroupPolicy",
	"iam:AttachRolePolicy",
	"iam:AttachUserPolicy",
	"iam:CreateAccessKey",
	"iam:CreateLoginProfile",
	"iam:CreatePolicyVersion",
	"iam:DeleteRolePermissionsBoundary",
	"iam:DeleteUserPermissionsBoundary",
	"iam:PutGroupPolicy",
	"iam:PutRolePolicy",
	"iam:PutUserPolicy",
	"iam:SetDefaultPolicyVersion",
	"iam:UpdateAssumeRolePolicy",
	"iam:UpdateLoginProfile",
}

// iamReadPrefixes start the names of IAM actions that change nothing.
var iamReadPrefixes = []string{"get", "list", "generate", "simulate"}

// grants summarizes what one inline policy document allows, as far as the
// admin rules care.
type grants struct {
	allowAll   bool // "*" on "*"
	escalation bool // an escalationActions action
	iamWrite   bool // any IAM action that is not a read
}

// inspect reads a canonical policy document. Deny statements, NotAction,
// NotResource and conditions are not evaluated: an Allow is counted as
// written, so the flags err on the side of showing access.
func inspect(doc string) grants {
	var d struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return grants{}
	}
	var stmts []map[string]any
	if err := json.Unmarshal(d.Statement, &stmts); err != nil {
		var one map[string]any
		if json.Unmarshal(d.Statement, &one) != nil {
			return grants{}
		}
		stmts = []map[string]any{one}
	}
	var g grants
	for _, s := range stmts {
		if effect, _ := s["Effect"].(string); effect != "Allow" {
			continue
		}
		actions := stringList(s["Action"])
		resources := stringList(s["Resource"])
		anyResource := contains(resources, "*")
		onIAM := slices.ContainsFunc(resources, mayBeIAM)
		for _, a := range actions {
			if (a == "*" || a == "*:*") && anyResource {
				g.allowAll = true
			}
			if onIAM && matchesAny(a, escalationActions) {
				g.escalation = true
			}
			if onIAM && iamWrite(a) {
				g.iamWrite = true
			}
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

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
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
