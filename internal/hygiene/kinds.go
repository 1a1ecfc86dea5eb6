package hygiene

import "github.com/roster-dev/roster/internal/drift"

// Kinds of credential hygiene findings. They are not differences between
// live IAM and the manifests but risks in how credentials are used; Check
// finds them and drift.Report.Add puts them beside the drift, in the same
// order and the same fingerprint. Unmanaged users, which hygiene would also
// report, are the drift.Unmanaged findings drift.Build already makes.
const (
	// KeyAge: an active access key older than the environment's
	// max_access_key_age_days.
	KeyAge drift.Kind = "key-age"
	// UnusedKey: an active access key not used for 90 days (a key never
	// used counts from its creation).
	UnusedKey drift.Kind = "unused-key"
	// UnusedPassword: a console password not used for 90 days (never used
	// counts from when it was set).
	UnusedPassword drift.Kind = "unused-password"
	// NoMFA: a user who can sign in to the console has no MFA device.
	NoMFA drift.Kind = "no-mfa"
	// PersonKey: a person (not a service account) has an active access key.
	PersonKey drift.Kind = "person-key"
	// Expiring: a user's expires date is within 14 days; the first
	// scheduled run after it offboards the user.
	Expiring drift.Kind = "expiring"
)

// Kinds lists the hygiene kinds, for renderers and documentation.
var Kinds = []drift.Kind{KeyAge, UnusedKey, UnusedPassword, NoMFA, PersonKey, Expiring}

// Is reports whether findings of kind k are credential hygiene rather than
// drift.
func Is(k drift.Kind) bool {
	switch k {
	case KeyAge, UnusedKey, UnusedPassword, NoMFA, PersonKey, Expiring:
		return true
	default:
		return false
	}
}
