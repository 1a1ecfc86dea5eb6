package keys

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Destination is where a new key's secret goes: the only place it ever goes.
type Destination string

// Destinations of access_key.deliver_to.
const (
	SecretsManager Destination = "secretsmanager"
	PGP            Destination = "pgp"
)

// Defaults for a spec that leaves the schedule out and an environment
// without max_access_key_age_days.
const (
	DefaultRotateAfterDays = 90
	DefaultOverlapDays     = 7
)

// PendingTag is the user tag roster writes before CreateAccessKey and removes
// once the new key is delivered; its value lists the IDs of the keys that
// existed before (space-separated), so a key outside that list that the
// destination does not hold is one roster created but never delivered.
const PendingTag = "roster:access-key-pending"

// DeliveredTag is the user tag that records, for deliver_to: pgp, which key
// the last apply report carried and which it carried before: "CURRENT" or
// "CURRENT PREVIOUS". (A Secrets Manager secret records this itself, in its
// version IDs.) It is written in the same call that completes a delivery.
const DeliveredTag = "roster:access-key-delivered"

// LifecycleTag reports whether a user tag key is one the lifecycle writes
// (PendingTag, DeliveredTag): the plan's tag diff leaves those alone.
func LifecycleTag(key string) bool { return key == PendingTag || key == DeliveredTag }

// ParseDelivered reads DeliveredTag's value.
func ParseDelivered(v string) Delivered {
	f := strings.Fields(v)
	var d Delivered
	if len(f) > 0 {
		d.Current = f[0]
	}
	if len(f) > 1 {
		d.Previous = f[1]
	}
	return d
}

// Record is DeliveredTag's value once key is delivered after d.
func (d Delivered) Record(key string) string {
	if d.Current == "" || d.Current == key {
		return key
	}
	return key + " " + d.Current
}

// Spec is a service account's access_key block.
type Spec struct {
	DeliverTo Destination
	// SecretName names the Secrets Manager secret (secretsmanager).
	SecretName string
	// PGPKey encrypts the secret in the apply report (pgp).
	PGPKey string
	// RotateAfterDays and OverlapDays are zero when the manifest leaves them
	// out.
	RotateAfterDays int
	OverlapDays     int
}

// Policy is the schedule one service account's keys follow, in whole days.
type Policy struct {
	// RotateAfterDays is the age of the delivered key at which a second key
	// is created and delivered.
	RotateAfterDays int
	// OverlapDays is how long the previous key stays active after the new
	// one was created; it is deactivated then, and deleted a day later.
	OverlapDays int
}

// SecretNamePrefix starts every secret_name: roles are granted Secrets
// Manager actions on secret:roster/* only.
const SecretNamePrefix = "roster/"

// secretNamePattern and maxSecretName are Secrets Manager's rule for secret
// names. The length is checked apart: a counted repetition {1,512} compiles
// to 512 copies of the class, which every run of the binary paid for at
// start. The class is ASCII, so bytes and characters count alike.
var secretNamePattern = regexp.MustCompile(`^[a-zA-Z0-9/_+=.@-]+$`)

const maxSecretName = 512

// FieldError is a problem of one field of an access_key block, so the
// loader can point at the field's line.
type FieldError struct {
	// Field is the access_key field at fault ("deliver_to", "secret_name",
	// "pgp_key", "rotate_after_days" or "overlap_days").
	Field string
	Err   error
}

// Error says what is wrong and what to do.
func (e *FieldError) Error() string { return e.Err.Error() }

// Unwrap returns the problem.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field string, err error) error { return &FieldError{Field: field, Err: err} }

