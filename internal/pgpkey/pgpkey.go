package pgpkey

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// Errors of Parse and CanEncrypt. Their text completes a sentence such as
// "pgp_key of user "alice" is not usable: ...".
var (
	// ErrEmpty is returned for an empty pgp_key.
	ErrEmpty = errors.New("it is empty")
	// ErrPrivate is returned for a private key, which must never be in a
	// repository.
	ErrPrivate = errors.New("it is a private key; paste the public key only (and treat the private key as leaked)")
	// ErrEncoding is returned for text that is neither armored nor base64.
	ErrEncoding = errors.New("it is neither an armored key (-----BEGIN PGP PUBLIC KEY BLOCK-----) nor base64")
	// ErrNoKey is returned for a valid encoding that holds no key.
	ErrNoKey = errors.New("it holds no key")
	// ErrCannotEncrypt is returned by CanEncrypt.
	ErrCannotEncrypt = errors.New("it has no valid encryption key (expired, revoked, or a signing-only key)")
)

// Key is a parsed pgp_key.
type Key struct {
	// Entity is the first key of the ring.
	Entity *openpgp.Entity
	// Fingerprint is the entity's fingerprint in upper-case hex, the form
	// gpg prints.
	Fingerprint string
}

// Parse reads a pgp_key: an armored public key block, or base64 of the
// binary key (whitespace ignored). The self-signatures are verified; the
// first key of the ring is returned.
func Parse(text string) (*Key, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, ErrEmpty
	}
	if strings.Contains(text, "PRIVATE KEY BLOCK") {
		return nil, ErrPrivate
	}
	var (
		ring openpgp.EntityList
		err  error
	)
	if strings.HasPrefix(text, "-----BEGIN PGP") {
		ring, err = openpgp.ReadArmoredKeyRing(strings.NewReader(text))
	} else {
		raw, decErr := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
		if decErr != nil {
			return nil, ErrEncoding
		}
		ring, err = openpgp.ReadKeyRing(bytes.NewReader(raw))
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the key: %w", err)
	}
	if len(ring) == 0 || ring[0].PrimaryKey == nil {
		return nil, ErrNoKey
	}
	for _, e := range ring {
		if e.PrivateKey != nil {
			return nil, ErrPrivate
		}
	}
	return &Key{Entity: ring[0], Fingerprint: strings.ToUpper(hex.EncodeToString(ring[0].PrimaryKey.Fingerprint))}, nil
}

// CanEncrypt returns ErrCannotEncrypt unless the key has a valid encryption
// key (primary or subkey) at now.
func (k *Key) CanEncrypt(now time.Time) error {
	if _, ok := k.Entity.EncryptionKey(now); !ok {
		return ErrCannotEncrypt
	}
	return nil
}

// Fingerprint returns the fingerprint of a pgp_key, or "" when Parse
// refuses it.
func Fingerprint(text string) string {
	k, err := Parse(text)
	if err != nil {
		return ""
	}
	return k.Fingerprint
}

// Cache parses each distinct pgp_key once: organizations hand the same few
// keys to many users, and verifying a key's signatures costs far more than
// looking it up. It is safe for concurrent use; the zero Cache is ready.
type Cache struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]*cached
}

type cached struct {
	once sync.Once
	key  *Key
	err  error
}

// Parse returns what the package's Parse returns for text, parsing each
// distinct text (by SHA-256 of its trimmed form) once. Callers must not
// change the returned key.
func (c *Cache) Parse(text string) (*Key, error) {
	sum := sha256.Sum256([]byte(strings.TrimSpace(text)))
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[[sha256.Size]byte]*cached{}
	}
	e, ok := c.entries[sum]
	if !ok {
		e = &cached{}
		c.entries[sum] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.key, e.err = Parse(text) })
	return e.key, e.err
}
