package apply

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/roster-dev/roster/internal/clock"
	"github.com/roster-dev/roster/internal/plan"
)

// DefaultConcurrency is how many changes run at once when
// Options.Concurrency is zero.
const DefaultConcurrency = 8

// DefaultGrace is how long operations already in flight may run on after
// the run's context is cancelled, when Options.Grace is zero.
const DefaultGrace = 30 * time.Second

// Options tune Run.
type Options struct {
	// Concurrency bounds the changes running at once (DefaultConcurrency
	// when zero or negative; 1 applies serially).
	Concurrency int
	// Grace is how long an operation that already started may run on once
	// ctx is cancelled, so that its result is known (DefaultGrace when zero).
	// Operations not started by then are skipped.
	Grace time.Duration
	// Progress, when set, is called after each operation finishes (done or
	// failed), from the goroutine that ran it. Calls may be concurrent.
	Progress func(env string, r OpResult)
	// PublishKey, when set, makes each sealed access key (deliver_to: pgp)
	// durable before it counts as delivered; when it fails, the new key is
	// deleted again. Nil leaves the result as the only place it is.
	PublishKey Publish
}

func (o Options) concurrency() int {
	if o.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return o.Concurrency
}

func (o Options) grace() time.Duration {
	if o.Grace <= 0 {
		return DefaultGrace
	}
	return o.Grace
}

// Reasons for skipped operations.
const (
	reasonCancelled   = "the apply was cancelled before this operation started"
	reasonEarlierOp   = "an earlier operation of this change failed"
	reasonRefused     = "the plan was refused"
	reasonEnvNotReady = "the environment was not applied"
)

// Run executes the environment's changes through w and returns a result for
// every operation. It never re-diffs: env is run as given.
//
// Changes run phase by phase, as each change's Phase says; within a phase
// up to Options.Concurrency changes run at once, and the operations of one
// change run in sequence. The first failed operation of a change skips the
// rest of it. A change whose DependsOn names a change that did not complete
// is skipped (plan.Order says which changes depend on which, and why).
//
// A refused environment is not run: every operation is skipped and the
// result is failed with the refusal as its reason. When ctx is cancelled,
// operations not yet started are skipped; those in flight get Options.Grace
// to finish.
func Run(ctx context.Context, env *plan.Environment, w Writer, opts Options) *EnvironmentResult {
	res := &EnvironmentResult{
		Name:       env.Name,
		AccountID:  env.AccountID,
		Production: env.Production,
		Digest:     env.Digest,
		Changes:    make([]ChangeResult, len(env.Changes)),
	}
	for i, ch := range env.Changes {
		res.Changes[i] = ChangeResult{Change: ch, Ops: make([]OpResult, len(ch.Ops))}
		for j, op := range ch.Ops {
			res.Changes[i].Ops[j] = OpResult{Op: op, Status: Skipped}
		}
	}
	if env.Refused != "" {
		skipAll(res, reasonRefused)
		res.Status = EnvRefused
		res.Reason = env.Refused
		return res
	}
	if len(env.Changes) == 0 {
		res.Status = EnvNoChanges
		return res
	}

	// Operations in flight outlive a cancellation by the grace period.
	opCtx, cancelOps := clock.Outlive(ctx, opts.grace())
	defer cancelOps()

	r := &runner{ctx: ctx, opCtx: opCtx, env: env, w: w, opts: opts, res: res}
	byPhase := make([][]int, plan.PhaseCount)
	for i, ch := range env.Changes {
		if ch.Phase < 0 || int(ch.Phase) >= plan.PhaseCount {
			r.skipChange(i, 0, fmt.Sprintf("the plan lists an invalid phase (%d) for this change", ch.Phase))
			continue
		}
		byPhase[ch.Phase] = append(byPhase[ch.Phase], i)
	}
	sem := make(chan struct{}, opts.concurrency())
	for _, idx := range byPhase {
		var wg sync.WaitGroup
		for _, i := range idx {
			if reason := r.blocked(i); reason != "" {
				r.skipChange(i, 0, reason)
				continue
			}
			wg.Go(func() {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					r.skipChange(i, 0, reasonCancelled)
					return
				}
				defer func() { <-sem }()
				r.runChange(i, sem)
			})
		}
		wg.Wait()
	}

	res.Status = EnvApplied
	t := res.Tally()
	switch {
	case t.Failed > 0:
		res.Status = EnvFailed
		res.Reason = fmt.Sprintf("%d of %d operations failed", t.Failed, t.Done+t.Failed+t.Skipped)
		if t.Skipped > 0 {
			res.Reason += fmt.Sprintf(", %d skipped", t.Skipped)
		}
	case t.Skipped > 0:
		res.Status = EnvFailed
		res.Reason = fmt.Sprintf("the apply was cancelled: %d of %d operations were not run", t.Skipped, t.Done+t.Skipped)
	}
	return res
}

