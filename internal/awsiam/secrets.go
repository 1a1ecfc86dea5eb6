package awsiam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// SecretsReadPermissions are the Secrets Manager actions a plan or drift
// role needs on secret:roster/* to see which key a secret holds.
var SecretsReadPermissions = []string{
	"secretsmanager:DescribeSecret",
}

// SecretsWritePermissions are the Secrets Manager actions an apply role
// needs on secret:roster/* to deliver access keys: DescribeSecret to check
// ownership and read the held key from version IDs, CreateSecret and
// TagResource (AWS requires it for tags given at creation) for the first
// delivery, PutSecretValue for the next. No GetSecretValue: roster never
// reads a secret's value.
var SecretsWritePermissions = []string{
	"secretsmanager:CreateSecret",
	"secretsmanager:DescribeSecret",
	"secretsmanager:PutSecretValue",
	"secretsmanager:TagResource",
}

var _ secretsAPI = (*secretsmanager.Client)(nil)

// Secrets Manager's staging labels of the current and the previous value.
const (
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
)

// versionPrefix starts the version ID (ClientRequestToken) of every value
// roster delivers; the access key ID follows. The version ID is written in
// the same call as the value, so DescribeSecret tells which key a secret
// holds without reading the secret, and a retried delivery of the same key
// is idempotent.
const versionPrefix = "roster-access-key-"

// SecretVersionID is the version ID roster gives the value holding keyID.
// Secrets Manager accepts 32 to 64 characters; IAM's access key IDs (20
// characters) fit.
func SecretVersionID(keyID string) (string, error) {
	v := versionPrefix + keyID
	if len(v) < 32 || len(v) > 64 || strings.ContainsFunc(keyID, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "", fmt.Errorf("access key ID %q does not make a Secrets Manager version ID (32 to 64 printable characters)", keyID)
	}
	return v, nil
}

// keyIDOfVersion returns the access key ID a version ID names, or "" for a
// version roster did not write.
func keyIDOfVersion(v string) string {
	id, ok := strings.CutPrefix(v, versionPrefix)
	if !ok {
		return ""
	}
	return id
}

// SecretNotOwnedError says that a secret exists without roster's ownership
// tag: roster never writes to it, and creates no key for it.
type SecretNotOwnedError struct {
	Env    string
	Secret string
	// Tag is the ownership tag key roster looked for (value "true").
	Tag string
}

// Error names the secret and what to do.
func (e *SecretNotOwnedError) Error() string {
	return fmt.Sprintf("environment %s: secret %s exists but is not tagged %s=true, so roster does not overwrite it: choose another secret_name, or tag the secret %s=true if roster should own it",
		e.Env, e.Secret, e.Tag, e.Tag)
}

// secretsAPI is the part of the Secrets Manager API delivery uses.
type secretsAPI interface {
	CreateSecret(context.Context, *secretsmanager.CreateSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

// Secrets delivers access keys to Secrets Manager secrets in one account
// and region. Errors name the environment and the secret, never its value.
type Secrets struct {
	env, role string
	c         secretsAPI
}

// NewSecrets returns the Secrets Manager adapter of a session, in the
// session's region.
func NewSecrets(a *Account) *Secrets {
	return &Secrets{env: a.Env, role: a.Role, c: secretsmanager.NewFromConfig(a.Config())}
}

// secretValue is the JSON a delivered secret holds, named as the AWS CLI and
// SDKs name the two parts of a key.
type secretValue struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
}

// Delivered says which keys the secret holds (AWSCURRENT) and held before
// (AWSPREVIOUS), from DescribeSecret's version IDs; the zero value when the
// secret does not exist. A secret without the ownership tag is a
// *SecretNotOwnedError: nothing may be created for it.
func (s *Secrets) Delivered(ctx context.Context, secretName, ownershipTag string) (keys.Delivered, error) {
	d, err := s.describe(ctx, secretName, ownershipTag)
	if err != nil || d == nil {
		return keys.Delivered{}, err
	}
	var out keys.Delivered
	out.Current, out.Previous = heldKeys(d.VersionIdsToStages)
	return out, nil
}

// State reads what roster needs to know of a secret without its value:
// whether it exists, its tags, and the keys its current and previous
// versions hold.
func (s *Secrets) State(ctx context.Context, secretName string) (*state.Secret, error) {
	d, err := s.c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretName)})
	var nf *smtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return &state.Secret{Name: secretName}, nil
	}
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("read secret %s", secretName), err)
	}
	out := &state.Secret{Name: secretName, Exists: true}
	for _, t := range d.Tags {
		if out.Tags == nil {
			out.Tags = map[string]string{}
		}
		out.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	out.Current, out.Previous = heldKeys(d.VersionIdsToStages)
	return out, nil
}

