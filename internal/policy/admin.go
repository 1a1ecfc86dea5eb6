package policy

import (
	"encoding/json"
	"path"
	"slices"
	"strings"
)

// This file is the home of admin-equivalence: which AWS managed policies
// and which policy documents give the power to reach every permission of an
// account. The drift report (internal/drift) and the access report
// (internal/report) both judge access by it.

// AWS managed policies the admin-equivalence rules know by name.
const (
	AdministratorAccess = "arn:aws:iam::aws:policy/AdministratorAccess"
	IAMFullAccess       = "arn:aws:iam::aws:policy/IAMFullAccess"
	PowerUserAccess     = "arn:aws:iam::aws:policy/PowerUserAccess"
)

// AdminManaged are the AWS managed policies that grant admin-equivalent
// access on their own: full access, or the power to grant it.
var AdminManaged = []string{AdministratorAccess, IAMFullAccess}

// IsAdminManaged reports whether arn is one of AdminManaged, in any AWS
// partition (arn:aws-us-gov:iam::aws:policy/AdministratorAccess too).
func IsAdminManaged(arn string) bool {
	for _, a := range AdminManaged {
		if strings.HasSuffix(arn, a[strings.Index(a, ":iam::"):]) {
			return true
		}
	}
	return false
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

// Grants summarizes what one policy document allows, as far as the
// admin-equivalence rules care.
type Grants struct {
	// AllowAll: "*" (or "*:*") on "*".
	AllowAll bool
	// AllIAM: "iam:*" on "*".
	AllIAM bool
	// Escalation: an IAM action that grants permissions (see
	// escalationActions) on a resource that may be IAM's.
	Escalation bool
	// IAMWrite: any IAM action that is not a read.
	IAMWrite bool
}

// Admin reports whether the document alone is admin-equivalent: every
// action, or every IAM action, on every resource.
func (g Grants) Admin() bool { return g.AllowAll || g.AllIAM }

// Inspect reads a policy document. Deny statements, NotAction,
// NotResource and conditions are not evaluated: an Allow is counted as
// written, so the findings err on the side of showing access. A document
// that does not parse grants nothing.
func Inspect(doc string) Grants {
	var d struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return Grants{}
	}
	var stmts []map[string]any
	if err := json.Unmarshal(d.Statement, &stmts); err != nil {
		var one map[string]any
		if json.Unmarshal(d.Statement, &one) != nil {
			return Grants{}
		}
		stmts = []map[string]any{one}
	}
	var g Grants
	for _, s := range stmts {
		if effect, _ := s["Effect"].(string); effect != "Allow" {
			continue
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
			if onIAM && iamWrite(a) {
				g.IAMWrite = true
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
