package apply

import (
	"context"
	"errors"

	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/plan"
)

// KeyPorts opens the port one service account's access key steps run
// through (package keys). The AWS adapter's writer implements it next to
// Writer. A deliver_to: pgp port hands the sealed key to publish, and the
// delivery fails (the new key is deleted again) when publish fails.
type KeyPorts interface {
	AccessKeyPort(ctx context.Context, a plan.AccessKey, publish Publish) (keys.Port, error)
}

// Publish makes a sealed key durable where its owner will find it (the
// job summary, the terminal) before the key counts as delivered.
type Publish func(ctx context.Context, k SealedKey) error

// SealedKey is a new access key for deliver_to: pgp: the JSON
// {"AccessKeyId", "SecretAccessKey"} encrypted to the service account's
// pgp_key. It holds no secret in clear.
type SealedKey struct {
	Environment    string `json:"environment"`
	ServiceAccount string `json:"service_account"`
	KeyID          string `json:"key_id"`
	// Fingerprint is the pgp_key's fingerprint, which plans show.
	Fingerprint string `json:"pgp_key_fingerprint"`
	// Message is the armored OpenPGP message; gpg --decrypt opens it.
	Message string `json:"encrypted_key"`
}

// KeyStepResult is what one access key step did. It never holds a secret.
type KeyStepResult struct {
	Action string `json:"action"`
	KeyID  string `json:"key_id,omitempty"`
	Status Status `json:"status"`
	Error  string `json:"error,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// KeyResult is the result of one service account's access key steps.
type KeyResult struct {
	ServiceAccount string          `json:"service_account"`
	Destination    string          `json:"destination"`
	Summary        string          `json:"summary,omitempty"`
	Steps          []KeyStepResult `json:"steps"`
	// Notes are the keys a person must look at (the plan's findings): a
	// key made by hand beside the managed one, a rotation that needs a
	// third key. They are reported, and fail nothing: no step was refused.
	Notes []plan.AccessKeyIssue `json:"findings,omitempty"`
	// Error says why the steps stopped: a refused secret, a failed step, a
	// delivery that failed (its key was deleted again).
	Error string `json:"error,omitempty"`
	// Sealed is the new key of a deliver_to: pgp service account, encrypted:
	// the apply report is its destination. Nil when none was delivered.
	Sealed *SealedKey `json:"sealed,omitempty"`
	// Published is set when the run's publisher (Options.PublishKey) took
	// Sealed the moment it was made, so a report written to the same place
	// names it instead of repeating it.
	Published bool `json:"-"`
}

// Failed reports whether the service account's steps did not all succeed.
func (k *KeyResult) Failed() bool { return k.Error != "" }

// RunKeys runs the access key steps of env through ports, after its
// changes: each service account's steps in order (keys.Run), stopping at
// that account's first failure. A service account whose IAM user change
// did not complete, or whose secret roster does not own, gets no step. A
// pgp delivery is published through publish (nil: the report alone carries
// it) and lands in the result's Sealed. A service account without steps is
// in the results only when a person must look at its keys (its Notes), so
// that a blocked rotation reaches the report of the run that could not
// take it.
func RunKeys(ctx context.Context, env *plan.Environment, changes []ChangeResult, ports KeyPorts, publish Publish) []KeyResult {
	var out []KeyResult
	for _, a := range env.AccessKeys {
		r := KeyResult{ServiceAccount: a.ServiceAccount, Destination: a.Destination, Summary: a.Summary, Steps: []KeyStepResult{}, Notes: a.Notes}
		switch {
		case a.Refused != "":
			r.Error = a.Refused
		case !a.HasSteps():
			if len(a.Notes) == 0 {
				continue
			}
		case !userReady(changes, a.ServiceAccount):
			r.Error = "not attempted: the service account's own change did not complete"
		case ports == nil:
			r.Error = "not attempted: no session to write"
		default:
			runKeySteps(ctx, a, ports, publish, &r)
		}
		out = append(out, r)
	}
	return out
}

func runKeySteps(ctx context.Context, a plan.AccessKey, ports KeyPorts, publish Publish, r *KeyResult) {
	port, err := ports.AccessKeyPort(ctx, a, func(ctx context.Context, k SealedKey) error {
		if publish != nil {
			if err := publish(ctx, k); err != nil {
				return err
			}
		}
		r.Sealed, r.Published = &k, publish != nil
		return nil
	})
	if err != nil {
		r.Error = err.Error()
		return
	}
	outcomes, err := keys.Run(ctx, a.Decision, port)
	for _, o := range outcomes {
		s := KeyStepResult{Action: o.Step.Action.String(), KeyID: o.KeyID, Status: Done, Reason: o.Step.Reason}
		if o.Err != nil {
			s.Status, s.Error = Failed, o.Err.Error()
		}
		r.Steps = append(r.Steps, s)
	}
	if err != nil {
		r.Error = err.Error()
		switch {
		case errors.Is(err, keys.ErrDeliveryUnknown):
			r.Error = "roster could not tell whether the new key reached " + a.Destination + ", so it was deactivated; the next run activates it again if the destination holds it and deletes it otherwise: " + err.Error()
		case errors.Is(err, keys.ErrDeliveryFailed):
			r.Sealed, r.Published = nil, false // its key is deleted again
			r.Error = "the new key could not be delivered to " + a.Destination + ", so it was deleted again: " + err.Error()
		}
	}
}

// userReady reports whether the change of user, if the plan has one,
// completed.
func userReady(changes []ChangeResult, user string) bool {
	for i := range changes {
		if changes[i].Change.Name == user && changes[i].Change.Kind != plan.KindGroup {
			return changes[i].Status() == Done
		}
	}
	return true
}
