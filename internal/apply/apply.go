package apply

import (
	"context"

	"github.com/roster-dev/roster/internal/plan"
)

// Writer performs one IAM write. The AWS adapter implements it; it is the
// only way apply touches an account.
//
// Write must treat "already exists" and "not found" as success exactly where
// that means the operation's goal is already reached (a re-run after a
// partial failure converges), and return any other error unchanged.
type Writer interface {
	Write(ctx context.Context, op plan.Op) (Outcome, error)
}

// Outcome is what a successful write produced that the user needs to see.
type Outcome struct {
	// EncryptedPassword is the armored OpenPGP message holding a new
	// console user's initial password, encrypted to the user's pgp_key.
	// The clear password never leaves the writer.
	EncryptedPassword string
	// AlreadyDone is set when IAM said the goal was already reached (the
	// user existed, the policy was already detached…).
	AlreadyDone bool
}

// Status is an operation's result.
type Status string

// Operation results.
const (
	// Done: the write succeeded (or its goal was already reached).
	Done Status = "done"
	// Failed: IAM refused the write; Error says why.
	Failed Status = "failed"
	// Skipped: not attempted because an operation it depends on failed,
	// or the run was cancelled first.
	Skipped Status = "skipped"
)

// OpResult is the result of one operation.
type OpResult struct {
	Op      plan.Op
	Status  Status
	Error   string
	Outcome Outcome
	// Reason says why a skipped operation was not attempted.
	Reason string
}

// ChangeResult is the result of one change: its operations' results in
// plan order.
type ChangeResult struct {
	Change plan.Change
	Ops    []OpResult
}

// Status is the change's result: failed when an operation failed, skipped
// when none ran and none failed, done when every operation is done.
func (c *ChangeResult) Status() Status {
	st := Done
	for _, o := range c.Ops {
		switch o.Status {
		case Failed:
			return Failed
		case Skipped:
			st = Skipped
		case Done:
		}
	}
	return st
}

// EnvStatus is the result of one environment.
type EnvStatus string

// Environment results.
const (
	EnvApplied EnvStatus = "applied" // every operation done
	EnvFailed  EnvStatus = "failed"  // some operation failed, or live IAM could not be read or written
	// EnvRefused: nothing was written because the plan may not run (a
	// guardrail, a plan that differs from the reviewed one, approvals not
	// met, no reviewed plan). Like a failure, it stops the environments
	// after it.
	EnvRefused EnvStatus = "refused"
	// EnvNotAttempted: an earlier environment failed or was refused, so
	// this one was not started.
	EnvNotAttempted EnvStatus = "not_attempted"
	EnvNoChanges    EnvStatus = "no_changes"
	// EnvSkipped: the environment has changes that were not part of the
	// reviewed plan (the pull request did not plan it, and live IAM
	// drifted), so nothing was applied there. It does not stop the
	// environments after it: drift reports it, and a person applies it.
	EnvSkipped EnvStatus = "skipped"
)

// EnvironmentResult is the result of applying one environment's plan.
type EnvironmentResult struct {
	Name       string
	AccountID  string
	Production bool
	Status     EnvStatus
	Digest     string
	// Reason explains a failed or not-attempted environment in a sentence
	// (a refusal, a digest mismatch, an error reading live IAM).
	Reason  string
	Changes []ChangeResult
	// AccessKeys are the results of the access key steps, run after the
	// changes.
	AccessKeys []KeyResult
	// Left are the plan's changes a run of access key steps alone (roster
	// rotate) did not take: they wait for a reviewed apply.
	Left []plan.Change
}

// Tally counts operations by status, and the access key steps done.
type Tally struct {
	Done, Failed, Skipped int
	// KeySteps are the access key steps done (mark pending, create,
	// deliver, clear pending, deactivate, delete).
	KeySteps int
}

// Tally counts the environment's operations by status and its access key
// steps done.
func (e *EnvironmentResult) Tally() Tally {
	var t Tally
	for _, k := range e.AccessKeys {
		for _, s := range k.Steps {
			if s.Status == Done {
				t.KeySteps++
			}
		}
	}
	for _, c := range e.Changes {
		for _, o := range c.Ops {
			switch o.Status {
			case Done:
				t.Done++
			case Failed:
				t.Failed++
			case Skipped:
				t.Skipped++
			}
		}
	}
	return t
}

// Result is the result of an apply over every environment, in promotion
// order.
type Result struct {
	Environments []*EnvironmentResult
	// KeysOnly marks a run that takes access key steps alone (roster
	// rotate): with nothing done, it says no step was due, not that live IAM
	// matches the repository.
	KeysOnly bool
}

// Failed reports whether the apply did not finish: an environment failed
// (an operation failed, or it could not be planned) or was refused, or one
// was not attempted (after a failure or a cancellation).
func (r *Result) Failed() bool {
	for _, e := range r.Environments {
		if e.Stopped() || e.Status == EnvNotAttempted {
			return true
		}
	}
	return false
}

// Stopped reports whether the environment stops the apply: it failed or
// was refused.
func (e *EnvironmentResult) Stopped() bool {
	return e.Status == EnvFailed || e.Status == EnvRefused
}

// StoppedBy returns the environment that stopped the apply (the first that
// failed or was refused), or nil when none did.
func (r *Result) StoppedBy() *EnvironmentResult {
	for _, e := range r.Environments {
		if e.Stopped() {
			return e
		}
	}
	return nil
}

// Tally counts the operations of every environment by status, and their
// access key steps done.
func (r *Result) Tally() Tally {
	var t Tally
	for _, e := range r.Environments {
		et := e.Tally()
		t.Done += et.Done
		t.Failed += et.Failed
		t.Skipped += et.Skipped
		t.KeySteps += et.KeySteps
	}
	return t
}
