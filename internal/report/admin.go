package report

import "github.com/roster-dev/roster/internal/policy"

// AWS managed policies the admin rules know by name (policy/admin.go is
// their home).
const (
	AdministratorAccess = policy.AdministratorAccess
	IAMFullAccess       = policy.IAMFullAccess
	PowerUserAccess     = policy.PowerUserAccess
)

// Rule names an admin-equivalence rule (docs/report.md lists them); the
// rules live in policy/admin.go, shared with drift and the
// forbid_admin_equivalent guardrail.
type Rule = policy.Rule

// The admin-equivalence rules, as policy names them.
const (
	RuleAdministrator = policy.RuleAdministrator
	RuleAllowAll      = policy.RuleAllowAll
	RuleIAMFull       = policy.RuleIAMFull
	RulePowerUserIAM  = policy.RulePowerUserIAM
)

// Flag is one reason a user's access in an environment is admin-equivalent.
type Flag struct {
	Rule Rule `json:"rule"`
	// Reason says which policy triggered the rule, for people.
	Reason string `json:"reason"`
}
