package importer

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// PlaceholderUserID names the placeholder key, so anyone who inspects it
// (gpg --show-keys) sees what it is.
const PlaceholderUserID = "roster import placeholder - private key not kept"

// PlaceholderKey makes a fresh OpenPGP key pair, throws the private half
// away, and returns the public key as base64 of its binary form: a pgp_key
// the loader accepts and nobody can decrypt to. random nil means
// crypto/rand; the key is dated now.
func PlaceholderKey(random io.Reader, now time.Time) (string, error) {
	if random == nil {
		random = rand.Reader
	}
	if now.IsZero() {
		now = time.Now()
	}
	cfg := &packet.Config{
		Rand:      random,
		Time:      func() time.Time { return now },
		Algorithm: packet.PubKeyAlgoEdDSA,
	}
	e, err := openpgp.NewEntity(PlaceholderUserID, "", "", cfg)
	if err != nil {
		return "", fmt.Errorf("make the placeholder pgp_key: %w", err)
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil { // public parts only
		return "", fmt.Errorf("make the placeholder pgp_key: %w", err)
	}
	e.PrivateKey = nil
	for i := range e.Subkeys {
		e.Subkeys[i].PrivateKey = nil
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
