package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// TestRun checks that the printed key is what a manifest's pgp_key needs:
// an armored public key with the given identity and a usable encryption
// subkey, valid from the creation date on.
func TestRun(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "alice.asc")
	var out bytes.Buffer
	err := run([]string{"-name", "Alice Example", "-email", "alice@example.com", "-created", "2025-01-15", "-secret", secret}, &out)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.HasPrefix(out.String(), "-----BEGIN PGP PUBLIC KEY BLOCK-----") {
		t.Fatalf("output is not an armored public key:\n%s", out.String())
	}
	keys, err := openpgp.ReadArmoredKeyRing(&out)
	if err != nil || len(keys) != 1 {
		t.Fatalf("read public key: %d keys, %v", len(keys), err)
	}
	e := keys[0]
	if _, ok := e.Identities["Alice Example <alice@example.com>"]; !ok {
		t.Errorf("identities = %v, want Alice Example <alice@example.com>", e.Identities)
	}
	if _, ok := e.EncryptionKey(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)); !ok {
		t.Error("the key has no usable encryption key in 2026")
	}
	if e.PrivateKey != nil {
		t.Error("the printed key contains private key material")
	}

	f, err := os.Open(secret)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	priv, err := openpgp.ReadArmoredKeyRing(f)
	if err != nil || len(priv) != 1 || priv[0].PrivateKey == nil {
		t.Fatalf("read private key: %v", err)
	}
	if fi, err := os.Stat(secret); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{},
		{"-name", "Alice"},
		{"-name", "Alice", "-email", "a@example.com", "-created", "15/01/2025"},
		{"-bogus"},
	} {
		if err := run(args, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
	}
}
