package report

import "github.com/roster-dev/roster/internal/policy"

// AWS managed policies the admin rules know by name (policy/admin.go is
// their home).
const (
	AdministratorAccess = policy.AdministratorAccess
	IAMFullAccess       = policy.IAMFullAccess
	PowerUserAccess     = policy.PowerUserAccess
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
