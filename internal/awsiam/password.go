package awsiam

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/plan"
)

// Password character classes. Symbols are the ones IAM accepts in
// passwords and counts as symbols for the password policy.
const (
	passwordUpper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	passwordLower   = "abcdefghijklmnopqrstuvwxyz"
	passwordDigits  = "0123456789"
	passwordSymbols = "!@#$%^&*()_+-=[]{}|'"
)

// Password lengths: roster's floor, and IAM's limit.
const (
	minGeneratedPassword = 24
	maxPassword          = 128
)

// passwordPolicy is the part of the account password policy that decides
// what a generated password must look like.
type passwordPolicy struct {
	MinLength                     int
	Upper, Lower, Digits, Symbols bool
}

// iamDefaultPolicy is what IAM enforces when the account has no password
// policy: at least 8 characters, and three of the four classes (a generated
// password holds all four).
var iamDefaultPolicy = passwordPolicy{MinLength: 8, Upper: true, Lower: true, Digits: true, Symbols: true}

// passwordPolicy reads the account password policy the first time it is
// needed and keeps it for the writer's lifetime. A failed read is not kept:
// the next console user tries again.
func (w *Writer) passwordPolicy(ctx context.Context) (passwordPolicy, error) {
	w.policyMu.Lock()
	defer w.policyMu.Unlock()
	if w.policy != nil {
		return *w.policy, nil
	}
	out, err := w.iam.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	var p passwordPolicy
	switch {
	case errorCode(err) == codeNoSuchEntity:
		p = iamDefaultPolicy
	case err != nil:
		return passwordPolicy{}, fmt.Errorf("read the account password policy: %w", err)
	default:
		p = fromSDKPolicy(out.PasswordPolicy)
	}
	w.policy = &p
	return p, nil
}

func fromSDKPolicy(sp *types.PasswordPolicy) passwordPolicy {
	if sp == nil {
		return iamDefaultPolicy
	}
	return passwordPolicy{
		MinLength: int(aws.ToInt32(sp.MinimumPasswordLength)),
		Upper:     sp.RequireUppercaseCharacters,
		Lower:     sp.RequireLowercaseCharacters,
		Digits:    sp.RequireNumbers,
		Symbols:   sp.RequireSymbols,
	}
}

// generatePassword returns a random password that p accepts: at least 24
// characters (more when the policy asks), drawn uniformly from upper- and
// lower-case letters, digits and IAM's symbols, with at least one character
// of each class whatever the policy requires, at positions that are random
// too. r must be a cryptographically secure source.
func generatePassword(r io.Reader, p passwordPolicy) ([]byte, error) {
	n := min(max(p.MinLength, minGeneratedPassword), maxPassword)
	classes := []string{passwordUpper, passwordLower, passwordDigits, passwordSymbols}
	all := passwordUpper + passwordLower + passwordDigits + passwordSymbols
	pw := make([]byte, n)
	for i := range pw {
		set := all
		if i < len(classes) {
			set = classes[i]
		}
		j, err := randIndex(r, len(set))
		if err != nil {
			return nil, err
		}
		pw[i] = set[j]
	}
	// Fisher-Yates, so the guaranteed characters are not always first.
	for i := n - 1; i > 0; i-- {
		j, err := randIndex(r, i+1)
		if err != nil {
			return nil, err
		}
		pw[i], pw[j] = pw[j], pw[i]
	}
	return pw, nil
}

// randIndex returns a uniform random number in [0, n).
func randIndex(r io.Reader, n int) (int, error) {
	v, err := rand.Int(r, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("generate a password: %w", err)
	}
	return int(v.Int64()), nil
}

// createLoginProfile gives op.User a console password that satisfies the
// account password policy and must be changed at first sign-in, and returns
// it encrypted to op.PGPKey. The key is checked, and the password encrypted,
// before IAM is called, so no profile is created that nobody can open.
//
// When a profile already exists (an earlier attempt created it but its
// answer was lost, so nobody holds that password), the password is reset
// with UpdateLoginProfile to a fresh one, which is returned instead.
func (w *Writer) createLoginProfile(ctx context.Context, op plan.Op) (apply.Outcome, error) {
	key, err := encryptionKey(op.PGPKey, op.PGPKeyFingerprint)
	if err != nil {
		return apply.Outcome{}, err
	}
	p, err := w.passwordPolicy(ctx)
	if err != nil {
		return apply.Outcome{}, err
	}

	pw, sealed, err := w.newPassword(key, p)
	if err != nil {
		return apply.Outcome{}, err
	}
	_, err = w.iam.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{
		UserName:              aws.String(op.User),
		Password:              aws.String(string(pw)),
		PasswordResetRequired: true,
	})
	clear(pw) // the clear password leaves memory with the call
	if err == nil {
		return apply.Outcome{EncryptedPassword: sealed}, nil
	}
	if errorCode(err) != codeEntityAlreadyExists {
		return apply.Outcome{}, err
	}

	w.log.Info("login profile exists; resetting its password", "env", w.env, "user", op.User)
	pw, sealed, err = w.newPassword(key, p)
	if err != nil {
		return apply.Outcome{}, err
	}
	_, err = w.iam.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{
		UserName:              aws.String(op.User),
		Password:              aws.String(string(pw)),
		PasswordResetRequired: aws.Bool(true),
	})
	clear(pw)
	if err != nil {
		return apply.Outcome{}, fmt.Errorf("reset the existing login profile's password: %w", err)
	}
	return apply.Outcome{EncryptedPassword: sealed}, nil
}

// newPassword generates a password for p and encrypts it to key. The caller
// sends the clear password to IAM and clears it.
func (w *Writer) newPassword(key *pgpKey, p passwordPolicy) (clearPW []byte, sealed string, err error) {
	pw, err := generatePassword(w.rand, p)
	if err != nil {
		return nil, "", err
	}
	sealed, err = key.encrypt(pw)
	if err != nil {
		clear(pw)
		return nil, "", err
	}
	return pw, sealed, nil
}
