package awsiam

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/plan"
)

// Compile-time check that Writer is apply's port to IAM.
var _ apply.Writer = (*Writer)(nil)

// IAM error codes the writer treats as "the goal is already reached" where
// the operation allows it.
const (
	codeNoSuchEntity        = "NoSuchEntity"
	codeEntityAlreadyExists = "EntityAlreadyExists"
)

// WritePermissions are the IAM actions the writer calls: what an apply role
// needs besides ReadPermissions (and a trust policy that lets roster assume
// it). GetAccountPasswordPolicy and UpdateLoginProfile serve console
// passwords: the policy decides what a generated password looks like, and
// the update resets a password whose creation answer was lost.
var WritePermissions = []string{
	"iam:AddUserToGroup",
	"iam:AttachGroupPolicy",
	"iam:AttachUserPolicy",
	"iam:CreateGroup",
	"iam:CreateLoginProfile",
	"iam:CreateUser",
	"iam:DeactivateMFADevice",
	"iam:DeleteAccessKey",
	"iam:DeleteGroup",
	"iam:DeleteGroupPolicy",
	"iam:DeleteLoginProfile",
	"iam:DeleteSSHPublicKey",
	"iam:DeleteServiceSpecificCredential",
	"iam:DeleteSigningCertificate",
	"iam:DeleteUser",
	"iam:DeleteUserPermissionsBoundary",
	"iam:DeleteUserPolicy",
	"iam:DeleteVirtualMFADevice",
	"iam:DetachGroupPolicy",
	"iam:DetachUserPolicy",
	"iam:GetAccountPasswordPolicy",
	"iam:PutGroupPolicy",
	"iam:PutUserPermissionsBoundary",
	"iam:PutUserPolicy",
	"iam:RemoveUserFromGroup",
	"iam:TagUser",
	"iam:UntagUser",
	"iam:UpdateGroup",
	"iam:UpdateLoginProfile",
	"iam:UpdateUser",
}

// WriterOptions tunes a Writer. The zero value is what the product uses.
type WriterOptions struct {
	// Rand is the source of randomness for console passwords; nil means
	// crypto/rand. Tests may pass a deterministic reader.
	Rand io.Reader
	// Logger receives one line per write that found its goal already
	// reached; nil discards them. Passwords never reach it.
	Logger *slog.Logger
	// Pacer paces the account's writes; nil means a new one (NewPacer
	// with the real clock). Writers of the same account may share one.
	Pacer *Pacer
	// Propagation is how long and on which clock the writer waits for a
	// user or group it created to become visible (see retry.go).
	Propagation Propagation
}

// Writer carries out plan operations in one account, one IAM call per
// operation, so that the plan's operations are the account's write calls.
// It is safe for concurrent use.
type Writer struct {
	acct *Account
	env  string
	role string
	iam  *iam.Client
	rand io.Reader
	log  *slog.Logger

	// The account password policy, read once before the first console
	// password is generated.
	policyMu sync.Mutex
	policy   *passwordPolicy

	// The users and groups this writer created ("user/<name>",
	// "group/<name>", lower case), whose NoSuchEntity answers it waits
	// out, and how many calls it repeated for them.
	propagation Propagation
	createdMu   sync.Mutex
	created     map[string]bool
	waited      atomic.Int64
}

