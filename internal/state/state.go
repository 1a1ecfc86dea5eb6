// Package state describes live IAM as roster sees it: the users and groups of
// one AWS account, with no AWS SDK types. Readers in package awsiam produce
// it; the diff in package plan consumes it; snapshots are its JSON form.
package state

import "time"

// Account is the live IAM state of one AWS account.
type Account struct {
	AccountID string `json:"account_id"`
	// Users and Groups are keyed by name.
	Users  map[string]*User  `json:"users"`
	Groups map[string]*Group `json:"groups"`
}

// User is a live IAM user. Slices are sorted; maps may be nil when empty.
type User struct {
	Name    string    `json:"name"`
	Path    string    `json:"path"`
	ARN     string    `json:"arn"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`

	Groups          []string `json:"groups,omitempty"`
	ManagedPolicies []string `json:"managed_policies,omitempty"`
	// InlinePolicies maps a policy name to its document as canonical JSON
	// (URL-decoded and normalized by package policy).
	InlinePolicies      map[string]string `json:"inline_policies,omitempty"`
	PermissionsBoundary string            `json:"permissions_boundary,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`

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
)

// Has reports whether every bit of want is set.
func (d Details) Has(want Details) bool { return d&want == want }

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
