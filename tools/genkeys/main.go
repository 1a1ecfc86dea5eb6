// Command genkeys generates an OpenPGP key pair (EdDSA/Curve25519 with an
// ECDH encryption subkey) and prints the armored public key, ready to paste
// into a manifest's pgp_key. It produced the keys of the example access/
// tree; people should use their own keys (gpg --export --armor) instead.
//
// Usage:
//
//	go run ./tools/genkeys -name "Alice Example" -email alice@example.com [-created 2025-01-15] [-secret alice.asc]
//
// With -secret the armored private key is written to that file (mode 0600),
// so the key can decrypt a console password in tests.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "genkeys:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("genkeys", flag.ContinueOnError)
	name := fs.String("name", "", "the key owner's full name (required)")
	email := fs.String("email", "", "the key owner's email address (required)")
	secret := fs.String("secret", "", "write the armored private key to this file")
	created := fs.String("created", "", "key creation date YYYY-MM-DD (default: now); a key is unusable before it was created")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" || *email == "" {
		return errors.New("-name and -email are required")
	}
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}
	if *created != "" {
		t, err := time.Parse(time.DateOnly, *created)
		if err != nil {
			return fmt.Errorf("-created: %w", err)
		}
		cfg.Time = func() time.Time { return t }
	}
	e, err := openpgp.NewEntity(*name, "", *email, cfg)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	pub, err := armored(openpgp.PublicKeyType, e.Serialize)
	if err != nil {
		return fmt.Errorf("serialize public key: %w", err)
	}
	if *secret != "" {
		priv, err := armored(openpgp.PrivateKeyType, func(w io.Writer) error { return e.SerializePrivate(w, cfg) })
		if err != nil {
			return fmt.Errorf("serialize private key: %w", err)
		}
		if err := os.WriteFile(*secret, priv, 0o600); err != nil {
			return fmt.Errorf("write private key: %w", err)
		}
	}
	_, err = stdout.Write(pub)
	return err
}

// armored writes a key with serialize inside an ASCII armor block of the
// given type.
func armored(blockType string, serialize func(io.Writer) error) ([]byte, error) {
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, blockType, nil)
	if err != nil {
		return nil, err
	}
	if err := serialize(w); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