// Validate lists every problem of an access_key block, each a *FieldError
// naming the field and saying what to do; envMaxAgeDays is the
// environment's max_access_key_age_days (0 when unset). pgp_key is parsed
// by the loader.
func (s Spec) Validate(envMaxAgeDays int) []error {
	var errs []error
	switch s.DeliverTo {
	case SecretsManager:
		switch {
		case s.SecretName == "":
			errs = append(errs, fieldErr("secret_name", errors.New("deliver_to: secretsmanager needs secret_name, the secret under roster/ that receives the key")))
		case !strings.HasPrefix(s.SecretName, SecretNamePrefix) || len(s.SecretName) == len(SecretNamePrefix):
			errs = append(errs, fieldErr("secret_name", fmt.Errorf("secret_name %q must start with %q: roster's roles may only write secrets there", s.SecretName, SecretNamePrefix)))
		case len(s.SecretName) > maxSecretName || !secretNamePattern.MatchString(s.SecretName):
			errs = append(errs, fieldErr("secret_name", fmt.Errorf("secret_name %q may only hold letters, digits and /_+=.@- (at most 512)", s.SecretName)))
		}
		if s.PGPKey != "" {
			errs = append(errs, fieldErr("pgp_key", errors.New("pgp_key is only for deliver_to: pgp; remove it")))
		}
	case PGP:
		if s.PGPKey == "" {
			errs = append(errs, fieldErr("deliver_to", errors.New("deliver_to: pgp needs pgp_key, the public key the secret is encrypted to")))
		}
		if s.SecretName != "" {
			errs = append(errs, fieldErr("secret_name", errors.New("secret_name is only for deliver_to: secretsmanager; remove it")))
		}
	default:
		errs = append(errs, fieldErr("deliver_to", fmt.Errorf("deliver_to %q: use secretsmanager or pgp", s.DeliverTo)))
	}
	switch {
	case s.RotateAfterDays < 0:
		errs = append(errs, fieldErr("rotate_after_days", errors.New("rotate_after_days and overlap_days count days: they cannot be negative")))
	case s.OverlapDays < 0:
		errs = append(errs, fieldErr("overlap_days", errors.New("rotate_after_days and overlap_days count days: they cannot be negative")))
	default:
		if err := s.Policy(envMaxAgeDays).Validate(); err != nil {
			field := "rotate_after_days"
			if s.RotateAfterDays == 0 && s.OverlapDays != 0 {
				field = "overlap_days"
			}
			errs = append(errs, fieldErr(field, err))
		}
	}
	return errs
}

// Policy resolves the spec's schedule: rotate_after_days defaults to the
// environment's max_access_key_age_days (envMaxAgeDays, 0 when unset), then
// to DefaultRotateAfterDays; overlap_days to DefaultOverlapDays.
func (s Spec) Policy(envMaxAgeDays int) Policy {
	p := Policy{RotateAfterDays: s.RotateAfterDays, OverlapDays: s.OverlapDays}
	if p.RotateAfterDays == 0 {
		p.RotateAfterDays = envMaxAgeDays
	}
	if p.RotateAfterDays == 0 {
		p.RotateAfterDays = DefaultRotateAfterDays
	}
	if p.OverlapDays == 0 {
		p.OverlapDays = DefaultOverlapDays
	}
	return p
}

// Validate says what is wrong with a schedule. The old key must be gone
// (deactivated after OverlapDays, deleted a day later) before the next
// rotation is due, or a third key would be needed.
func (p Policy) Validate() error {
	switch {
	case p.OverlapDays < 1:
		return fmt.Errorf("overlap_days is %d: it must be at least 1, so that consumers have time to pick up a new key", p.OverlapDays)
	case p.RotateAfterDays <= p.OverlapDays+1:
		return fmt.Errorf("rotate_after_days (%d) must be more than overlap_days + 1 (%d): the old key is deleted a day after the overlap, before the next rotation", p.RotateAfterDays, p.OverlapDays+1)
	}
	return nil
}

// Status is an access key's IAM status.
type Status string

// IAM's access key statuses.
const (
	Active   Status = "Active"
	Inactive Status = "Inactive"
)

// Key is one live access key of the user.
type Key struct {
	ID      string
	Status  Status
	Created time.Time
}

// Delivered is what the destination says it holds: the key ID of its
// current value and of the value before (empty when none or not one roster
// wrote).
type Delivered struct {
	Current  string
	Previous string
}

// Pending is the pending marker found on the user ([PendingTag]).
type Pending struct {
	// Before are the keys that existed when the marker was written.
	Before []string
}

