package awsiam

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/plan"
)

// AccessKeyPermissions are the IAM actions the access key lifecycle calls
// besides WritePermissions' iam:DeleteAccessKey, iam:TagUser and
// iam:UntagUser, and ReadPermissions' iam:ListAccessKeys.
var AccessKeyPermissions = []string{
	"iam:CreateAccessKey",
	"iam:ListUserTags",
	"iam:UpdateAccessKey",
}

// accessKeysAPI is the part of the IAM API the key lifecycle uses.
type accessKeysAPI interface {
	iam.ListAccessKeysAPIClient
	ListUserTags(context.Context, *iam.ListUserTagsInput, ...func(*iam.Options)) (*iam.ListUserTagsOutput, error)
	CreateAccessKey(context.Context, *iam.CreateAccessKeyInput, ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	UpdateAccessKey(context.Context, *iam.UpdateAccessKeyInput, ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
	DeleteAccessKey(context.Context, *iam.DeleteAccessKeyInput, ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	TagUser(context.Context, *iam.TagUserInput, ...func(*iam.Options)) (*iam.TagUserOutput, error)
	UntagUser(context.Context, *iam.UntagUserInput, ...func(*iam.Options)) (*iam.UntagUserOutput, error)
}

var _ accessKeysAPI = (*iam.Client)(nil)

// AccessKeys reads and changes service accounts' access keys for the key
// lifecycle (package keys), with the writer's retries.
type AccessKeys struct {
	env, role string
	c         accessKeysAPI
}

// NewAccessKeys returns the access key adapter of a session.
func NewAccessKeys(a *Account) *AccessKeys {
	r := a.cfg.Retryer()
	return &AccessKeys{env: a.Env, role: a.Role, c: iam.NewFromConfig(a.cfg, func(o *iam.Options) { o.Retryer = NewRetryer(r.MaxAttempts()) })}
}

// Live returns a user's keys and its pending marker (nil without one).
func (k *AccessKeys) Live(ctx context.Context, user string) ([]keys.Key, *keys.Pending, error) {
	p := iam.NewListAccessKeysPaginator(k.c, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	live, err := listed(ctx, p, func(page *iam.ListAccessKeysOutput) []keys.Key {
		return each(page.AccessKeyMetadata, func(m types.AccessKeyMetadata) keys.Key {
			return keys.Key{ID: aws.ToString(m.AccessKeyId), Status: keys.Status(m.Status), Created: aws.ToTime(m.CreateDate)}
		})
	})
	if err != nil {
		return nil, nil, k.wrap("list access keys of "+user, err)
	}
	v, ok, err := k.userTag(ctx, user, keys.PendingTag)
	if err != nil {
		return nil, nil, k.wrap("list tags of "+user, err)
	}
	var marker *keys.Pending
	if ok {
		marker = &keys.Pending{Before: strings.Fields(v)}
	}
	return live, marker, nil
}

// userTag returns the value of a user's tag key, and whether the user has
// it; its error is the SDK's, for the caller to wrap.
func (k *AccessKeys) userTag(ctx context.Context, user, key string) (string, bool, error) {
	var (
		value string
		found bool
	)
	tags := iam.NewListUserTagsPaginator(k.c, &iam.ListUserTagsInput{UserName: aws.String(user)})
	if err := eachPage(ctx, tags, func(page *iam.ListUserTagsOutput) {
		for _, t := range page.Tags {
			if aws.ToString(t.Key) == key {
				value, found = aws.ToString(t.Value), true
			}
		}
	}); err != nil {
		return "", false, err
	}
	return value, found, nil
}

// Port returns the steps' port for one user, delivering with deliver.
func (k *AccessKeys) Port(user string, deliver func(ctx context.Context, keyID string, secret keys.Secret) error) keys.Port {
	return &userKeys{k: k, user: user, deliver: deliver}
}

// SecretsManagerDelivery delivers to a secret through s, for Port.
func SecretsManagerDelivery(s *Secrets, secretName, ownershipTag string) func(context.Context, string, keys.Secret) error {
	return func(ctx context.Context, keyID string, secret keys.Secret) error {
		return s.DeliverAccessKey(ctx, secretName, ownershipTag, keyID, secret.Reveal())
	}
}

type userKeys struct {
	k       *AccessKeys
	user    string
	deliver func(context.Context, string, keys.Secret) error
}

var _ keys.Port = (*userKeys)(nil)

func (u *userKeys) MarkPending(ctx context.Context, before []string) error {
	_, err := u.k.c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(u.user),
		Tags: []types.Tag{{Key: aws.String(keys.PendingTag), Value: aws.String(strings.Join(before, " "))}}})
	return u.k.wrap("mark "+u.user+" pending a new access key", err)
}

func (u *userKeys) ClearPending(ctx context.Context) error {
	_, err := u.k.c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(u.user), TagKeys: []string{keys.PendingTag}})
	return u.k.wrap("clear the pending mark of "+u.user, err)
}

func (u *userKeys) CreateKey(ctx context.Context) (string, keys.Secret, error) {
	out, err := u.k.c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(u.user)})
	if err != nil {
		return "", keys.Secret{}, u.k.wrap("create an access key for "+u.user, err)
	}
	return aws.ToString(out.AccessKey.AccessKeyId), keys.NewSecret(aws.ToString(out.AccessKey.SecretAccessKey)), nil
}

