package state

import "time"

// CredentialReport is IAM's credential report for one account, parsed: one
// row per IAM user with the password, MFA and access key facts hygiene
// checks need. The account's root user is left out. Times are UTC; a nil
// time means IAM reported none ("N/A": never, or no such credential;
// "no_information": not used since IAM began tracking it).
type CredentialReport struct {
	// GeneratedAt is when IAM generated the report.
	GeneratedAt time.Time `json:"generated_at"`
	// Users are sorted by name.
	Users []CredentialReportUser `json:"users"`
}

// User returns the row of the user called name, or nil.
func (r *CredentialReport) User(name string) *CredentialReportUser {
	if r == nil {
		return nil
	}
	for i := range r.Users {
		if r.Users[i].User == name {
			return &r.Users[i]
		}
	}
	return nil
}

// CredentialReportUser is one row of the credential report.
type CredentialReportUser struct {
	User    string    `json:"user"`
	ARN     string    `json:"arn"`
	Created time.Time `json:"user_creation_time"`

	// PasswordEnabled: the user has a console password (login profile).
	PasswordEnabled     bool       `json:"password_enabled"`
	PasswordLastUsed    *time.Time `json:"password_last_used,omitempty"`
	PasswordLastChanged *time.Time `json:"password_last_changed,omitempty"`
	MFAActive           bool       `json:"mfa_active"`

	// AccessKeys are the report's access_key_1 and access_key_2 columns,
	// for the keys that exist (a user has at most two).
	AccessKeys []CredentialReportKey `json:"access_keys,omitempty"`
}

// CredentialReportKey is one access key's columns of the credential report.
// IAM does not name the key: Number (1 or 2) is its column.
type CredentialReportKey struct {
	Number int  `json:"number"`
	Active bool `json:"active"`
	// LastRotated is when the key was created (or last rotated).
	LastRotated time.Time  `json:"last_rotated"`
	LastUsed    *time.Time `json:"last_used_date,omitempty"`
}
