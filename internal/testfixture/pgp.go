package testfixture

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// KeyPair is a generated OpenPGP key: the private entity to decrypt with and
// the public key in the two forms a manifest's pgp_key accepts.
type KeyPair struct {
	Private *openpgp.Entity
	Armored string
	Base64  string
}

var (
	keyOnce   sync.Once
	sharedKey KeyPair
	keyErr    error
)

// keyCreated is when the shared key was made: before any clock a test
// injects, so that the key is valid at every test's "now".
var keyCreated = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// PGPKey returns an EdDSA key pair without expiry, created on 2020-01-01,
// generated once per test binary.
func PGPKey(tb testing.TB) KeyPair {
	tb.Helper()
	keyOnce.Do(func() {
		sharedKey, keyErr = NewKeyPair(&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return keyCreated }})
	})
	if keyErr != nil {
		tb.Fatalf("generate a test PGP key: %v", keyErr)
	}
	return sharedKey
}

// NewKeyPair generates a key pair with cfg (nil means EdDSA).
func NewKeyPair(cfg *packet.Config) (KeyPair, error) {
	if cfg == nil {
		cfg = &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
	}
	e, err := openpgp.NewEntity("Alice", "", "alice@example.com", cfg)
	if err != nil {
		return KeyPair{}, err
	}
	var raw bytes.Buffer
	if err := e.Serialize(&raw); err != nil {
		return KeyPair{}, err
	}
	var arm bytes.Buffer
	aw, err := armor.Encode(&arm, openpgp.PublicKeyType, nil)
	if err != nil {
		return KeyPair{}, err
	}
	if _, err := aw.Write(raw.Bytes()); err != nil {
		return KeyPair{}, err
	}
	if err := aw.Close(); err != nil {
		return KeyPair{}, err
	}
	return KeyPair{Private: e, Armored: arm.String(), Base64: base64.StdEncoding.EncodeToString(raw.Bytes())}, nil
}

// Decrypt opens an armored PGP message with the private key, as gpg
// --decrypt would.
func (k KeyPair) Decrypt(tb testing.TB, msg string) string {
	tb.Helper()
	block, err := armor.Decode(strings.NewReader(msg))
	if err != nil {
		tb.Fatalf("not an armored message: %v\n%s", err, msg)
	}
	if block.Type != "PGP MESSAGE" {
		tb.Errorf("armor type %q, want PGP MESSAGE", block.Type)
	}
	md, err := openpgp.ReadMessage(block.Body, openpgp.EntityList{k.Private}, nil, nil)
	if err != nil {
		tb.Fatalf("decrypt: %v", err)
	}
	b, err := io.ReadAll(md.UnverifiedBody)
	if err != nil {
		tb.Fatalf("decrypt: %v", err)
	}
	return string(b)
}
