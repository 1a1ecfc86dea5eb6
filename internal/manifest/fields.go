package manifest

import (
	"slices"

	"github.com/roster-dev/roster/internal/keys"
)

// The repository contract's fields, declared once. The decoder accepts
// exactly these fields (anything else is an unknown-field error), the
// formatter (package format) orders keys as listed here and sorts the
// values whose order carries no meaning, and schema/*.json is checked
// against these tables by schema's TestSchemaMatchesFieldTable (names,
// order, types, required fields, allowed values and nesting).
//
// To add a field:
//  1. add it here, in the position the formatter should put it, with its
//     type (and its values, if only some are allowed) and a one-line doc;
//  2. read and validate it in decode.go (the entry is in the map that
//     decoder.fields returns under the field's name), and carry it in
//     types.go;
//  3. add it to the schema file the test names, and to docs/manifests.md.
var (
	// ConfigFields is access/roster.yaml.
	ConfigFields = newObject(
		Field{Name: "order", Type: TypeList, Doc: "promotion order of the environments"},
		Field{Name: "ownership_tag", Type: TypeString, Doc: "tag key that marks a user as managed"},
		Field{Name: "owner_tag", Type: TypeString, Doc: "tag key that holds a service account's owner"},
		Field{Name: "defaults", Type: TypeObject, Fields: DefaultsFields, Doc: "inherited by every environment and entry"},
		Field{Name: "organization", Type: TypeObject, Fields: OrganizationFields, Doc: "the AWS Organization drift checks the environments against"},
	)
	// OrganizationFields is roster.yaml's organization block.
	OrganizationFields = newObject(
		Field{Name: "management_role_arn", Type: TypeString, Required: true, Doc: "role that lists the Organization's accounts"},
	)
	// DefaultsFields is the defaults block of roster.yaml.
	DefaultsFields = newObject(
		Field{Name: "path", Type: TypeString, Doc: "IAM path of entries that set none"},
		Field{Name: "tags", Type: TypeStringMap, Doc: "tags of every user and service account"},
		Field{Name: "guardrails", Type: TypeObject, Fields: GuardrailFields, Doc: "guardrails where an environment sets none"},
	)
	// GuardrailFields is a guardrails block, in roster.yaml's defaults or in
	// environment.yaml.
	GuardrailFields = newObject(
		Field{Name: "forbidden_managed_policies", Type: TypeSet, Doc: "managed policies that may not be attached"},
		Field{Name: "forbid_admin_equivalent", Type: TypeBool, Doc: "refuse admin-equivalent access; on by default in production"},
		Field{Name: "console_requires_mfa", Type: TypeBool, Doc: "console users get the MFA-enforcing policy"},
		Field{Name: "max_access_key_age_days", Type: TypeInt, Doc: "age after which an access key is a finding"},
		Field{Name: "max_deletions", Type: TypeInt, Doc: "most users a plan may delete"},
		Field{Name: "max_elevation_hours", Type: TypeInt, Doc: "longest a time-bound group membership may last"},
	)
	// EnvironmentFields is access/<env>/environment.yaml.
	EnvironmentFields = newObject(
		Field{Name: "account_id", Type: TypeString, Required: true, Doc: "the environment's 12-digit AWS account"},
		Field{Name: "role_arn", Type: TypeString, Doc: "role apply and drift assume"},
		Field{Name: "plan_role_arn", Type: TypeString, Doc: "role plans assume; defaults to role_arn"},
		Field{Name: "region", Type: TypeString, Doc: "region for STS calls"},
		Field{Name: "production", Type: TypeBool, Doc: "marks the environment as production"},
		Field{Name: "guardrails", Type: TypeObject, Fields: GuardrailFields, Doc: "the environment's safety limits"},
		Field{Name: "unmanaged", Type: TypeObject, Fields: UnmanagedFields, Doc: "how drift treats unmanaged users"},
		Field{Name: "approvals", Type: TypeObject, Fields: ApprovalFields, Doc: "who must approve a change before it is applied"},
	)
	// ApprovalFields is environment.yaml's approvals block.
	ApprovalFields = newObject(
		Field{Name: "required", Type: TypeInt, Required: true, Doc: "distinct approving reviews needed"},
		Field{Name: "reviewers", Type: TypeSet, Required: true, Doc: "GitHub logins or org/team slugs that may approve"},
	)
	// UnmanagedFields is environment.yaml's unmanaged block.
	UnmanagedFields = newObject(
		Field{Name: "ignore", Type: TypeSet, Doc: "globs of unmanaged users drift stays silent about"},
	)
	// ManifestFields is a manifest file of an environment.
	ManifestFields = newObject(
		Field{Name: "groups", Type: TypeObjects, Fields: GroupFields, Doc: "IAM groups"},
		Field{Name: "users", Type: TypeObjects, Fields: UserFields, Doc: "people"},
		Field{Name: "service_accounts", Type: TypeObjects, Fields: ServiceAccountFields, Doc: "machines"},
	)
	// GroupFields is one entry of groups.
	GroupFields = newObject(
		Field{Name: "name", Type: TypeString, Required: true, Doc: "IAM group name"},
		pathField, managedField, inlineField,
		Field{Name: "absent", Type: TypeBool, Doc: "delete the group"},
	)
	// UserFields is one entry of users.
	UserFields = newObject(
		userNameField, pathField, groupsField, managedField, inlineField, boundaryField, tagsField,
		Field{Name: "console", Type: TypeBool, Doc: "the user has a console password"},
		Field{Name: "pgp_key", Type: TypeString, Doc: "OpenPGP key the initial password is encrypted to"},
		expiresField, userAbsentField,
	)
	// MembershipFields is an entry of a user's groups written as a mapping:
	// a time-bound membership.
	MembershipFields = newObject(
		Field{Name: "name", Type: TypeString, Required: true, Doc: "the group's name"},
		Field{Name: "expires", Type: TypeDate, Doc: "end of the membership"},
	)
	// ServiceAccountFields is one entry of service_accounts.
	ServiceAccountFields = newObject(
		userNameField,
		Field{Name: "owner", Type: TypeString, Required: true, Doc: "team or person responsible"},
		pathField, groupsField, managedField, inlineField, boundaryField, tagsField, expiresField, userAbsentField,
		Field{Name: "access_key", Type: TypeObject, Fields: AccessKeyFields, Doc: "roster creates, delivers and rotates the access key"},
	)
	// AccessKeyFields is a service account's access_key block.
	AccessKeyFields = newObject(
		Field{Name: "deliver_to", Type: TypeString, Required: true, Values: []string{string(keys.SecretsManager), string(keys.PGP)}, Doc: "where the secret goes"},
		Field{Name: "secret_name", Type: TypeString, Doc: "Secrets Manager secret under roster/ the key is delivered to"},
		Field{Name: "pgp_key", Type: TypeString, Doc: "OpenPGP key the secret is encrypted to in the apply report"},
		Field{Name: "rotate_after_days", Type: TypeInt, Doc: "age at which a new key is delivered"},
		Field{Name: "overlap_days", Type: TypeInt, Doc: "days the old key stays active beside the new one"},
	)
)

