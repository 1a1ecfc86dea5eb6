package state

import "time"

// Account is the live IAM state of one AWS account.
type Account struct {
	AccountID string `json:"account_id"`
	// Users and Groups are keyed by name.
	Users  map[string]*User  `json:"users"`
	Groups map[string]*Group `json:"groups"`
	// Secrets are the Secrets Manager secrets that receive service
	// accounts' access keys, keyed by name; only those the manifests name
	// are read. A name without an entry was not read.
	Secrets map[string]*Secret `json:"secrets,omitempty"`
	// UnassignedMFADevices are the serial numbers of the account's virtual
	// MFA devices that no user has (ListVirtualMFADevices with
	// AssignmentStatus=Unassigned), sorted: what an offboarding stopped
	// between DeactivateMFADevice and DeleteVirtualMFADevice leaves, which
	// no user's ListMFADevices shows any more.
	UnassignedMFADevices []string `json:"unassigned_mfa_devices,omitempty"`
}

// Secret is what roster knows of a Secrets Manager secret without reading
// its value: whether it exists, its tags, and the access keys its current
// and previous versions hold (from the version IDs roster writes).
type Secret struct {
	Name   string            `json:"name"`
	Exists bool              `json:"exists"`
	Tags   map[string]string `json:"tags,omitempty"`
	// Current and Previous are the access key IDs of the AWSCURRENT and
	// AWSPREVIOUS versions; empty when none or written by someone else.
	Current  string `json:"current,omitempty"`
	Previous string `json:"previous,omitempty"`
}

// User is a live IAM user. Slices are sorted; maps may be nil when empty.
type User struct {
	Name    string    `json:"name"`
	Path    string    `json:"path"`
	ARN     string    `json:"arn"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`

	Access

	// Details says which of the fields below were read. The account-wide
	// read does not include them; readers fetch them only for the users
	// that need them (console access for managed users, credentials for
	// users about to be deleted).
	Details Details `json:"details,omitempty"`

	LoginProfile               bool                `json:"login_profile,omitempty"`
	AccessKeys                 []AccessKey         `json:"access_keys,omitempty"`
	MFADevices                 []string            `json:"mfa_devices,omitempty"` // serial numbers
	SSHPublicKeys              []string            `json:"ssh_public_keys,omitempty"`
	SigningCertificates        []string            `json:"signing_certificates,omitempty"`
	ServiceSpecificCredentials []ServiceCredential `json:"service_specific_credentials,omitempty"`
}

// Access is what IAM gives a user: its groups, managed and inline
// policies, permissions boundary and tags. A live User and a plan's
// snapshot of a user or group (plan.Resource) carry it alike; embedded, its
// fields are the embedding struct's own, in JSON too.
type Access struct {
	Groups          []string `json:"groups,omitempty"`
	ManagedPolicies []string `json:"managed_policies,omitempty"`
	// InlinePolicies maps a policy name to its document as canonical JSON
	// (URL-decoded and normalized by package policy).
	InlinePolicies      map[string]string `json:"inline_policies,omitempty"`
	PermissionsBoundary string            `json:"permissions_boundary,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
}

// Details is a bit set of per-user data that needs calls beyond the
// account-wide read.
type Details uint8

// Per-user details.
const (
	// LoginProfile: whether the user has console access.
	LoginProfile Details = 1 << iota
	// Credentials: access keys, MFA devices, SSH keys, signing certificates
	// and service-specific credentials (needed to offboard a user).
	Credentials
	// AccessKeys: the access keys alone (for a service account whose keys
	// roster rotates). Credentials includes them.
	AccessKeys
)

// Has reports whether every bit of want is set; Credentials includes
// AccessKeys.
func (d Details) Has(want Details) bool {
	if d&Credentials != 0 {
		d |= AccessKeys
	}
	return d&want == want
}

// AccessKey is an access key's metadata; roster never sees the secret.
type AccessKey struct {
	ID      string    `json:"id"`
	Status  string    `json:"status"` // Active or Inactive
	Created time.Time `json:"created"`
}

// ServiceCredential is a service-specific credential (CodeCommit, Keyspaces…).
type ServiceCredential struct {
	ID          string `json:"id"`
	ServiceName string `json:"service_name"`
}

// Group is a live IAM group.
type Group struct {
	Name            string            `json:"name"`
	Path            string            `json:"path"`
	ARN             string            `json:"arn"`
	ID              string            `json:"id"`
	ManagedPolicies []string          `json:"managed_policies,omitempty"`
	InlinePolicies  map[string]string `json:"inline_policies,omitempty"`
	// Members are user names, sorted.
	Members []string `json:"members,omitempty"`
}
