package plan

import (
	"slices"

	"github.com/roster-dev/roster/internal/state"
)

// Action is what a change does to a resource.
type Action string

// Actions. Before and After of a Change depend on the action:
//
//	Create: Before is nil, After is the desired resource.
//	Update: Before is the live resource, After the desired one.
//	Delete: Before is the live resource, After is nil.
//	Adopt:  Before is the live, untagged resource; After the desired one.
//	        An adopted user is tagged first, then updated in the same change.
const (
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
	Adopt  Action = "adopt"
)

// Destructive reports whether the action removes something from the account.
func (a Action) Destructive() bool { return a == Delete }

// Kind is the kind of resource a change is about.
type Kind string

// Resource kinds.
const (
	KindUser           Kind = "user"
	KindServiceAccount Kind = "service_account"
	KindGroup          Kind = "group"
	// KindAccount is an AWS account: the subject of drift's organization
	// findings, never of a plan change.
	KindAccount Kind = "account"
)

// kindWords are each manifest kind's words: its noun in a sentence and the
// manifest list its entries are declared under.
var kindWords = map[Kind]struct{ noun, list string }{
	KindUser:           {"user", "users"},
	KindServiceAccount: {"service account", "service_accounts"},
	KindGroup:          {"group", "groups"},
}

// Noun names the kind in a sentence: "user", "service account", "group".
func (k Kind) Noun() string {
	if w, ok := kindWords[k]; ok {
		return w.noun
	}
	return string(k)
}

// List names the manifest list an entry of the kind is declared under:
// "users", "service_accounts", "groups"; "" for an account.
func (k Kind) List() string { return kindWords[k].list }

// Resource is a snapshot of a user, service account or group, before or
// after a change. Only the fields that roster manages are present; slices are
// sorted. Inline policy documents are canonical JSON.
type Resource struct {
	Path string `json:"path,omitempty"`
	// Access of a group has no Groups, PermissionsBoundary or Tags (IAM
	// groups have none).
	state.Access
	Console bool `json:"console,omitempty"`
	// Members is set for groups only.
	Members []string `json:"members,omitempty"`
}

// Change is one resource's change, with the IAM operations that carry it out
// in order.
type Change struct {
	Action Action    `json:"action"`
	Kind   Kind      `json:"kind"`
	Name   string    `json:"name"`
	Before *Resource `json:"before,omitempty"`
	After  *Resource `json:"after,omitempty"`
	// Reason explains why, when it is not obvious (for example "expired on
	// 2026-03-31" or "removed from the manifests").
	Reason string `json:"reason,omitempty"`
	// Ops are the IAM calls that carry the change out, in an order IAM
	// accepts (teardown before DeleteUser, group creation before
	// membership).
	Ops []Op `json:"ops"`
	// Phase is the step of the apply the change runs in (see Order);
	// changes of one phase may run at once.
	Phase Phase `json:"-"`
	// DependsOn are the indexes, in the environment's Changes, of the
	// changes of earlier phases that must complete before this one runs;
	// if one of them does not, apply skips this change (see Order).
	//
	// Phase and DependsOn follow from the changes' actions, kinds and
	// operations, which the digest covers, so they are not part of it
	// (json:"-" keeps them out of the digest's JSON).
	DependsOn []int `json:"-"`
	// Expired is set on the Delete of a user or service account whose
	// expires has passed, and EndedGroups lists the memberships an Update
	// removes because their expires has passed (in the order of Ops).
	// Reason says both in words; ExpiryOnly keeps exactly these. They
	// follow from the manifests the digest's changes came from, so they
	// are not part of it.
	Expired     bool     `json:"-"`
	EndedGroups []string `json:"-"`
}

// OpType is named after the IAM API action the operation calls, so the
// number of operations is the number of write calls apply makes.
type OpType string