// NewWriter returns a writer acting through the account's session (the
// apply role). On LoadConfig's configuration it writes with the write
// retryer: every attempt paced by the account's Pacer, retried by the SDK's
// standard mode (see retry.go).
func NewWriter(a *Account, opts WriterOptions) *Writer {
	w := &Writer{acct: a, env: a.Env, role: a.Role, rand: opts.Rand, log: opts.Logger,
		propagation: opts.Propagation.withDefaults(), created: map[string]bool{}}
	pacer := opts.Pacer
	if pacer == nil {
		pacer = NewPacer(nil, nil)
	}
	w.iam = a.iam
	if r := writeRetryerFor(a.cfg, pacer); r != nil {
		w.iam = iam.NewFromConfig(a.cfg, func(o *iam.Options) { o.Retryer = r })
	}
	if w.iam == nil {
		w.iam = iam.NewFromConfig(a.cfg)
	}
	if w.rand == nil {
		w.rand = rand.Reader
	}
	if w.log == nil {
		w.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return w
}

// Write performs op with exactly one IAM call (CreateLoginProfile may add
// the account's first GetAccountPasswordPolicy, and an UpdateLoginProfile
// when an earlier attempt left a profile behind). "Already exists" and "not
// found" answers count as success, with Outcome.AlreadyDone, exactly where
// they mean the operation's goal is reached; every other error is returned
// wrapped with the operation, keeping the SDK error for errors.As.
//
// An operation on a user or group this writer created is repeated while IAM
// answers NoSuchEntity, with waits doubling from 250 ms to 2 s, for at most
// Propagation.Timeout (two minutes): IAM is eventually consistent. No other
// operation is repeated for NoSuchEntity.
func (w *Writer) Write(ctx context.Context, op plan.Op) (apply.Outcome, error) {
	out, err := w.callVisible(ctx, op)
	if err == nil {
		w.noteCreated(op)
		return out, nil
	}
	if goalReached(op.Type, err) {
		w.noteCreated(op)
		w.log.Debug("already done", "env", w.env, "op", describe(op), "code", errorCode(err))
		return apply.Outcome{AlreadyDone: true}, nil
	}
	return apply.Outcome{}, w.fail(op, err)
}

// PropagationRetries is the number of calls the writer repeated because an
// entity it created was not visible yet.
func (w *Writer) PropagationRetries() int { return int(w.waited.Load()) }

// callVisible makes the operation's call and, while IAM answers
// NoSuchEntity for a user or group this writer created, waits and repeats
// it, within the propagation bound.
func (w *Writer) callVisible(ctx context.Context, op plan.Op) (apply.Outcome, error) {
	out, err := w.call(ctx, op)
	p := w.propagation
	if err == nil || p.Timeout < 0 || errorCode(err) != codeNoSuchEntity || !w.dependsOnCreated(op) {
		return out, err
	}
	deadline := p.Now().Add(p.Timeout)
	for wait := propagationFirstWait; errorCode(err) == codeNoSuchEntity; wait = min(2*wait, propagationMaxWait) {
		if p.Now().Add(wait).After(deadline) {
			return out, fmt.Errorf("still not found after waiting %s for IAM to propagate a new entity: %w", p.Timeout, err)
		}
		// The wait gives back apply's concurrency slot: other changes run
		// meanwhile.
		if serr := apply.Pause(ctx, func() error { return p.Sleep(ctx, wait) }); serr != nil {
			return out, err
		}
		w.waited.Add(1)
		w.log.Debug("not visible yet; retrying", "env", w.env, "op", describe(op), "waited", wait)
		out, err = w.call(ctx, op)
	}
	return out, err
}

// noteCreated remembers the user or group a create made (or found made by
// an earlier attempt whose answer was lost), and forgets one a delete
// removed.
func (w *Writer) noteCreated(op plan.Op) {
	var k string
	switch op.Type {
	case plan.OpCreateUser, plan.OpDeleteUser:
		k = "user/" + strings.ToLower(op.User)
	case plan.OpCreateGroup, plan.OpDeleteGroup:
		k = "group/" + strings.ToLower(op.Group)
	default:
		return
	}
	w.createdMu.Lock()
	defer w.createdMu.Unlock()
	if op.Type == plan.OpDeleteUser || op.Type == plan.OpDeleteGroup {
		delete(w.created, k)
		return
	}
	w.created[k] = true
}

// dependsOnCreated reports whether op names a user or group this writer
// created and needs it to exist.
func (w *Writer) dependsOnCreated(op plan.Op) bool {
	if !dependsOnNew(op.Type) {
		return false
	}
	w.createdMu.Lock()
	defer w.createdMu.Unlock()
	return (op.User != "" && w.created["user/"+strings.ToLower(op.User)]) ||
		(op.Group != "" && w.created["group/"+strings.ToLower(op.Group)])
}

// call makes the operation's IAM call.
func (w *Writer) call(ctx context.Context, op plan.Op) (apply.Outcome, error) {
	c := w.iam
	var err error
	switch op.Type {
	case plan.OpCreateUser:
		_, err = c.CreateUser(ctx, &iam.CreateUserInput{
			UserName:            aws.String(op.User),
			Path:                optional(op.Path),
			PermissionsBoundary: optional(op.PolicyARN),
			Tags:                sdkTags(op.Tags),
		})
	case plan.OpUpdateUser:
		_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String(op.User), NewPath: optional(op.Path)})
	case plan.OpDeleteUser:
		_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(op.User)})
	case plan.OpTagUser:
		_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(op.User), Tags: sdkTags(op.Tags)})
	case plan.OpUntagUser:
		_, err = c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(op.User), TagKeys: slices.Sorted(slices.Values(op.TagKeys))})
	case plan.OpAddUserToGroup:
		_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(op.User), GroupName: aws.String(op.Group)})
	case plan.OpRemoveUserFromGroup:
		_, err = c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String(op.User), GroupName: aws.String(op.Group)})
	case plan.OpAttachUserPolicy:
		_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(op.User), PolicyArn: aws.String(op.PolicyARN)})
	case plan.OpDetachUserPolicy:
		_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(op.User), PolicyArn: aws.String(op.PolicyARN)})
	case plan.OpPutUserPolicy:
		_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{
			UserName: aws.String(op.User), PolicyName: aws.String(op.PolicyName), PolicyDocument: aws.String(op.PolicyDocument),
		})
	case plan.OpDeleteUserPolicy:
		_, err = c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(op.User), PolicyName: aws.String(op.PolicyName)})
	case plan.OpPutUserPermissionsBoundary:
		_, err = c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{
			UserName: aws.String(op.User), PermissionsBoundary: aws.String(op.PolicyARN),
		})
	case plan.OpDeleteUserPermissionsBoundary:
		_, err = c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String(op.User)})
	case plan.OpCreateLoginProfile:
		return w.createLoginProfile(ctx, op)
	case plan.OpUpdateLoginProfile:
		return w.resetLoginProfile(ctx, op)
	case plan.OpDeleteLoginProfile:
		_, err = c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String(op.User)})
	case plan.OpDeleteAccessKey:
		_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(op.User), AccessKeyId: aws.String(op.ID)})
	case plan.OpDeactivateMFADevice:
		_, err = c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String(op.User), SerialNumber: aws.String(op.ID)})
	case plan.OpDeleteVirtualMFADevice:
		_, err = c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(op.ID)})
	case plan.OpDeleteSSHPublicKey:
		_, err = c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: aws.String(op.User), SSHPublicKeyId: aws.String(op.ID)})
	case plan.OpDeleteSigningCertificate:
		_, err = c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: aws.String(op.User), CertificateId: aws.String(op.ID)})
	case plan.OpDeleteServiceSpecificCredential:
		_, err = c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{
			UserName: aws.String(op.User), ServiceSpecificCredentialId: aws.String(op.ID),
		})
	case plan.OpCreateGroup:
		_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(op.Group), Path: optional(op.Path)})
	case plan.OpUpdateGroup:
		_, err = c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String(op.Group), NewPath: optional(op.Path)})
	case plan.OpDeleteGroup:
		_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String(op.Group)})
	case plan.OpAttachGroupPolicy:
		_, err = c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(op.Group), PolicyArn: aws.String(op.PolicyARN)})
	case plan.OpDetachGroupPolicy:
		_, err = c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String(op.Group), PolicyArn: aws.String(op.PolicyARN)})
	case plan.OpPutGroupPolicy:
		_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{
			GroupName: aws.String(op.Group), PolicyName: aws.String(op.PolicyName), PolicyDocument: aws.String(op.PolicyDocument),
		})
	case plan.OpDeleteGroupPolicy:
		_, err = c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String(op.Group), PolicyName: aws.String(op.PolicyName)})
	default:
		return apply.Outcome{}, fmt.Errorf("unknown operation type %q", op.Type)
	}
	return apply.Outcome{}, err
}

