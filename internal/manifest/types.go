package manifest

import (
	"cmp"
	"path"
	"strings"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/keys"
)

// Default values of the repository contract (docs/manifests.md).
const (
	DefaultDir          = "access"
	ConfigFile          = "roster.yaml"
	EnvironmentFile     = "environment.yaml"
	DefaultOwnershipTag = "roster:managed"
	DefaultOwnerTag     = "roster:owner"
	DefaultMaxDeletions = 5
	MaxFileSize         = 1 << 20
)

// PasswordTag is the user tag apply writes before it creates or resets a
// console password, with the value PasswordUndelivered, and removes once the
// encrypted password is in the apply's result. A user that still carries it
// holds a password nobody received, and the next plan resets it. Manifests
// may not set it.
const (
	PasswordTag         = "roster:password"
	PasswordUndelivered = "undelivered"
)

// DefaultOrder is the promotion order used when roster.yaml names none.
// Environments not listed follow in alphabetical order.
var DefaultOrder = []string{"development", "testing", "staging", "production"}

// Repository is a loaded, validated access/ tree: the desired state of every
// environment.
type Repository struct {
	// Dir is the access directory as given to Load.
	Dir    string
	Config Config
	// Environments in promotion order (Config.Order first, then the rest
	// alphabetically).
	Environments []*Environment
}