// Operation types.
const (
	OpCreateUser                      OpType = "CreateUser"
	OpUpdateUser                      OpType = "UpdateUser" // path change
	OpDeleteUser                      OpType = "DeleteUser"
	OpTagUser                         OpType = "TagUser"
	OpUntagUser                       OpType = "UntagUser"
	OpAddUserToGroup                  OpType = "AddUserToGroup"
	OpRemoveUserFromGroup             OpType = "RemoveUserFromGroup"
	OpAttachUserPolicy                OpType = "AttachUserPolicy"
	OpDetachUserPolicy                OpType = "DetachUserPolicy"
	OpPutUserPolicy                   OpType = "PutUserPolicy"
	OpDeleteUserPolicy                OpType = "DeleteUserPolicy"
	OpPutUserPermissionsBoundary      OpType = "PutUserPermissionsBoundary"
	OpDeleteUserPermissionsBoundary   OpType = "DeleteUserPermissionsBoundary"
	OpCreateLoginProfile              OpType = "CreateLoginProfile"
	OpUpdateLoginProfile              OpType = "UpdateLoginProfile" // reset an undelivered password
	OpDeleteLoginProfile              OpType = "DeleteLoginProfile"
	OpDeleteAccessKey                 OpType = "DeleteAccessKey"
	OpDeactivateMFADevice             OpType = "DeactivateMFADevice"
	OpDeleteVirtualMFADevice          OpType = "DeleteVirtualMFADevice"
	OpDeleteSSHPublicKey              OpType = "DeleteSSHPublicKey"
	OpDeleteSigningCertificate        OpType = "DeleteSigningCertificate"
	OpDeleteServiceSpecificCredential OpType = "DeleteServiceSpecificCredential"
	OpCreateGroup                     OpType = "CreateGroup"
	OpUpdateGroup                     OpType = "UpdateGroup" // path change
	OpDeleteGroup                     OpType = "DeleteGroup"
	OpAttachGroupPolicy               OpType = "AttachGroupPolicy"
	OpDetachGroupPolicy               OpType = "DetachGroupPolicy"
	OpPutGroupPolicy                  OpType = "PutGroupPolicy"
	OpDeleteGroupPolicy               OpType = "DeleteGroupPolicy"
)

// OpTypes are all the operation types, in the order above, for whatever
// must cover every one (the plan JSON documentation, the write permissions
// apply needs).
var OpTypes = []OpType{
	OpCreateUser, OpUpdateUser, OpDeleteUser, OpTagUser, OpUntagUser,
	OpAddUserToGroup, OpRemoveUserFromGroup, OpAttachUserPolicy, OpDetachUserPolicy,
	OpPutUserPolicy, OpDeleteUserPolicy, OpPutUserPermissionsBoundary, OpDeleteUserPermissionsBoundary,
	OpCreateLoginProfile, OpUpdateLoginProfile, OpDeleteLoginProfile,
	OpDeleteAccessKey, OpDeactivateMFADevice, OpDeleteVirtualMFADevice, OpDeleteSSHPublicKey,
	OpDeleteSigningCertificate, OpDeleteServiceSpecificCredential,
	OpCreateGroup, OpUpdateGroup, OpDeleteGroup, OpAttachGroupPolicy, OpDetachGroupPolicy,
	OpPutGroupPolicy, OpDeleteGroupPolicy,
}

// Op is one IAM write call. Only the fields its Type needs are set.
type Op struct {
	Type  OpType `json:"type"`
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
	Path  string `json:"path,omitempty"`
	// PolicyARN for attach, detach and permissions boundaries.
	PolicyARN string `json:"policy_arn,omitempty"`
	// PolicyName and PolicyDocument (canonical JSON) for inline policies.
	PolicyName     string `json:"policy_name,omitempty"`
	PolicyDocument string `json:"policy_document,omitempty"`
	// Tags for TagUser; TagKeys for UntagUser.
	Tags    map[string]string `json:"tags,omitempty"`
	TagKeys []string          `json:"tag_keys,omitempty"`
	// ID is the access key ID, MFA serial number, SSH key ID, certificate ID
	// or service-specific credential ID the operation removes.
	ID string `json:"id,omitempty"`
	// PGPKey is the public key CreateLoginProfile encrypts the initial
	// password to. It is public, but long; renderers show its fingerprint.
	PGPKey string `json:"pgp_key,omitempty"`
	// PGPKeyFingerprint stands in for PGPKey in plans read back from their
	// JSON form, which carries only the fingerprint.
	PGPKeyFingerprint string `json:"pgp_key_fingerprint,omitempty"`
}

