package awsiam

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/plan"
)

// passwordPolicies are account password policies a generated password must
// satisfy; nil is an account without one (IAM's default policy).
var passwordPolicies = map[string]*iamtest.PasswordPolicy{
	"IAM default":       nil,
	"lenient":           {MinimumPasswordLength: 6},
	"every class":       {MinimumPasswordLength: 14, RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true},
	"symbols only":      {MinimumPasswordLength: 8, RequireSymbols: true},
	"long":              {MinimumPasswordLength: 64, RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true},
	"IAM's longest":     {MinimumPasswordLength: 128, RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true},
	"no reuse, expires": {MinimumPasswordLength: 30, RequireNumbers: true, PasswordReusePrevention: 24, MaxPasswordAge: 90, HardExpiry: true},
}

// TestGeneratedPasswordsSatisfyThePolicy: every password generated for an
// account is accepted by IAM's enforcement of that account's policy, both
// through the writer (one console user each) and as many direct resets.
func TestGeneratedPasswordsSatisfyThePolicy(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	const viaWriter, direct = 15, 300
	for name, pp := range passwordPolicies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
			fa := s.Account(writerAcct)
			fa.SetPasswordPolicy(pp)
			for i := range viaWriter {
				fa.PutUser(iamtest.User{Name: fmt.Sprintf("user-%d", i)})
			}
			acct := applySession(t, s, writerAcct, "")
			w := NewWriter(acct, unpaced())
			for i := range viaWriter {
				out, err := w.Write(context.Background(), plan.Op{Type: plan.OpCreateLoginProfile, User: fmt.Sprintf("user-%d", i), PGPKey: k.Armored})
				if err != nil {
					t.Fatalf("Write: %v", err)
				}
				if got, want := k.Decrypt(t, out.EncryptedPassword), fakeUser(t, fa, fmt.Sprintf("user-%d", i)).LoginProfile.Password; got != want {
					t.Fatalf("decrypted %q, IAM holds %q", got, want)
				}
			}
			if n := s.CallCount(writerAcct, "GetAccountPasswordPolicy"); n != 1 {
				t.Errorf("GetAccountPasswordPolicy called %d times, want once per writer", n)
			}

			// Many more passwords, straight to IAM's check.
			p, err := w.passwordPolicy(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			c := iam.NewFromConfig(acct.Config())
			seen := map[string]bool{}
			for range direct {
				pw, err := generatePassword(rand.Reader, p)
				if err != nil {
					t.Fatal(err)
				}
				if seen[string(pw)] {
					t.Fatalf("password %q generated twice", pw)
				}
				seen[string(pw)] = true
				if _, err := c.UpdateLoginProfile(context.Background(), &iam.UpdateLoginProfileInput{UserName: aws.String("user-0"), Password: aws.String(string(pw))}); err != nil {
					t.Fatalf("IAM refused generated password %q: %v", pw, err)
				}
			}
		})
	}
}

// TestGeneratePasswordShape: length max(policy minimum, 24) up to IAM's 128,
// characters only from IAM's allowed set, every class present.
func TestGeneratePasswordShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		min, wantLen int
	}{{0, 24}, {6, 24}, {24, 24}, {25, 25}, {100, 100}, {128, 128}, {500, 128}}
	for _, tt := range tests {
		for range 200 {
			pw, err := generatePassword(rand.Reader, passwordPolicy{MinLength: tt.min})
			if err != nil {
				t.Fatal(err)
			}
			if len(pw) != tt.wantLen {
				t.Fatalf("minimum %d: length %d, want %d", tt.min, len(pw), tt.wantLen)
			}
			for _, class := range []string{passwordUpper, passwordLower, passwordDigits, passwordSymbols} {
				if !bytes.ContainsAny(pw, class) {
					t.Fatalf("password %q has no character of %q", pw, class)
				}
			}
			if i := bytes.IndexFunc(pw, func(r rune) bool {
				return !strings.ContainsRune(passwordUpper+passwordLower+passwordDigits+passwordSymbols, r)
			}); i >= 0 {
				t.Fatalf("password %q holds %q, outside IAM's allowed characters", pw, pw[i])
			}
		}
	}
}

