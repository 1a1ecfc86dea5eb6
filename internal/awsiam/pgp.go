package awsiam

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// ErrNoPGPKey is returned (wrapped) for a CreateLoginProfile operation
// without a public key to encrypt the initial password to, for example in a
// plan read back from its JSON form, which carries only the fingerprint.
var ErrNoPGPKey = errors.New("no pgp_key to encrypt the initial password to; plan again from the manifests")

// pgpKey is the public key a console password is encrypted to.
type pgpKey struct {
	entity      *openpgp.Entity
	fingerprint string
}

// encryptionKey reads a user's pgp_key (an armored public key block, or
// base64 of the binary key) and checks that its first key, the one plans
// show by fingerprint, can encrypt now. When the plan carries a fingerprint
// too, the key must match it, so the password goes to the key that was
// reviewed.
func encryptionKey(key, wantFingerprint string) (*pgpKey, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, ErrNoPGPKey
	}
	if strings.Contains(key, "PRIVATE KEY BLOCK") {
		return nil, errors.New("pgp_key is a private key; refusing to use it (paste the public key only)")
	}
	var (
		ring openpgp.EntityList
		err  error
	)
	if strings.HasPrefix(key, "-----BEGIN PGP") {
		ring, err = openpgp.ReadArmoredKeyRing(strings.NewReader(key))
	} else {
		var raw []byte
		raw, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(key), ""))
		if err != nil {
			return nil, errors.New("pgp_key is neither an armored public key nor base64 of one")
		}
		ring, err = openpgp.ReadKeyRing(bytes.NewReader(raw))
	}
	if err != nil {
		return nil, fmt.Errorf("read pgp_key: %w", err)
	}
	if len(ring) == 0 || ring[0].PrimaryKey == nil {
		return nil, errors.New("pgp_key holds no public key")
	}
	e := ring[0]
	if e.PrivateKey != nil {
		return nil, errors.New("pgp_key is a private key; refusing to use it (paste the public key only)")
	}
	fp := strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
	if want := normalizeFingerprint(wantFingerprint); want != "" && want != fp {
		return nil, fmt.Errorf("pgp_key has fingerprint %s, but the plan was reviewed with %s", fp, want)
	}
	if _, ok := e.EncryptionKey(time.Now()); !ok {
		return nil, fmt.Errorf("pgp_key %s cannot encrypt (expired, revoked, or signing-only)", fp)
	}
	return &pgpKey{entity: e, fingerprint: fp}, nil
}

func normalizeFingerprint(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// encrypt returns msg encrypted to the key as an armored OpenPGP message,
// which `gpg --decrypt` opens.
func (k *pgpKey) encrypt(msg []byte) (string, error) {
	var buf bytes.Buffer
	aw, err := armor.Encode(&buf, "PGP MESSAGE", nil)
	if err != nil {
		return "", fmt.Errorf("encrypt the password to pgp_key %s: %w", k.fingerprint, err)
	}
	pw, err := openpgp.Encrypt(aw, []*openpgp.Entity{k.entity}, nil, &openpgp.FileHints{IsBinary: true}, &packet.Config{})
	if err != nil {
		return "", fmt.Errorf("encrypt the password to pgp_key %s: %w", k.fingerprint, err)
	}
	if _, err := pw.Write(msg); err != nil {
		return "", fmt.Errorf("encrypt the password to pgp_key %s: %w", k.fingerprint, err)
	}
	if err := pw.Close(); err != nil {
		return "", fmt.Errorf("encrypt the password to pgp_key %s: %w", k.fingerprint, err)
	}
	if err := aw.Close(); err != nil {
		return "", fmt.Errorf("encrypt the password to pgp_key %s: %w", k.fingerprint, err)
	}
	return buf.String(), nil
}
