package render

import (
	"github.com/roster-dev/roster/internal/pgpkey"
	"github.com/roster-dev/roster/internal/plan"
)

// unreadableKey is shown where a PGP key cannot be parsed; the key itself is
// never printed.
const unreadableKey = "(key)"

// opFingerprint returns the fingerprint of the key an operation encrypts a
// password to: the one carried by a plan read back from JSON, or the one
// computed from the key. Plans show it instead of the key, so a reviewer can
// check whose key a console password is encrypted to.
func opFingerprint(op plan.Op) string {
	if op.PGPKeyFingerprint != "" {
		return op.PGPKeyFingerprint
	}
	return fingerprintOf(op.PGPKey)
}

// fingerprintOf is the fingerprint plans show for a PGP key.
func fingerprintOf(key string) string { return pgpkey.Fingerprint(key) }
