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
	"github.com/roster-dev/roster/internal/manifest"
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
// The user is tagged manifest.PasswordTag first and untagged once IAM has
// answered: if every answer is lost, the tag stays, and the next plan
// resets the password nobody received (see plan's consoleOps). When a
// profile already exists (an earlier attempt of this apply created it but
// its answer was lost), its password is reset at once instead.
func (w *Writer) createLoginProfile(ctx context.Context, op plan.Op) (apply.Outcome, error) {
	key, p, err := w.passwordInputs(ctx, op)
	if err != nil {
		return apply.Outcome{}, err
	}
	if err := w.markUndelivered(ctx, op.User); err != nil {
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
	switch {
	case err == nil:
		return w.delivered(ctx, op.User, sealed), nil
	case errorCode(err) != codeEntityAlreadyExists:
		return apply.Outcome{}, err
	}
	w.log.Info("login profile exists; resetting its password", "env", w.env, "user", op.User)
	out, err := w.reset(ctx, op.User, key, p)
	if err != nil {
		return apply.Outcome{}, fmt.Errorf("reset the existing login profile's password: %w", err)
	}
	return out, nil
}

// resetLoginProfile gives op.User's existing login profile a new password,
// to be changed at first sign-in, encrypted to op.PGPKey: the plan's answer
// to a password apply could not deliver. The record (manifest.PasswordTag)
// is already on the user; the plan removes it after this operation.
func (w *Writer) resetLoginProfile(ctx context.Context, op plan.Op) (apply.Outcome, error) {
	key, p, err := w.passwordInputs(ctx, op)
	if err != nil {
		return apply.Outcome{}, err
	}
	sealed, err := w.setNewPassword(ctx, op.User, key, p)
	if err != nil {
		return apply.Outcome{}, err
	}
	return apply.Outcome{EncryptedPassword: sealed}, nil
}

// passwordInputs checks the operation's key and reads the account's
// password policy.
func (w *Writer) passwordInputs(ctx context.Context, op plan.Op) (*pgpKey, passwordPolicy, error) {
	key, err := encryptionKey(op.PGPKey, op.PGPKeyFingerprint)
	if err != nil {
		return nil, passwordPolicy{}, err
	}
	p, err := w.passwordPolicy(ctx)
	if err != nil {
		return nil, passwordPolicy{}, err
	}
	return key, p, nil
}

// reset sets a fresh password on user's existing profile and clears the
// record once IAM has answered.
func (w *Writer) reset(ctx context.Context, user string, key *pgpKey, p passwordPolicy) (apply.Outcome, error) {
	sealed, err := w.setNewPassword(ctx, user, key, p)
	if err != nil {
		return apply.Outcome{}, err
	}
	return w.delivered(ctx, user, sealed), nil
}

// setNewPassword generates a password for p, sets it on user's existing
// profile and returns it encrypted to key.
func (w *Writer) setNewPassword(ctx context.Context, user string, key *pgpKey, p passwordPolicy) (string, error) {
	pw, sealed, err := w.newPassword(key, p)
	if err != nil {
		return "", err
	}
	if err := w.updatePassword(ctx, user, pw); err != nil {
		return "", err
	}
	return sealed, nil
}

// updatePassword sets pw as user's console password, to be changed at first
// sign-in, and clears pw.
func (w *Writer) updatePassword(ctx context.Context, user string, pw []byte) error {
	_, err := w.iam.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{
		UserName:              aws.String(user),
		Password:              aws.String(string(pw)),
		PasswordResetRequired: aws.Bool(true),
	})
	clear(pw)
	return err
}

// markUndelivered records on the user, before a password is set, that it
// has not reached anyone yet.
func (w *Writer) markUndelivered(ctx context.Context, user string) error {
	_, err := w.iam.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(user), Tags: []types.Tag{
		{Key: aws.String(manifest.PasswordTag), Value: aws.String(manifest.PasswordUndelivered)},
	}})
	if err != nil {
		return fmt.Errorf("record the password as undelivered before setting it: %w", err)
	}
	return nil
}

// delivered removes the record once IAM has accepted the password, whose
// encrypted form now goes to the apply's result. If the removal fails the
// password is still delivered; the record left behind makes the next plan
// reset it once more, which is safe.
func (w *Writer) delivered(ctx context.Context, user, sealed string) apply.Outcome {
	_, err := w.iam.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(user), TagKeys: []string{manifest.PasswordTag}})
	if err != nil {
		w.log.Warn("could not clear the undelivered-password record; the next plan resets the password again",
			"env", w.env, "user", user, "code", errorCode(err))
	}
	return apply.Outcome{EncryptedPassword: sealed}
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
