package render

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/roster-dev/roster/internal/plan"
)

// unreadableKey is shown where a PGP key cannot be parsed; the key itself is
// never printed.
const unreadableKey = "(key)"

// Fingerprint returns the fingerprint of an OpenPGP public key, armored or
// base64 of the binary key, as upper-case hex (the form gpg prints), or ""
// when the key cannot be read. Plans show it instead of the key, so a
// reviewer can check whose key a console password is encrypted to.
func Fingerprint(key string) string {
	key = strings.TrimSpace(key)
	if key == "" {
		return ""
	}
	var (
		ring openpgp.EntityList
		err  error
	)
	if strings.HasPrefix(key, "-----BEGIN") {
		ring, err = openpgp.ReadArmoredKeyRing(strings.NewReader(key))
	} else {
		var raw []byte
		raw, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(key), ""))
		if err == nil {
			ring, err = openpgp.ReadKeyRing(bytes.NewReader(raw))
		}
	}
	if err != nil || len(ring) == 0 || ring[0].PrimaryKey == nil {
		return ""
	}
	return strings.ToUpper(hex.EncodeToString(ring[0].PrimaryKey.Fingerprint))
}

// opFingerprint returns the fingerprint of the key an operation encrypts a
// password to: the one carried by a plan read back from JSON, or the one
// computed from the key.
func opFingerprint(op plan.Op) string {
	if op.PGPKeyFingerprint != "" {
		return op.PGPKeyFingerprint
	}
	return Fingerprint(op.PGPKey)
}