// TestGeneratePasswordUsesEveryPosition: the characters guaranteed for
// each class do not sit at fixed positions (a predictable prefix would
// weaken every password).
func TestGeneratePasswordUsesEveryPosition(t *testing.T) {
	t.Parallel()
	symbolAt := make([]bool, minGeneratedPassword)
	for range 2000 {
		pw, err := generatePassword(rand.Reader, iamDefaultPolicy)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range pw {
			if strings.IndexByte(passwordSymbols, c) >= 0 {
				symbolAt[i] = true
			}
		}
	}
	for i, ok := range symbolAt {
		if !ok {
			t.Errorf("no symbol ever at position %d in 2,000 passwords", i)
		}
	}
}

// TestGeneratePasswordRandomFailure: a broken random source fails the
// operation instead of producing a weak password.
func TestGeneratePasswordRandomFailure(t *testing.T) {
	t.Parallel()
	if _, err := generatePassword(failingReader{}, iamDefaultPolicy); err == nil {
		t.Fatal("generatePassword succeeded without randomness")
	}
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	fa := seedWriterAccount(t, s)
	w := NewWriter(applySession(t, s, writerAcct, ""), WriterOptions{Rand: failingReader{}})
	if _, err := w.Write(context.Background(), plan.Op{Type: plan.OpCreateLoginProfile, User: "alice", PGPKey: testKey(t).Armored}); err == nil {
		t.Fatal("Write succeeded without randomness")
	}
	if fakeUser(t, fa, "alice").LoginProfile != nil {
		t.Error("a login profile was created without a password")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

// TestPasswordPolicyReadOnce: concurrent console users share one read of the
// password policy; a failed read is not kept, and names the permission.
func TestPasswordPolicyReadOnce(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	fa := s.Account(writerAcct)
	fa.SetPasswordPolicy(&iamtest.PasswordPolicy{MinimumPasswordLength: 40, RequireSymbols: true})
	const n = 12
	for i := range n {
		fa.PutUser(iamtest.User{Name: fmt.Sprintf("user-%d", i)})
	}
	fa.AddRole("roster-apply", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:TagUser", "iam:UntagUser")
	w := NewWriter(applySession(t, s, writerAcct, "roster-apply"), unpaced())

	// The role may not read the policy: the operation fails, naming the
	// permission, before any login profile exists.
	_, err := w.Write(context.Background(), plan.Op{Type: plan.OpCreateLoginProfile, User: "user-0", PGPKey: k.Armored})
	var ad *AccessDeniedError
	if !errors.As(err, &ad) || ad.Action != "iam:GetAccountPasswordPolicy" {
		t.Fatalf("Write error = %v, want access denied for iam:GetAccountPasswordPolicy", err)
	}
	if fakeUser(t, fa, "user-0").LoginProfile != nil {
		t.Fatal("a login profile was created without the password policy")
	}

	fa.AddRole("roster-apply", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:GetAccountPasswordPolicy", "iam:TagUser", "iam:UntagUser")
	s.ResetCalls()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = w.Write(context.Background(), plan.Op{Type: plan.OpCreateLoginProfile, User: fmt.Sprintf("user-%d", i), PGPKey: k.Armored})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	// Each password is recorded as undelivered before it is set, and the
	// record cleared after.
	want := map[string]int{"GetAccountPasswordPolicy": 1, "CreateLoginProfile": n, "TagUser": n, "UntagUser": n}
	if diff := cmp.Diff(want, s.Calls()[writerAcct]); diff != "" {
		t.Errorf("IAM calls (-want +got):\n%s", diff)
	}
	for i := range n {
		if got := len(fakeUser(t, fa, fmt.Sprintf("user-%d", i)).LoginProfile.Password); got != 40 {
			t.Errorf("user-%d: password of %d characters, want the policy's 40", i, got)
		}
	}
}