// Environment returns the environment called name, or nil.
func (r *Repository) Environment(name string) *Environment {
	for _, e := range r.Environments {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Config is access/roster.yaml, with defaults filled in.
type Config struct {
	// Order is the promotion order for apply.
	Order []string
	// OwnershipTag is the tag key that marks an IAM user as managed by
	// roster; its value is always "true".
	OwnershipTag string
	// OwnerTag is the tag key that records a service account's owner.
	OwnerTag string
	// Defaults apply to every environment unless it overrides them.
	Defaults Defaults
	// Organization, when set, has drift check the environments against
	// the AWS Organization.
	Organization *Organization
	Pos          diag.Pos
}

// OwnershipKey is the ownership tag's key: OwnershipTag, or its default in
// a Config the loader did not fill (tests, tools).
func (c Config) OwnershipKey() string { return cmp.Or(c.OwnershipTag, DefaultOwnershipTag) }

// OwnerKey is the owner tag's key: OwnerTag, or its default likewise.
func (c Config) OwnerKey() string { return cmp.Or(c.OwnerTag, DefaultOwnerTag) }

// OrganizationReport is the name drift reports the AWS Organization under,
// beside the environments' names; no environment may take it while the
// organization block is set.
const OrganizationReport = "organization"

// Organization is roster.yaml's organization block.
type Organization struct {
	// ManagementRoleARN is a role in the management account (or a
	// delegated administrator's) allowed organizations:ListAccounts; drift
	// assumes it from the run's credentials.
	ManagementRoleARN string
	// AccountID is the account of ManagementRoleARN.
	AccountID string
	Pos       diag.Pos
}

// Defaults are inherited by every environment and manifest entry.
type Defaults struct {
	// Path is the IAM path for users and groups that set none ("/").
	Path string
	// Tags are added to every user and service account; a tag set on the
	// user wins.
	Tags map[string]string
	// Guardrails are the environment guardrails used where environment.yaml
	// leaves a field unset.
	Guardrails Guardrails
}

// Environment is one AWS account: access/<name>/environment.yaml and the
// manifests beside it.
type Environment struct {
	Name string
	// Dir is the environment's folder, slash-separated, as in diag.Pos.File.
	Dir       string
	AccountID string
	RoleARN   string
	// PlanRoleARN is plan_role_arn as written; PlanRole applies its default.
	PlanRoleARN string
	// Region is the region for STS calls; IAM itself is global. Unset, it
	// is the default region of the partition of the environment's ARNs.
	Region string
	// Production environments are marked in plans and get stricter review.
	// Defaults to true for an environment named "production" or "prod".
	Production bool
	Guardrails Guardrails
	Unmanaged  Unmanaged
	// Approvals say who must approve a change on the pull request before
	// it is applied; Required is 0 when the environment sets none.
	Approvals Approvals

	Groups []*Group
	// Users holds people and service accounts (Kind tells them apart),
	// sorted by name.
	Users []*User

	Pos diag.Pos // of environment.yaml
}

// PlanRole returns the role pull-request plans assume: plan_role_arn, or
// role_arn when the environment sets none ("" for neither: the base
// credentials).
func (e *Environment) PlanRole() string {
	if e.PlanRoleARN != "" {
		return e.PlanRoleARN
	}
	return e.RoleARN
}

// Guardrails are per-environment safety limits.
type Guardrails struct {
	// ForbiddenManagedPolicies may not be attached, directly or through a
	// group.
	ForbiddenManagedPolicies []string
	// ForbidAdminEquivalent refuses any user, service account or group
	// that gets admin-equivalent access (the rules of policy/admin.go),
	// directly or through a group. It defaults to the environment's
	// Production; roster.yaml's defaults can turn it on everywhere, and
	// only a production environment's own environment.yaml can turn it
	// off there.
	ForbidAdminEquivalent bool
	// ConsoleRequiresMFA gives console users a policy that denies everything
	// but MFA self-service until they sign in with MFA.
	ConsoleRequiresMFA bool
	// MaxAccessKeyAgeDays is the age after which an access key is a hygiene
	// finding; 0 disables the check.
	MaxAccessKeyAgeDays int
	// MaxDeletions refuses a plan that deletes more users than this.
	MaxDeletions int
	// MaxElevationHours, when not 0, is the longest a time-bound group
	// membership may last from the time it is validated.
	MaxElevationHours int
}

// Unmanaged controls reporting of IAM users roster does not manage.
type Unmanaged struct {
	// Ignore holds shell globs (path.Match) of user names drift stays silent
	// about. roster never changes or deletes a user they match, whatever
	// its tags, and the manifests may not declare one.
	Ignore []string
}

// Ignores reports whether an unmanaged.ignore glob matches the user name.
// IAM user names are case-insensitive, so the match is too: a glob that
// protects break-glass-admin protects Break-Glass-Admin.
func (u Unmanaged) Ignores(name string) bool {
	lower := strings.ToLower(name)
	for _, glob := range u.Ignore {
		if ok, err := path.Match(glob, name); err == nil && ok {
			return true
		}
		if ok, err := path.Match(strings.ToLower(glob), lower); err == nil && ok {
			return true
		}
	}
	return false
}

// Kind tells people from machines.
type Kind string

// Kinds of users.
const (
	Person         Kind = "user"
	ServiceAccount Kind = "service_account"
)

// User is a person or a service account.
type User struct {
	Kind Kind
	Name string
	Path string // defaults to Defaults.Path
	// Groups are names of groups declared in the same environment.
	Groups          []string
	ManagedPolicies []string
	// InlinePolicies maps a policy name to its document as canonical JSON
	// (see package policy).
	InlinePolicies      map[string]string
	PermissionsBoundary string
	// Tags are the user's tags including Defaults.Tags, without the
	// ownership and owner tags (the plan adds those).
	Tags Tags
	// Console means the user has a login profile (people only).
	Console bool
	// Absent is the tombstone: the repository's evidence that the user is
	// to be offboarded. A user merely missing from the manifests is never
	// deleted.
	Absent bool
	// PGPKey is the armored or base64 OpenPGP public key the initial console
	// password is encrypted to.
	PGPKey string
	// Owner is required for service accounts. UnknownOwner is a
	// placeholder: see OwnerTagValue.
	Owner string
	// AccessKey, for a service account, has roster create, deliver and
	// rotate its access key; nil leaves keys to the owner.
	AccessKey *keys.Spec
	// GroupExpires holds the end of each time-bound membership, by the
	// group's name as in Groups; a membership not in it has no end.
	GroupExpires map[string]Expiry
	// Expires, when set, is when the user ends: from Expires.End on it is
	// treated as removed (offboarded).
	Expires *Expiry

	Pos diag.Pos // of the list item
}

// Group is an IAM group. Membership and policies of a managed group are
// exclusive.
type Group struct {
	Name            string
	Path            string
	ManagedPolicies []string
	InlinePolicies  map[string]string
	// Absent asks roster to delete the group from the account.
	Absent bool

	Pos diag.Pos
}

// UnknownOwner is the owner roster import writes for a service account
// whose owner the account does not record. The loader warns about it
// (rule service-account-owner-unknown) and the plan never writes it as the
// owner tag: a tag roster:owner = unknown in AWS would read as a fact.
const UnknownOwner = "unknown"

// OwnerTagValue returns the value of the owner tag roster writes for u, and
// false when it writes none: for people, and for a service account whose
// owner is still UnknownOwner (any case).
func (u *User) OwnerTagValue() (string, bool) {
	if u.Kind != ServiceAccount || strings.EqualFold(u.Owner, UnknownOwner) {
		return "", false
	}
	return u.Owner, true
}

// Approvals is environment.yaml's approvals block: Required distinct
// approving reviews from Reviewers (GitHub logins or org/team slugs), on
// the pull request's final head commit.
type Approvals struct {
	Required  int
	Reviewers []string
	// Pos is the approvals block's position, for warnings.
	Pos diag.Pos
}
