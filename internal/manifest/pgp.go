package manifest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// checkPGPKey checks that key is an OpenPGP public key, armored or base64 of
// the binary form, with a key that can encrypt at now: IAM encrypts the
// initial console password to it.
func checkPGPKey(key string, now time.Time) error {
	key = strings.TrimSpace(key)
	if strings.Contains(key, "PRIVATE KEY BLOCK") {
		return errors.New("it is a private key; paste the public key only (and treat the private key as leaked)")
	}
	var (
		list openpgp.EntityList
		err  error
	)
	if strings.HasPrefix(key, "-----BEGIN PGP") {
		list, err = openpgp.ReadArmoredKeyRing(strings.NewReader(key))
	} else {
		raw, decErr := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(key), ""))
		if decErr != nil {
			return errors.New("it is neither an armored key (-----BEGIN PGP PUBLIC KEY BLOCK-----) nor base64")
		}
		list, err = openpgp.ReadKeyRing(bytes.NewReader(raw))
	}
	if err != nil {
		return fmt.Errorf("cannot read the key: %w", err)
	}
	if len(list) == 0 {
		return errors.New("it holds no key")
	}
	for _, e := range list {
		if e.PrivateKey != nil {
			return errors.New("it is a private key; paste the public key only (and treat the private key as leaked)")
		}
		if _, ok := e.EncryptionKey(now); ok {
			return nil
		}
	}
	return errors.New("it has no valid encryption key (expired, revoked, or a signing-only key)")
}
