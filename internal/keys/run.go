package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Secret is a new key's secret access key. It prints as "[secret]" in every
// format, so that no log line, error or report can show it by accident;
// only Reveal, called by the code that writes it to its destination, gives
// the value.
type Secret struct{ value string }

// NewSecret wraps a secret access key.
func NewSecret(v string) Secret { return Secret{value: v} }

// Reveal returns the secret, for its destination only.
func (s Secret) Reveal() string { return s.value }

// String hides the secret.
func (Secret) String() string { return "[secret]" }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return "[secret]" }

// Format hides the secret from every verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[secret]")) }

// Port is what running one service account's steps needs from AWS.
type Port interface {
	// MarkPending writes PendingTag with the IDs of the existing keys.
	MarkPending(ctx context.Context, before []string) error
	ClearPending(ctx context.Context) error
	// CreateKey creates an access key and returns its ID and secret.
	CreateKey(ctx context.Context) (string, Secret, error)
	// Deliver writes the key's ID and secret to the destination.
	Deliver(ctx context.Context, keyID string, secret Secret) error
	Deactivate(ctx context.Context, keyID string) error
	// Activate sets a key roster deactivated back to Active.
	Activate(ctx context.Context, keyID string) error
	Delete(ctx context.Context, keyID string) error
}

// Outcome is what one step did.
type Outcome struct {
	Step Step
	// KeyID is the key acted on, CreatedKey resolved.
	KeyID string
	Err   error
}

// ErrDeliveryFailed is matched (errors.Is) by Run's error when a new key
// could not be delivered (OnDeliveryFailure's steps then ran; their
// failures are in the error too).
var ErrDeliveryFailed = errors.New("the new access key could not be delivered")

// ErrDeliveryUnknown is matched by a Deliver error when the destination may
// hold the new key or may not (a write whose answer was lost, and the check
// of what the destination holds failed too). Run then takes
// OnDeliveryUnknown's steps, and its error matches ErrDeliveryUnknown.
var ErrDeliveryUnknown = errors.New("nobody can tell whether the new access key was delivered")

// Run takes a decision's steps in order and stops at the first failure. A
// failed Deliver is followed by OnDeliveryFailure's steps, and Run's error
// then matches ErrDeliveryFailed (and the delivery's own error). The
// secret of the key Run creates lives only in this call.
func Run(ctx context.Context, d Decision, p Port) ([]Outcome, error) {
	var (
		out     []Outcome
		created string
		secret  Secret
	)
	steps := d.Steps
	var deliveryErr error
	for i := 0; i < len(steps); i++ {
		s := steps[i]
		id := s.KeyID
		if id == CreatedKey {
			id = created
		}
		var err error
		switch s.Action {
		case MarkPending:
			err = p.MarkPending(ctx, s.Before)
		case ClearPending:
			err = p.ClearPending(ctx)
		case Create:
			created, secret, err = p.CreateKey(ctx)
			id = created
		case Deliver:
			err = p.Deliver(ctx, id, secret)
		case Deactivate:
			err = p.Deactivate(ctx, id)
		case Activate:
			err = p.Activate(ctx, id)
		case Delete:
			err = p.Delete(ctx, id)
		default:
			err = fmt.Errorf("unknown step %v", s.Action)
		}
		out = append(out, Outcome{Step: s, KeyID: id, Err: err})
		switch {
		case err != nil && s.Action == Deliver && deliveryErr == nil:
			deliveryErr = err
			next := OnDeliveryFailure()
			if errors.Is(err, ErrDeliveryUnknown) {
				next = OnDeliveryUnknown()
			}
			steps = append(steps[:i+1:i+1], next...)
		case err != nil:
			err = fmt.Errorf("%s: %w", strings.TrimSpace(s.Action.String()+" "+id), err)
			if deliveryErr != nil {
				err = fmt.Errorf("%w: %w; then %w", ErrDeliveryFailed, deliveryErr, err)
			}
			return out, err
		}
	}
	switch {
	case errors.Is(deliveryErr, ErrDeliveryUnknown):
		return out, fmt.Errorf("%w (it was deactivated; the next run reads the destination again): %w", ErrDeliveryFailed, deliveryErr)
	case deliveryErr != nil:
		return out, fmt.Errorf("%w (it was deleted again): %w", ErrDeliveryFailed, deliveryErr)
	}
	return out, nil
}
