package awsiam

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/pgpkey"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/testfixture"
)

// testKey is the shared test key pair.
func testKey(t testing.TB) testfixture.KeyPair { return testfixture.PGPKey(t) }

// newKeyPair generates a key pair with cfg.
func newKeyPair(t testing.TB, cfg *packet.Config) testfixture.KeyPair {
	t.Helper()
	k, err := testfixture.NewKeyPair(cfg)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return k
}

// TestCreateLoginProfileEncryptsThePassword: the outcome holds the initial
// password encrypted to the user's key (armored or base64), it is the
// password IAM stored, the user must change it at first sign-in, and the
// password appears nowhere else.
func TestCreateLoginProfileEncryptsThePassword(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	for _, tt := range []struct {
		name, key, fingerprint string
	}{
		{"armored", k.Armored, ""},
		{"base64", k.Base64, ""},
		{"armored with reviewed fingerprint", k.Armored, pgpkey.Fingerprint(k.Armored)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
			fa := seedWriterAccount(t, s)
			var logs bytes.Buffer
			w := NewWriter(applySession(t, s, writerAcct, ""), WriterOptions{Logger: newTestLogger(&logs)})
			s.ResetCalls()

			op := plan.Op{Type: plan.OpCreateLoginProfile, User: "alice", PGPKey: tt.key, PGPKeyFingerprint: tt.fingerprint}
			out, err := w.Write(context.Background(), op)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			lp := fakeUser(t, fa, "alice").LoginProfile
			if lp == nil {
				t.Fatal("no login profile")
			}
			if !lp.PasswordResetRequired {
				t.Error("PasswordResetRequired is false, want the user to change the password at first sign-in")
			}
			if got := k.Decrypt(t, out.EncryptedPassword); got != lp.Password {
				t.Errorf("decrypted password %q, IAM holds %q", got, lp.Password)
			}
			if out.AlreadyDone {
				t.Error("AlreadyDone for a new login profile")
			}
			if strings.Contains(out.EncryptedPassword, lp.Password) || strings.Contains(logs.String(), lp.Password) {
				t.Error("the clear password appears in the outcome or the log")
			}
			// The password is recorded as undelivered before it is set and the
			// record cleared after.
			want := map[string]int{"GetAccountPasswordPolicy": 1, "TagUser": 1, "CreateLoginProfile": 1, "UntagUser": 1}
			if diff := cmp.Diff(want, s.Calls()[writerAcct]); diff != "" {
				t.Errorf("IAM calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreateLoginProfileAfterLostResponse: when a profile already exists
// (an earlier attempt created it and its answer was lost), its password is
// reset to a fresh one, which is returned; the profile's earlier password is
// not reused.
func TestCreateLoginProfileAfterLostResponse(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	fa := seedWriterAccount(t, s)
	w := NewWriter(applySession(t, s, writerAcct, ""), WriterOptions{})
	op := plan.Op{Type: plan.OpCreateLoginProfile, User: "bob", PGPKey: k.Armored}
	s.ResetCalls()

	out, err := w.Write(context.Background(), op)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	lp := fakeUser(t, fa, "bob").LoginProfile
	got := k.Decrypt(t, out.EncryptedPassword)
	if got != lp.Password || got == "Old-Passw0rd!" {
		t.Errorf("decrypted password %q, IAM holds %q; want a fresh password IAM holds", got, lp.Password)
	}
	if !lp.PasswordResetRequired {
		t.Error("PasswordResetRequired is false after the reset")
	}
	// The undelivered-password record is written before the create and
	// cleared after the reset.
	want := map[string]int{"GetAccountPasswordPolicy": 1, "TagUser": 1, "CreateLoginProfile": 1, "UpdateLoginProfile": 1, "UntagUser": 1}
	if diff := cmp.Diff(want, s.Calls()[writerAcct]); diff != "" {
		t.Errorf("IAM calls (-want +got):\n%s", diff)
	}
	if tags := fakeUser(t, fa, "bob").Tags; slices.ContainsFunc(tags, func(tg iamtest.Tag) bool { return tg.Key == manifest.PasswordTag }) {
		t.Errorf("the undelivered-password record is still on bob: %v", tags)
	}
	var pws []string
	for _, c := range s.Writes() {
		if c.Action == "CreateLoginProfile" || c.Action == "UpdateLoginProfile" {
			pws = append(pws, c.Params["Password"])
		}
	}
	if len(pws) != 2 || pws[0] == pws[1] {
		t.Errorf("passwords sent %d times, equal %v; want a create and a reset with a fresh password", len(pws), len(pws) == 2 && pws[0] == pws[1])
	}
}

// TestCreateLoginProfileUnusableKey: a key that cannot encrypt fails the
// operation before any IAM call, so no profile exists that nobody can open.
func TestCreateLoginProfileUnusableKey(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	expired := newKeyPair(t, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, KeyLifetimeSecs: 1, Time: func() time.Time { return time.Now().Add(-time.Hour) }})
	var private bytes.Buffer
	aw, err := armor.Encode(&private, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Private.SerializePrivate(aw, nil); err != nil {
		t.Fatal(err)
	}
	aw.Close()

	tests := []struct {
		name        string
		key, fp     string
		wantMessage string
	}{
		{"no key", "", "", "no pgp_key"},
		{"only a fingerprint", "", pgpkey.Fingerprint(k.Armored), "no pgp_key"},
		{"garbage", "not a key!", "", "pgp_key is not usable: it is neither an armored key"},
		{"base64 of garbage", base64.StdEncoding.EncodeToString([]byte("nope")), "", "pgp_key is not usable: cannot read the key"},
		{"expired", expired.Armored, "", "is not usable: it has no valid encryption key"},
		{"private key", private.String(), "", "pgp_key is not usable: it is a private key"},
		{"other key than reviewed", k.Armored, strings.Repeat("AB", 20), "but the plan was reviewed with"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
			fa := seedWriterAccount(t, s)
			w := NewWriter(applySession(t, s, writerAcct, ""), WriterOptions{})
			s.ResetCalls()
			_, err := w.Write(context.Background(), plan.Op{Type: plan.OpCreateLoginProfile, User: "alice", PGPKey: tt.key, PGPKeyFingerprint: tt.fp})
			if err == nil || !strings.Contains(err.Error(), tt.wantMessage) || !strings.HasPrefix(err.Error(), "CreateLoginProfile alice: ") {
				t.Errorf("Write error = %v, want CreateLoginProfile alice: …%s…", err, tt.wantMessage)
			}
			if n := s.TotalCalls(writerAcct); n != 0 {
				t.Errorf("%d IAM calls, want none before the key is known to work", n)
			}
			if fakeUser(t, fa, "alice").LoginProfile != nil {
				t.Error("a login profile was created")
			}
		})
	}
	if !errors.Is(func() error { _, err := encryptionKey("", ""); return err }(), ErrNoPGPKey) {
		t.Error("an empty key does not match ErrNoPGPKey")
	}
}

// TestPasswordNeverInErrorsOrLogs: when IAM refuses a console password, or
// refuses the reset of one, neither the error nor the log holds the clear
// password that was sent.
func TestPasswordNeverInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	tests := []struct {
		name  string
		setup func(s *iamtest.Server, fa *iamtest.Account)
		role  string
		user  string
	}{
		{
			name: "policy violation",
			setup: func(s *iamtest.Server, _ *iamtest.Account) {
				s.FailNext("CreateLoginProfile", "PasswordPolicyViolation", 1)
			},
			user: "alice",
		},
		{
			name: "reset refused",
			setup: func(_ *iamtest.Server, fa *iamtest.Account) {
				fa.AddRole("roster-apply", "iam:GetAccountPasswordPolicy", "iam:CreateLoginProfile", "iam:TagUser", "iam:UntagUser")
			},
			role: "roster-apply",
			user: "bob",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
			fa := seedWriterAccount(t, s)
			tt.setup(s, fa)
			var logs bytes.Buffer
			w := NewWriter(applySession(t, s, writerAcct, tt.role), WriterOptions{Logger: newTestLogger(&logs)})
			s.ResetCalls()
			out, err := w.Write(context.Background(), plan.Op{Type: plan.OpCreateLoginProfile, User: tt.user, PGPKey: k.Armored})
			if err == nil {
				t.Fatal("Write succeeded")
			}
			if out.EncryptedPassword != "" {
				t.Error("a failed write returned an encrypted password")
			}
			var sent []string
			for _, c := range s.Writes() {
				if pw := c.Params["Password"]; pw != "" {
					sent = append(sent, pw)
				}
			}
			if len(sent) == 0 {
				t.Fatal("no password was sent: the test proves nothing")
			}
			for _, pw := range sent {
				for what, text := range map[string]string{
					"error": err.Error(), "error (%+v)": fmt.Sprintf("%+v", err), "log": logs.String(),
				} {
					if strings.Contains(text, pw) {
						t.Errorf("the %s holds the clear password: %s", what, text)
					}
				}
			}
		})
	}
}