// goalReached reports whether err, answered to an operation of type t,
// means that the operation's goal is already reached: the entity a create
// makes exists, or the thing a delete, detach, remove, deactivate or untag
// takes away is gone. "Not found" for anything else (tagging a missing
// user, attaching a missing policy) is a real failure.
func goalReached(t plan.OpType, err error) bool {
	switch errorCode(err) {
	case codeEntityAlreadyExists:
		return t == plan.OpCreateUser || t == plan.OpCreateGroup
	case codeNoSuchEntity:
		return removes(t)
	}
	return false
}

// removes reports whether an operation type takes something away, so that
// "not found" means it is done.
func removes(t plan.OpType) bool {
	switch t {
	case plan.OpDeleteUser, plan.OpUntagUser, plan.OpRemoveUserFromGroup, plan.OpDetachUserPolicy,
		plan.OpDeleteUserPolicy, plan.OpDeleteUserPermissionsBoundary, plan.OpDeleteLoginProfile,
		plan.OpDeleteAccessKey, plan.OpDeactivateMFADevice, plan.OpDeleteVirtualMFADevice,
		plan.OpDeleteSSHPublicKey, plan.OpDeleteSigningCertificate, plan.OpDeleteServiceSpecificCredential,
		plan.OpDeleteGroup, plan.OpDetachGroupPolicy, plan.OpDeleteGroupPolicy:
		return true
	case plan.OpCreateUser, plan.OpUpdateUser, plan.OpTagUser, plan.OpAddUserToGroup, plan.OpAttachUserPolicy,
		plan.OpPutUserPolicy, plan.OpPutUserPermissionsBoundary, plan.OpCreateLoginProfile, plan.OpUpdateLoginProfile,
		plan.OpCreateGroup, plan.OpUpdateGroup, plan.OpAttachGroupPolicy, plan.OpPutGroupPolicy:
		return false
	}
	return false
}