// skipAll marks every operation of res skipped.
func skipAll(res *EnvironmentResult, reason string) {
	for i := range res.Changes {
		for j := range res.Changes[i].Ops {
			res.Changes[i].Ops[j].Status = Skipped
			res.Changes[i].Ops[j].Reason = reason
		}
	}
}

// runner holds the state of one Run.
type runner struct {
	ctx   context.Context // cancellation: stop starting operations
	opCtx context.Context // what operations run with
	env   *plan.Environment
	w     Writer
	opts  Options
	res   *EnvironmentResult // each change's results are written only by its goroutine
}

// runChange runs one change's operations in order, stopping at the first
// failure or at cancellation.
func (r *runner) runChange(i int, sem chan struct{}) {
	cr := &r.res.Changes[i]
	opCtx := context.WithValue(r.opCtx, slotKey{}, sem)
	for j, op := range r.env.Changes[i].Ops {
		if r.ctx.Err() != nil {
			r.skipChange(i, j, reasonCancelled)
			return
		}
		out, err := r.w.Write(opCtx, op)
		if err != nil {
			cr.Ops[j] = OpResult{Op: op, Status: Failed, Error: err.Error()}
		} else {
			cr.Ops[j] = OpResult{Op: op, Status: Done, Outcome: out}
		}
		if r.opts.Progress != nil {
			r.opts.Progress(r.env.Name, cr.Ops[j])
		}
		if err != nil {
			r.skipChange(i, j+1, reasonEarlierOp)
			return
		}
	}
}

// skipChange marks change i's operations from the from'th on skipped.
func (r *runner) skipChange(i, from int, reason string) {
	ops := r.res.Changes[i].Ops
	for j := from; j < len(ops); j++ {
		ops[j].Status = Skipped
		ops[j].Reason = reason
	}
}

// blocked returns why change i must not run because a change it depends on
// did not complete; "" when it may run. It is called once every phase before
// change i's has finished; a dependency that is not in an earlier phase
// breaks the plan's contract (Order) and blocks the change.
func (r *runner) blocked(i int) string {
	if r.ctx.Err() != nil {
		return reasonCancelled
	}
	ch := r.env.Changes[i]
	for _, k := range ch.DependsOn {
		if k < 0 || k >= len(r.env.Changes) || r.env.Changes[k].Phase >= ch.Phase {
			return fmt.Sprintf("the plan lists an invalid dependency (%d) for this change", k)
		}
		if r.res.Changes[k].Status() == Done {
			continue
		}
		other := r.env.Changes[k]
		if ch.Kind == plan.KindGroup {
			return fmt.Sprintf("the change to %s %s did not complete, so the group is not deleted", other.Kind.Noun(), other.Name)
		}
		return fmt.Sprintf("the change to group %s did not complete, so the user does not join it", other.Name)
	}
	return ""
}

// NotAttempted returns the result of an environment that was not started:
// every operation of its plan (when there is one) is skipped with reason.
func NotAttempted(env *plan.Environment, name, accountID, reason string) *EnvironmentResult {
	res := &EnvironmentResult{Name: name, AccountID: accountID, Status: EnvNotAttempted, Reason: reason}
	if env != nil {
		res.Production = env.Production
		res.Digest = env.Digest
		for _, ch := range env.Changes {
			cr := ChangeResult{Change: ch, Ops: make([]OpResult, len(ch.Ops))}
			for j, op := range ch.Ops {
				cr.Ops[j] = OpResult{Op: op, Status: Skipped, Reason: reasonEnvNotReady}
			}
			res.Changes = append(res.Changes, cr)
		}
	}
	return res
}

// slotKey is the context key under which Run gives an operation the
// concurrency slot its change holds.
type slotKey struct{}

// Pause runs wait with the caller's concurrency slot given back, and takes
// it again before returning wait's error: an operation that only waits (the
// writer waiting out IAM's propagation) lets other changes run meanwhile.
// Outside Run, it just runs wait. Taking the slot back does not heed ctx:
// the slot's other holders are running operations, which end, and the
// change must hold its slot again when its operation returns.
func Pause(ctx context.Context, wait func() error) error {
	sem, ok := ctx.Value(slotKey{}).(chan struct{})
	if !ok {
		return wait()
	}
	<-sem
	defer func() { sem <- struct{}{} }()
	return wait()
}