// Unmanaged is a live user roster reports and never changes: one without
// the ownership tag that no manifest names (Environment.Unmanaged), or one
// with the tag that no manifest names (Environment.Undeclared).
type Unmanaged struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

// Environment is the plan for one environment (one AWS account).
type Environment struct {
	Name       string `json:"name"`
	AccountID  string `json:"account_id"`
	Production bool   `json:"production,omitempty"`
	// Changes in apply order, each with its Phase and DependsOn (Order).
	Changes   []Change    `json:"changes"`
	Unmanaged []Unmanaged `json:"unmanaged,omitempty"`
	// Undeclared are live users that carry the ownership tag but that no
	// manifest names. roster never changes or deletes them: a tag is no
	// proof that roster made the user, and deleting needs a tombstone
	// (absent: true) or a passed expires date in the repository.
	Undeclared []Unmanaged `json:"undeclared,omitempty"`
	// Refused is set when a guardrail refuses the whole plan (for example
	// more deletions than max_deletions); apply does nothing then.
	Refused string `json:"refused,omitempty"`
	// Warnings are guardrail findings that do not refuse the plan (for
	// example a console user without MFA enforcement); reviewers see them.
	Warnings []string `json:"warnings,omitempty"`
	// TimeBound lists every time-bound grant the manifests keep in the
	// account after this plan, with its end, so reviewers see until when
	// access lasts.
	TimeBound []Grant `json:"time_bound,omitempty"`
	// EndChanges are the grants whose end the change moves, compared with
	// the base branch (CompareBase); set only for a pull request's plan.
	// Not part of the digest: they change nothing in the account.
	EndChanges []EndChange `json:"end_changes,omitempty"`
	// Digest identifies the changes (sha256 of their canonical JSON), so
	// apply can prove it runs what was reviewed.
	Digest string `json:"digest"`
	// AccessKeys are the access key steps of service accounts with an
	// access_key block that have something to do or to show, by name. They
	// run after the changes, and are not part of the digest (see AccessKey).
	AccessKeys []AccessKey `json:"access_keys,omitempty"`
}

// Counts tallies changes by action, and the access key steps that run
// after them.
type Counts struct {
	Create, Update, Delete, Adopt int
	// KeySteps are the access key steps of every service account (mark
	// pending, create, deliver, clear pending, deactivate, delete).
	KeySteps int
}

// Counts tallies the environment's changes by action and its access key
// steps.
func (e *Environment) Counts() Counts {
	var c Counts
	c.add(e)
	return c
}

// Counts tallies the changes and access key steps of every environment.
func (p *Plan) Counts() Counts {
	var c Counts
	for _, e := range p.Environments {
		if e != nil {
			c.add(e)
		}
	}
	return c
}

func (c *Counts) add(e *Environment) {
	for _, a := range e.AccessKeys {
		c.KeySteps += len(a.Steps)
	}
	for _, ch := range e.Changes {
		switch ch.Action {
		case Create:
			c.Create++
		case Update:
			c.Update++
		case Delete:
			c.Delete++
		case Adopt:
			c.Adopt++
		}
	}
}

// HasChanges reports whether applying the environment would change anything:
// a change, or an access key step.
func (e *Environment) HasChanges() bool {
	return len(e.Changes) > 0 || slices.ContainsFunc(e.AccessKeys, func(a AccessKey) bool { return a.HasSteps() })
}

// Plan is the plan for every environment in promotion order.
type Plan struct {
	Environments []*Environment `json:"environments"`
	// BaseUnavailable says why a pull request's plan could not compare the
	// ends of time-bound grants with the base branch; reviewers then read
	// extensions in the diff.
	BaseUnavailable string `json:"base_unavailable,omitempty"`
}

// HasChanges reports whether any environment has changes.
func (p *Plan) HasChanges() bool {
	for _, e := range p.Environments {
		if e.HasChanges() {
			return true
		}
	}
	return false
}