// dependsOnNew reports whether op names an entity that must exist, as
// opposed to creating one or taking something away (where NoSuchEntity
// means done), so that NoSuchEntity may only mean "not visible yet" when
// that entity is new.
func dependsOnNew(t plan.OpType) bool {
	switch t {
	case plan.OpUpdateUser, plan.OpTagUser, plan.OpAddUserToGroup, plan.OpAttachUserPolicy,
		plan.OpPutUserPolicy, plan.OpPutUserPermissionsBoundary, plan.OpCreateLoginProfile,
		plan.OpUpdateGroup, plan.OpAttachGroupPolicy, plan.OpPutGroupPolicy:
		return true
	default:
		return false
	}
}

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// fail wraps err with the operation. A refused call becomes an
// AccessDeniedError naming the missing permission, missing or rejected
// credentials and unreachable endpoints get their typed errors; anything
// else keeps the SDK error as it is. All of them unwrap to the SDK error.
func (w *Writer) fail(op plan.Op, err error) error {
	var ee *EnvError
	if c := classify(w.env, w.role, err); !errors.As(c, &ee) {
		err = c
	}
	return fmt.Errorf("%s: %w", describe(op), err)
}

// describe names an operation for errors and logs: its type, the user or
// group, and what it acts on. Policy documents, tag values and PGP keys are
// left out (long, and not needed to find the operation in the plan).
func describe(op plan.Op) string {
	parts := []string{string(op.Type)}
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	add(op.User)
	add(op.Group)
	add(op.PolicyARN)
	add(op.PolicyName)
	add(op.ID)
	if op.Type == plan.OpUpdateUser || op.Type == plan.OpUpdateGroup {
		add(op.Path)
	}
	if len(op.Tags) > 0 {
		add(strings.Join(slices.Sorted(maps.Keys(op.Tags)), ","))
	}
	if len(op.TagKeys) > 0 {
		add(strings.Join(op.TagKeys, ","))
	}
	return strings.Join(parts, " ")
}

// sdkTags converts tags to the SDK's form, sorted by key so that requests
// are deterministic.
func sdkTags(tags map[string]string) []types.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]types.Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	return out
}

// optional is nil for "", so that IAM applies its default.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