func (u *userKeys) Deliver(ctx context.Context, keyID string, secret keys.Secret) error {
	return u.deliver(ctx, keyID, secret)
}

func (u *userKeys) Deactivate(ctx context.Context, keyID string) error {
	_, err := u.k.c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(u.user), AccessKeyId: aws.String(keyID), Status: types.StatusTypeInactive})
	return u.k.wrap(fmt.Sprintf("deactivate access key %s of %s", keyID, u.user), err)
}

func (u *userKeys) Activate(ctx context.Context, keyID string) error {
	_, err := u.k.c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(u.user), AccessKeyId: aws.String(keyID), Status: types.StatusTypeActive})
	return u.k.wrap(fmt.Sprintf("activate access key %s of %s", keyID, u.user), err)
}

func (u *userKeys) Delete(ctx context.Context, keyID string) error {
	_, err := u.k.c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(u.user), AccessKeyId: aws.String(keyID)})
	if errorCode(err) == codeNoSuchEntity {
		return nil // already gone: the goal is reached
	}
	return u.k.wrap(fmt.Sprintf("delete access key %s of %s", keyID, u.user), err)
}

func (k *AccessKeys) wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return classify(k.env, k.role, fmt.Errorf("%s: %w", what, err))
}

var _ apply.KeyPorts = (*Writer)(nil)

// AccessKeyPort opens the port a service account's access key steps run
// through, in the writer's session: IAM for the keys and the marks, and
// for delivery Secrets Manager (secretsmanager) or publish (pgp). A pgp_key
// that cannot encrypt fails here, before any key exists.
func (w *Writer) AccessKeyPort(_ context.Context, a plan.AccessKey, publish apply.Publish) (keys.Port, error) {
	// The writer's own client: its retryer, the account's pacer and the
	// run's bound on writes in flight.
	ak := &AccessKeys{env: w.env, role: w.role, c: w.iam}
	switch keys.Destination(a.DeliverTo) {
	case keys.SecretsManager:
		return ak.Port(a.ServiceAccount, SecretsManagerDelivery(NewSecrets(w.acct), a.SecretName, a.OwnershipTag)), nil
	case keys.PGP:
		pk, err := encryptionKey(a.PGPKey, "")
		if err != nil {
			return nil, &EnvError{Env: w.env, Err: fmt.Errorf("access key of %s: %w", a.ServiceAccount, err)}
		}
		return ak.Port(a.ServiceAccount, ak.pgpDelivery(w.env, a, pk, publish)), nil
	}
	return nil, &EnvError{Env: w.env, Err: fmt.Errorf("access key of %s: deliver_to %q: use secretsmanager or pgp", a.ServiceAccount, a.DeliverTo)}
}

// pgpDelivery seals a new key to pk, publishes it, and only then records
// it as delivered: DeliveredTag names it as the current key (and the key
// it replaces as the previous one). A failure anywhere leaves no record, so
// the key counts as undelivered and is deleted again. A record whose
// answer was lost is checked (confirmRecord).
func (k *AccessKeys) pgpDelivery(env string, a plan.AccessKey, pk *pgpKey, publish apply.Publish) func(context.Context, string, keys.Secret) error {
	return func(ctx context.Context, keyID string, secret keys.Secret) error {
		plain, err := json.Marshal(secretValue{AccessKeyID: keyID, SecretAccessKey: secret.Reveal()})
		if err != nil {
			return fmt.Errorf("seal access key %s of %s: %w", keyID, a.ServiceAccount, err)
		}
		msg, err := pk.encrypt(plain)
		clear(plain)
		if err != nil {
			return err
		}
		if err := publish(ctx, apply.SealedKey{Environment: env, ServiceAccount: a.ServiceAccount, KeyID: keyID, Fingerprint: pk.fingerprint, Message: msg}); err != nil {
			return fmt.Errorf("publish the encrypted access key %s of %s: %w", keyID, a.ServiceAccount, err)
		}
		_, err = k.c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(a.ServiceAccount),
			Tags: []types.Tag{{Key: aws.String(keys.DeliveredTag), Value: aws.String(a.Delivered.Record(keyID))}}})
		return k.confirmRecord(ctx, a.ServiceAccount, keyID, k.wrap(fmt.Sprintf("record access key %s of %s as delivered", keyID, a.ServiceAccount), err))
	}
}

// confirmRecord tells a delivery record (TagUser) that failed from one IAM
// applied but whose answer was lost (every retry included): the user's
// DeliveredTag then names keyID as the current key, the report carries the
// key, and the delivery succeeded (nil). When reading the tags fails too,
// nobody knows, and the error matches [keys.ErrDeliveryUnknown]: the key is
// deactivated, not deleted, and the next run decides from the record.
func (k *AccessKeys) confirmRecord(ctx context.Context, user, keyID string, failed error) error {
	if failed == nil {
		return nil
	}
	v, _, err := k.userTag(ctx, user, keys.DeliveredTag)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %w; then %w", keys.ErrDeliveryUnknown, failed, k.wrap("check the delivery record of "+user+" (list its tags)", err))
	case keys.ParseDelivered(v).Current == keyID:
		return nil
	}
	return failed
}
