package pgpkey_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/roster-dev/roster/internal/pgpkey"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// newEntity makes a key created a year before now; lifetime 0 never expires.
func newEntity(t *testing.T, name string, lifetime uint32) *openpgp.Entity {
	t.Helper()
	created := now.AddDate(-1, 0, 0)
	e, err := openpgp.NewEntity(name, "", name+"@example.com", &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return created }, KeyLifetimeSecs: lifetime,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func public(t *testing.T, es ...*openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range es {
		if err := e.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func armored(t *testing.T, blockType string, write func(w *bytes.Buffer) error) string {
	t.Helper()
	var raw bytes.Buffer
	if err := write(&raw); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := armor.Encode(&out, blockType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(raw.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func fingerprint(e *openpgp.Entity) string {
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
}

func TestParse(t *testing.T) {
	t.Parallel()
	alice, bob := newEntity(t, "alice", 0), newEntity(t, "bob", 0)
	expired := newEntity(t, "old", 86400)
	signing := newEntity(t, "signer", 0)
	signing.Subkeys = nil // an EdDSA primary key only signs
	aliceB64 := base64.StdEncoding.EncodeToString(public(t, alice))
	tests := []struct {
		name    string
		key     string
		wantFP  string // "" when Parse fails
		wantErr error  // of Parse, when errors.Is applies
		errText string // of Parse otherwise
		encrypt error  // of CanEncrypt
	}{
		{name: "armored", key: armored(t, openpgp.PublicKeyType, func(w *bytes.Buffer) error { return alice.Serialize(w) }), wantFP: fingerprint(alice)},
		{name: "base64", key: aliceB64, wantFP: fingerprint(alice)},
		{name: "base64 wrapped and indented", key: "\n  " + aliceB64[:40] + "\n  " + aliceB64[40:] + "\n", wantFP: fingerprint(alice)},
		{name: "a ring: the first key counts", key: base64.StdEncoding.EncodeToString(public(t, bob, alice)), wantFP: fingerprint(bob)},
		{name: "expired", key: base64.StdEncoding.EncodeToString(public(t, expired)), wantFP: fingerprint(expired), encrypt: pgpkey.ErrCannotEncrypt},
		{name: "signing only", key: base64.StdEncoding.EncodeToString(public(t, signing)), wantFP: fingerprint(signing), encrypt: pgpkey.ErrCannotEncrypt},
		{name: "empty", key: " \n", wantErr: pgpkey.ErrEmpty},
		{name: "garbage", key: "not a key!", wantErr: pgpkey.ErrEncoding},
		{name: "base64 of garbage", key: base64.StdEncoding.EncodeToString([]byte("nope")), errText: "cannot read the key: "},
		{name: "armored garbage", key: "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnope\n-----END PGP PUBLIC KEY BLOCK-----", errText: "cannot read the key: "},
		{name: "private key", key: armored(t, openpgp.PrivateKeyType, func(w *bytes.Buffer) error { return alice.SerializePrivate(w, nil) }), wantErr: pgpkey.ErrPrivate},
		{name: "private key in base64", key: base64.StdEncoding.EncodeToString(func() []byte {
			var b bytes.Buffer
			if err := alice.SerializePrivate(&b, nil); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}()), wantErr: pgpkey.ErrPrivate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := pgpkey.Parse(tt.key)
			switch {
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("Parse error = %v, want %v", err, tt.wantErr)
			case tt.errText != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.errText)):
				t.Fatalf("Parse error = %v, want one starting with %q", err, tt.errText)
			case tt.wantFP != "" && err != nil:
				t.Fatalf("Parse: %v", err)
			}
			if got := pgpkey.Fingerprint(tt.key); got != tt.wantFP {
				t.Errorf("Fingerprint = %q, want %q", got, tt.wantFP)
			}
			if k == nil {
				return
			}
			if k.Fingerprint != tt.wantFP {
				t.Errorf("Key.Fingerprint = %q, want %q", k.Fingerprint, tt.wantFP)
			}
			if err := k.CanEncrypt(now); !errors.Is(err, tt.encrypt) {
				t.Errorf("CanEncrypt = %v, want %v", err, tt.encrypt)
			}
		})
	}
}

// TestCache checks that concurrent lookups of one key share one parse and
// agree with Parse, including on failures.
func TestCache(t *testing.T) {
	t.Parallel()
	alice := base64.StdEncoding.EncodeToString(public(t, newEntity(t, "alice", 0)))
	var c pgpkey.Cache
	var wg sync.WaitGroup
	got := make([]*pgpkey.Key, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := alice
			if i%2 == 1 {
				key = "  " + alice + "\n" // the same key, written differently
			}
			k, err := c.Parse(key)
			if err != nil {
				t.Error(err)
			}
			got[i] = k
		}()
	}
	wg.Wait()
	for i, k := range got {
		if k != got[0] {
			t.Fatalf("lookup %d returned another parse of the same key", i)
		}
	}
	want, _ := pgpkey.Parse(alice)
	if got[0] == nil || got[0].Fingerprint != want.Fingerprint {
		t.Errorf("cached key %v, want fingerprint %s", got[0], want.Fingerprint)
	}
	if _, err := c.Parse("not a key!"); !errors.Is(err, pgpkey.ErrEncoding) {
		t.Errorf("cached failure = %v, want %v", err, pgpkey.ErrEncoding)
	}
}
