package awsiam

import (
	"context"
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
	var live []keys.Key
	p := iam.NewListAccessKeysPaginator(k.c, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err := eachPage(ctx, p, func(page *iam.ListAccessKeysOutput) {
		for _, m := range page.AccessKeyMetadata {
			live = append(live, keys.Key{ID: aws.ToString(m.AccessKeyId), Status: keys.Status(m.Status), Created: aws.ToTime(m.CreateDate)})
		}
	}); err != nil {
		return nil, nil, k.wrap("list access keys of "+user, err)
	}
	var marker *keys.Pending
	tags := iam.NewListUserTagsPaginator(k.c, &iam.ListUserTagsInput{UserName: aws.String(user)})
	if err := eachPage(ctx, tags, func(page *iam.ListUserTagsOutput) {
		for _, t := range page.Tags {
			if aws.ToString(t.Key) == keys.PendingTag {
				marker = &keys.Pending{Before: strings.Fields(aws.ToString(t.Value))}
			}
		}
	}); err != nil {
		return nil, nil, k.wrap("list tags of "+user, err)
	}
	return live, marker, nil
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
// through, in the writer's session: IAM for the keys and the pending mark,
// Secrets Manager for delivery.
func (w *Writer) AccessKeyPort(_ context.Context, a plan.AccessKey) (keys.Port, error) {
	if a.DeliverTo != string(keys.SecretsManager) {
		return nil, &EnvError{Env: w.env, Err: fmt.Errorf("access key of %s: deliver_to %s is not supported by this writer yet", a.ServiceAccount, a.DeliverTo)}
	}
	deliver := SecretsManagerDelivery(NewSecrets(w.acct), a.SecretName, a.OwnershipTag)
	return NewAccessKeys(w.acct).Port(a.ServiceAccount, deliver), nil
}
