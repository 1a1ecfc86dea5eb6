package awsiam

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/roster-dev/roster/internal/pgpkey"
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

// encryptionKey reads a user's pgp_key and checks that its first key, the
// one plans show by fingerprint, can encrypt now. When the plan carries a
// fingerprint too, the key must match it, so the password goes to the key
// that was reviewed.
func encryptionKey(key, wantFingerprint string) (*pgpKey, error) {
	k, err := pgpkey.Parse(key)
	if errors.Is(err, pgpkey.ErrEmpty) {
		return nil, ErrNoPGPKey
	}
	if err != nil {
		return nil, fmt.Errorf("pgp_key is not usable: %w", err)
	}
	if want := normalizeFingerprint(wantFingerprint); want != "" && want != k.Fingerprint {
		return nil, fmt.Errorf("pgp_key has fingerprint %s, but the plan was reviewed with %s", k.Fingerprint, want)
	}
	if err := k.CanEncrypt(time.Now()); err != nil {
		return nil, fmt.Errorf("pgp_key %s is not usable: %w", k.Fingerprint, err)
	}
	return &pgpKey{entity: k.Entity, fingerprint: k.Fingerprint}, nil
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
		return "", fmt.Errorf("encrypt to pgp_key %s: %w", k.fingerprint, err)
	}
	pw, err := openpgp.Encrypt(aw, []*openpgp.Entity{k.entity}, nil, &openpgp.FileHints{IsBinary: true}, &packet.Config{})
	if err != nil {
		return "", fmt.Errorf("encrypt to pgp_key %s: %w", k.fingerprint, err)
	}
	if _, err := pw.Write(msg); err != nil {
		return "", fmt.Errorf("encrypt to pgp_key %s: %w", k.fingerprint, err)
	}
	if err := pw.Close(); err != nil {
		return "", fmt.Errorf("encrypt to pgp_key %s: %w", k.fingerprint, err)
	}
	if err := aw.Close(); err != nil {
		return "", fmt.Errorf("encrypt to pgp_key %s: %w", k.fingerprint, err)
	}
	return buf.String(), nil
}