// Fields that groups, users and service accounts share.
var (
	userNameField = Field{Name: "name", Type: TypeString, Required: true, Doc: "IAM user name"}
	pathField     = Field{Name: "path", Type: TypeString, Doc: "IAM path"}
	groupsField   = Field{Name: "groups", Type: TypeMemberships, Fields: MembershipFields, Doc: "groups of the environment the user is in"}
	managedField  = Field{Name: "managed_policies", Type: TypeSet, Doc: "attached managed policy ARNs"}
	inlineField   = Field{Name: "inline_policies", Type: TypePolicies, Doc: "inline policy documents by name"}
	boundaryField = Field{Name: "permissions_boundary", Type: TypeString, Doc: "managed policy ARN of the boundary"}
	tagsField     = Field{Name: "tags", Type: TypeStringMap, Doc: "the user's tags"}
	expiresField  = Field{Name: "expires", Type: TypeDate, Doc: "when the user ends"}
	// userAbsentField is the tombstone that offboards a user: the only
	// evidence, besides a passed expires, on which roster deletes one.
	userAbsentField = Field{Name: "absent", Type: TypeBool, Doc: "offboard and delete the user"}
)

// FieldType is the YAML shape of a field's value.
type FieldType int

// Field types.
const (
	TypeString    FieldType = iota + 1
	TypeBool                // true or false
	TypeInt                 // an integer
	TypeDate                // YYYY-MM-DD (through that day, UTC) or an RFC 3339 time
	TypeList                // a list of strings whose order matters
	TypeSet                 // a list of strings whose order does not: formatted sorted
	TypeStringMap           // string keys to string values: formatted sorted by key
	TypePolicies            // inline policy documents by name: formatted sorted by name
	TypeObject              // a mapping of the fields in Field.Fields
	TypeObjects             // a list of such mappings, each with a name: formatted by name
	// TypeMemberships is a list of names, or of mappings of the fields in
	// Field.Fields with a name: formatted by name.
	TypeMemberships
)

// Field is one field of the contract.
type Field struct {
	Name     string
	Type     FieldType
	Required bool
	// Fields describes the mapping of a TypeObject or TypeObjects field.
	Fields *Object
	// Values, when set, are the only values a TypeString field takes (the
	// schema's enum).
	Values []string
	Doc    string
}

// Object is a mapping of the contract: its fields in their canonical order.
type Object struct {
	Fields []Field
	names  []string
}

func newObject(fields ...Field) *Object {
	o := &Object{Fields: fields}
	for _, f := range fields {
		o.names = append(o.names, f.Name)
	}
	return o
}

// Names returns the field names in order. Callers must not change it.
func (o *Object) Names() []string { return o.names }

// Has reports whether name is a field of o.
func (o *Object) Has(name string) bool { return slices.Contains(o.names, name) }