// heldKeys returns the access key IDs of the AWSCURRENT and AWSPREVIOUS
// versions roster wrote.
func heldKeys(versions map[string][]string) (current, previous string) {
	for v, stages := range versions {
		for _, st := range stages {
			switch st {
			case stageCurrent:
				current = keyIDOfVersion(v)
			case stagePrevious:
				previous = keyIDOfVersion(v)
			}
		}
	}
	return current, previous
}

// ReadSecrets reads the state of every secret env's service accounts
// deliver their access keys to.
func ReadSecrets(ctx context.Context, a *Account, env *manifest.Environment) (map[string]*state.Secret, error) {
	var out map[string]*state.Secret
	var s *Secrets
	for _, u := range env.Users {
		if u.AccessKey == nil || u.AccessKey.DeliverTo != keys.SecretsManager {
			continue
		}
		if s == nil {
			s, out = NewSecrets(a), map[string]*state.Secret{}
		}
		if _, done := out[u.AccessKey.SecretName]; done {
			continue
		}
		st, err := s.State(ctx, u.AccessKey.SecretName)
		if err != nil {
			return nil, err
		}
		out[u.AccessKey.SecretName] = st
	}
	return out, nil
}

// describe returns the secret, nil when it does not exist, or a
// *SecretNotOwnedError when it exists untagged.
func (s *Secrets) describe(ctx context.Context, secretName, ownershipTag string) (*secretsmanager.DescribeSecretOutput, error) {
	d, err := s.c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretName)})
	var nf *smtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("read secret %s", secretName), err)
	}
	for _, t := range d.Tags {
		if aws.ToString(t.Key) == ownershipTag && aws.ToString(t.Value) == "true" {
			return d, nil
		}
	}
	return nil, &SecretNotOwnedError{Env: s.env, Secret: secretName, Tag: ownershipTag}
}

// DeliverAccessKey puts a key's ID and secret in the named secret as its
// new current value: it creates the secret, tagged ownershipTag=true, when
// it does not exist, and adds a version when it exists with that tag. A
// secret without the tag is never written (*SecretNotOwnedError). Repeating
// a delivery of the same key is harmless.
func (s *Secrets) DeliverAccessKey(ctx context.Context, secretName, ownershipTag, keyID, secret string) error {
	version, err := SecretVersionID(keyID)
	if err != nil {
		return &EnvError{Env: s.env, Err: err}
	}
	value, err := json.Marshal(secretValue{AccessKeyID: keyID, SecretAccessKey: secret})
	if err != nil {
		return &EnvError{Env: s.env, Err: fmt.Errorf("encode access key %s", keyID)}
	}
	what := fmt.Sprintf("deliver access key %s to secret %s", keyID, secretName)
	d, err := s.describe(ctx, secretName, ownershipTag)
	if err != nil {
		return err
	}
	if d == nil {
		_, err = s.c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name:               aws.String(secretName),
			SecretString:       aws.String(string(value)),
			ClientRequestToken: aws.String(version),
			Description:        aws.String("An IAM access key delivered by roster; its version IDs name the key."),
			Tags:               []smtypes.Tag{{Key: aws.String(ownershipTag), Value: aws.String("true")}},
		})
		var exists *smtypes.ResourceExistsException
		if !errors.As(err, &exists) {
			return s.confirm(ctx, secretName, version, s.wrap(what, err))
		}
		// Created meanwhile by someone else: deliver only if it is ours.
		if d, err = s.describe(ctx, secretName, ownershipTag); err != nil {
			return err
		}
		if d == nil {
			return s.wrap(what, errors.New("the secret was created and deleted again meanwhile"))
		}
	}
	_, err = s.c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           d.ARN,
		SecretString:       aws.String(string(value)),
		ClientRequestToken: aws.String(version),
	})
	return s.confirm(ctx, secretName, version, s.wrap(what, err))
}

// confirm tells a write that failed from one that succeeded but whose
// answer was lost (every retry included): the write's ClientRequestToken
// becomes its version ID, so the secret holds the key as its current value
// exactly when DescribeSecret lists that version with AWSCURRENT; then the
// delivery succeeded and confirm returns nil. When DescribeSecret fails
// too, nobody knows, and the error matches [keys.ErrDeliveryUnknown].
func (s *Secrets) confirm(ctx context.Context, secretName, version string, failed error) error {
	if failed == nil {
		return nil
	}
	d, err := s.c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretName)})
	var nf *smtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return failed
	case err != nil:
		return fmt.Errorf("%w: %w; then %w", keys.ErrDeliveryUnknown, failed, s.wrap("check secret "+secretName+" for the new version", err))
	case slices.Contains(d.VersionIdsToStages[version], stageCurrent):
		return nil
	}
	return failed
}

// wrap classifies an SDK error and says what failed. SDK errors carry the
// operation, status and AWS's message, never the request's parameters, so
// the secret's value cannot reach them.
func (s *Secrets) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return classify(s.env, s.role, fmt.Errorf("%s: %w", what, err))
}
