package drift

// Kinds of credential hygiene findings. They are not differences between
// live IAM and the manifests but risks in how credentials are used; package
// hygiene finds them (from the credential report, the live state and the
// manifests) and Report.Add puts them beside the drift, in the same order
// and the same fingerprint. Unmanaged users, which hygiene would also
// report, are the Unmanaged findings Build already makes.
const (
	// KeyAge: an active access key older than the environment's
	// max_access_key_age_days.
	KeyAge Kind = "key-age"
	// UnusedKey: an active access key not used for 90 days (a key never
	// used counts from its creation).
	UnusedKey Kind = "unused-key"
	// UnusedPassword: a console password not used for 90 days (never used
	// counts from when it was set).
	UnusedPassword Kind = "unused-password"
	// NoMFA: a user who can sign in to the console has no MFA device.
	NoMFA Kind = "no-mfa"
	// PersonKey: a person (not a service account) has an active access key.
	PersonKey Kind = "person-key"
	// Expiring: a user's expires date is within 14 days; the first
	// scheduled run after it offboards the user.
	Expiring Kind = "expiring"
)

// HygieneKinds lists the hygiene kinds, for renderers and documentation.
var HygieneKinds = []Kind{KeyAge, UnusedKey, UnusedPassword, NoMFA, PersonKey, Expiring}

// Hygiene reports whether findings of kind k are credential hygiene rather
// than drift.
func (k Kind) Hygiene() bool {
	switch k {
	case KeyAge, UnusedKey, UnusedPassword, NoMFA, PersonKey, Expiring:
		return true
	default:
		return false
	}
}