// Input is everything Evaluate reads.
type Input struct {
	Policy    Policy
	Keys      []Key
	Delivered Delivered
	// Pending is nil when the user carries no pending marker.
	Pending *Pending
	Now     time.Time
}

// Action is one kind of step.
type Action int

// Steps, in the order a rotation runs them.
const (
	// MarkPending writes PendingTag with Step.Before.
	MarkPending Action = iota + 1
	// Create calls CreateAccessKey; the secret stays in memory for Deliver.
	Create
	// Deliver puts the created key's ID and secret in the destination. When
	// it fails, run [OnDeliveryFailure]'s steps instead of the rest.
	Deliver
	// ClearPending removes PendingTag.
	ClearPending
	// Deactivate sets Step.KeyID Inactive.
	Deactivate
	// Delete deletes Step.KeyID.
	Delete
	// Activate sets Step.KeyID Active again: the key roster deactivated
	// when it could not tell whether its delivery succeeded, and that the
	// destination turned out to hold.
	Activate
)

// String names the action for reasons and plans.
func (a Action) String() string {
	switch a {
	case MarkPending:
		return "mark pending"
	case Create:
		return "create"
	case Deliver:
		return "deliver"
	case ClearPending:
		return "clear pending"
	case Deactivate:
		return "deactivate"
	case Delete:
		return "delete"
	case Activate:
		return "activate"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// CreatedKey is the KeyID of steps about the key this run's Create made,
// whose ID is unknown when the steps are decided.
const CreatedKey = ""

// Step is one thing to do now, and why.
type Step struct {
	Action Action
	// KeyID is the key acted on; CreatedKey for the key created in this run.
	KeyID string
	// Before lists the existing keys, for MarkPending.
	Before []string
	Reason string
}

// FindingKind classifies a finding.
type FindingKind int

// Findings.
const (
	// HandMade is a key that neither the destination holds nor roster
	// rotated out: it is reported, never changed.
	HandMade FindingKind = iota + 1
	// Blocked is a step roster needs but cannot take without a third key.
	Blocked
)

// Finding is something a person must look at.
type Finding struct {
	Kind   FindingKind
	KeyID  string
	Detail string
}

// Decision is Evaluate's answer.
type Decision struct {
	Steps    []Step
	Findings []Finding
}

// OnDeliveryFailure are the steps that replace the rest of a rotation when
// Deliver fails: the undelivered key is deleted in the same run, so no
// active key exists whose secret nobody received.
func OnDeliveryFailure() []Step {
	return []Step{
		{Action: Delete, KeyID: CreatedKey, Reason: "its delivery failed: an undelivered key must not stay active"},
		{Action: ClearPending, Reason: "the created key is gone again"},
	}
}

// OnDeliveryUnknown are the steps that replace the rest of a rotation when
// nobody can tell whether Deliver succeeded ([ErrDeliveryUnknown]): the new
// key is deactivated, so it is not active while perhaps undelivered, nor
// deleted while perhaps the destination's current value. The pending mark
// stays: the next run deletes the key if the destination does not hold it,
// and activates it again if it does.
func OnDeliveryUnknown() []Step {
	return []Step{
		{Action: Deactivate, KeyID: CreatedKey, Reason: "nobody can tell whether its delivery succeeded: a key that may be undelivered must not stay active, and one the destination may hold must not be deleted"},
	}
}

// ageDays is the whole days from t to now.
func ageDays(t, now time.Time) int {
	if now.Before(t) {
		return 0
	}
	return int(now.Sub(t) / (24 * time.Hour))
}

// roles sorts the live keys by what they are to roster.
type roles struct {
	current, previous *Key
	pending, handMade []Key
	kept              []string // IDs of the keys that stay
}

func classify(in Input) roles {
	var r roles
	for i := range in.Keys {
		k := &in.Keys[i]
		switch {
		case k.ID == in.Delivered.Current:
			r.current = k
		case k.ID == in.Delivered.Previous:
			r.previous = k
		case in.Pending != nil && !slices.Contains(in.Pending.Before, k.ID):
			r.pending = append(r.pending, *k)
			continue
		default:
			r.handMade = append(r.handMade, *k)
		}
		r.kept = append(r.kept, k.ID)
	}
	return r
}

// Evaluate decides the steps to take now. Applying them and evaluating
// again, at any point after any of them, converges on the same keys.
func Evaluate(in Input) Decision {
	r := classify(in)
	var d Decision
	for _, k := range r.pending {
		d.Steps = append(d.Steps, Step{Action: Delete, KeyID: k.ID,
			Reason: fmt.Sprintf("key %s was created on %s but never delivered (a run stopped between creating and delivering it)", k.ID, day(k.Created))})
	}
	for _, k := range r.handMade {
		d.Findings = append(d.Findings, Finding{Kind: HandMade, KeyID: k.ID,
			Detail: fmt.Sprintf("key %s (created %s) was not made by roster: the destination does not hold it", k.ID, day(k.Created))})
	}
	next := decide(in, r)
	d.Steps = append(d.Steps, next.Steps...)
	d.Findings = append(d.Findings, next.Findings...)
	if in.Pending != nil && !slices.ContainsFunc(d.Steps, func(s Step) bool { return s.Action == MarkPending }) {
		d.Steps = append(d.Steps, Step{Action: ClearPending, Reason: "no key is waiting for delivery"})
	}
	return d
}

// decide is the lifecycle proper, once undelivered keys are accounted for.
func decide(in Input, r roles) Decision {
	p, now := in.Policy, in.Now
	cur := r.current
	if cur != nil && cur.Status == Inactive && in.Pending != nil && !slices.Contains(in.Pending.Before, cur.ID) {
		return Decision{Steps: []Step{{Action: Activate, KeyID: cur.ID,
			Reason: fmt.Sprintf("the destination holds key %s, which roster deactivated when it could not tell whether the delivery succeeded", cur.ID)}}}
	}
	if cur == nil || cur.Status != Active {
		reason := "no active delivered key"
		if cur != nil {
			reason = fmt.Sprintf("the delivered key %s is inactive", cur.ID)
		}
		return create(r.kept, reason)
	}
	if prev := r.previous; prev != nil {
		age := ageDays(cur.Created, now)
		switch {
		case prev.Status == Active && age >= p.OverlapDays:
			return Decision{Steps: []Step{{Action: Deactivate, KeyID: prev.ID,
				Reason: fmt.Sprintf("the new key %s was created %d days ago (overlap_days %d)", cur.ID, age, p.OverlapDays)}}}
		case prev.Status == Inactive && age >= p.OverlapDays+1:
			return Decision{Steps: []Step{{Action: Delete, KeyID: prev.ID,
				Reason: fmt.Sprintf("key %s is inactive and the new key %s was created %d days ago (overlap_days %d, then a day inactive)", prev.ID, cur.ID, age, p.OverlapDays)}}}
		}
		return Decision{}
	}
	if age := ageDays(cur.Created, now); age >= p.RotateAfterDays {
		return create(r.kept, fmt.Sprintf("key %s is %d days old (rotate_after_days %d)", cur.ID, age, p.RotateAfterDays))
	}
	return Decision{}
}

// create is a rotation's steps, or a Blocked finding when IAM's two keys
// are taken.
func create(kept []string, reason string) Decision {
	if len(kept) >= 2 {
		return Decision{Findings: []Finding{{Kind: Blocked,
			Detail: fmt.Sprintf("a new key is needed (%s) but the user already has two keys (%s %s): delete the one not in use", reason, kept[0], kept[1])}}}
	}
	before := slices.Clone(kept)
	if before == nil {
		before = []string{}
	}
	return Decision{Steps: []Step{
		{Action: MarkPending, Before: before, Reason: "a key is about to be created"},
		{Action: Create, Reason: reason},
		{Action: Deliver, KeyID: CreatedKey, Reason: "the new key goes to its destination"},
		{Action: ClearPending, Reason: "the new key is delivered"},
	}}
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
