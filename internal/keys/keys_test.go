package keys_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/keys"
)

var (
	day0   = time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)
	policy = keys.Policy{RotateAfterDays: 90, OverlapDays: 7}
)

func at(days int) time.Time { return day0.Add(time.Duration(days) * 24 * time.Hour) }

// world is IAM's keys, the destination and the pending marker, changed by
// steps the way the adapters change AWS.
type world struct {
	keys      []keys.Key
	delivered keys.Delivered
	pending   *keys.Pending
	seq       int
	created   string // the key this run created; its secret exists only in this run
}

func (w *world) input(now time.Time) keys.Input {
	in := keys.Input{Policy: policy, Keys: slices.Clone(w.keys), Delivered: w.delivered, Now: now}
	if w.pending != nil {
		in.Pending = &keys.Pending{Before: slices.Clone(w.pending.Before)}
	}
	return in
}

func (w *world) target(id string) string {
	if id == keys.CreatedKey {
		return w.created
	}
	return id
}

// apply runs one step; deliverFails makes Deliver fail.
func (w *world) apply(t *testing.T, s keys.Step, now time.Time, deliverFails bool) error {
	t.Helper()
	switch s.Action {
	case keys.MarkPending:
		w.pending = &keys.Pending{Before: slices.Clone(s.Before)}
	case keys.Create:
		if len(w.keys) >= 2 {
			t.Fatalf("CreateAccessKey with keys %v: IAM allows two", w.keys)
		}
		w.seq++
		w.created = fmt.Sprintf("AKIA%016d", w.seq)
		w.keys = append(w.keys, keys.Key{ID: w.created, Status: keys.Active, Created: now})
	case keys.Deliver:
		if w.created == "" {
			t.Fatal("Deliver without a key created in this run")
		}
		if deliverFails {
			return fmt.Errorf("delivery failed")
		}
		w.delivered = keys.Delivered{Current: w.created, Previous: w.delivered.Current}
	case keys.ClearPending:
		w.pending = nil
	case keys.Deactivate:
		w.key(t, w.target(s.KeyID)).Status = keys.Inactive
	case keys.Activate:
		w.key(t, w.target(s.KeyID)).Status = keys.Active
	case keys.Delete:
		id := w.target(s.KeyID)
		w.key(t, id)
		w.keys = slices.DeleteFunc(w.keys, func(k keys.Key) bool { return k.ID == id })
	default:
		t.Fatalf("unknown action %v", s.Action)
	}
	return nil
}

func (w *world) key(t *testing.T, id string) *keys.Key {
	t.Helper()
	for i := range w.keys {
		if w.keys[i].ID == id {
			return &w.keys[i]
		}
	}
	t.Fatalf("no key %q in %v", id, w.keys)
	return nil
}

// hasActiveDelivered reports whether the destination holds an active key.
func (w *world) hasActiveDelivered() bool {
	return slices.ContainsFunc(w.keys, func(k keys.Key) bool { return k.ID == w.delivered.Current && k.Status == keys.Active })
}

// run evaluates and applies the steps, stopping after `stop` steps (a crash:
// the created key's secret is lost) when stop >= 0. It checks the
// invariants after every step and returns the decision.
func (w *world) run(t *testing.T, now time.Time, stop int, deliverFails bool) keys.Decision {
	t.Helper()
	d := keys.Evaluate(w.input(now))
	had := w.hasActiveDelivered()
	steps := d.Steps
	for i := 0; i < len(steps); i++ {
		if i == stop {
			break
		}
		if err := w.apply(t, steps[i], now, deliverFails); err != nil {
			steps = append(steps[:i+1:i+1], keys.OnDeliveryFailure()...)
		}
		if len(w.keys) > 2 {
			t.Fatalf("after step %d (%v): %d keys", i, steps[i].Action, len(w.keys))
		}
		if had && !w.hasActiveDelivered() {
			t.Fatalf("after step %d (%v): no active delivered key any more", i, steps[i].Action)
		}
	}
	w.created = ""
	return d
}

// settle runs until nothing is left to do on that day.
func (w *world) settle(t *testing.T, now time.Time) {
	t.Helper()
	for range 5 {
		if len(w.run(t, now, -1, false).Steps) == 0 {
			return
		}
	}
	t.Fatalf("no convergence on %s: still %+v", now.Format(time.DateOnly), keys.Evaluate(w.input(now)).Steps)
}

// view describes the keys without their IDs, which differ between runs that
// crashed and runs that did not: the day each was created, its status, and
// what the destination holds.
func (w *world) view() []string {
	var out []string
	for _, k := range w.keys {
		role := "hand-made"
		switch k.ID {
		case w.delivered.Current:
			role = "current"
		case w.delivered.Previous:
			role = "previous"
		}
		out = append(out, fmt.Sprintf("day %d %s %s", int(k.Created.Sub(day0).Hours()/24), k.Status, role))
	}
	slices.Sort(out)
	if w.pending != nil {
		out = append(out, "pending marker")
	}
	return out
}

func actions(d keys.Decision) []string {
	var out []string
	for _, s := range d.Steps {
		out = append(out, strings.TrimSpace(s.Action.String()+" "+s.KeyID))
	}
	return out
}

func TestRotationSchedule(t *testing.T) {
	t.Parallel()
	id := func(n int) string { return fmt.Sprintf("AKIA%016d", n) }
	tests := []struct {
		day       int
		wantSteps []string
		wantView  []string
	}{
		{0, []string{"mark pending", "create", "deliver", "clear pending"}, []string{"day 0 Active current"}},
		{0, nil, []string{"day 0 Active current"}},
		{89, nil, []string{"day 0 Active current"}},
		{90, []string{"mark pending", "create", "deliver", "clear pending"}, []string{"day 0 Active previous", "day 90 Active current"}},
		{96, nil, []string{"day 0 Active previous", "day 90 Active current"}},
		{97, []string{"deactivate " + id(1)}, []string{"day 0 Inactive previous", "day 90 Active current"}},
		{97, nil, []string{"day 0 Inactive previous", "day 90 Active current"}},
		{98, []string{"delete " + id(1)}, []string{"day 90 Active current"}},
		{179, nil, []string{"day 90 Active current"}},
		{180, []string{"mark pending", "create", "deliver", "clear pending"}, []string{"day 180 Active current", "day 90 Active previous"}},
	}
	w := &world{}
	for _, tt := range tests {
		d := w.run(t, at(tt.day), -1, false)
		if diff := cmp.Diff(tt.wantSteps, actions(d)); diff != "" {
			t.Errorf("day %d steps (-want +got):\n%s", tt.day, diff)
		}
		if diff := cmp.Diff(tt.wantView, w.view()); diff != "" {
			t.Errorf("day %d keys after the run (-want +got):\n%s", tt.day, diff)
		}
	}
}

func TestStepsSayWhy(t *testing.T) {
	t.Parallel()
	k1 := keys.Key{ID: "AKIAOLD", Status: keys.Active, Created: at(0)}
	k2 := keys.Key{ID: "AKIANEW", Status: keys.Active, Created: at(90)}
	tests := []struct {
		name string
		in   keys.Input
		want keys.Decision
	}{
		{
			name: "first key",
			in:   keys.Input{Policy: policy, Now: at(0)},
			want: keys.Decision{Steps: []keys.Step{
				{Action: keys.MarkPending, Before: []string{}, Reason: "a key is about to be created"},
				{Action: keys.Create, Reason: "no active delivered key"},
				{Action: keys.Deliver, Reason: "the new key goes to its destination"},
				{Action: keys.ClearPending, Reason: "the new key is delivered"},
			}},
		},
		{
			name: "rotation due",
			in:   keys.Input{Policy: policy, Keys: []keys.Key{k1}, Delivered: keys.Delivered{Current: "AKIAOLD"}, Now: at(90)},
			want: keys.Decision{Steps: []keys.Step{
				{Action: keys.MarkPending, Before: []string{"AKIAOLD"}, Reason: "a key is about to be created"},
				{Action: keys.Create, Reason: "key AKIAOLD is 90 days old (rotate_after_days 90)"},
				{Action: keys.Deliver, Reason: "the new key goes to its destination"},
				{Action: keys.ClearPending, Reason: "the new key is delivered"},
			}},
		},
		{
			name: "overlap over",
			in:   keys.Input{Policy: policy, Keys: []keys.Key{k1, k2}, Delivered: keys.Delivered{Current: "AKIANEW", Previous: "AKIAOLD"}, Now: at(97)},
			want: keys.Decision{Steps: []keys.Step{
				{Action: keys.Deactivate, KeyID: "AKIAOLD", Reason: "the new key AKIANEW was created 7 days ago (overlap_days 7)"},
			}},
		},
		{
			name: "a day inactive",
			in: keys.Input{Policy: policy, Keys: []keys.Key{{ID: "AKIAOLD", Status: keys.Inactive, Created: at(0)}, k2},
				Delivered: keys.Delivered{Current: "AKIANEW", Previous: "AKIAOLD"}, Now: at(98)},
			want: keys.Decision{Steps: []keys.Step{
				{Action: keys.Delete, KeyID: "AKIAOLD", Reason: "key AKIAOLD is inactive and the new key AKIANEW was created 8 days ago (overlap_days 7, then a day inactive)"},
			}},
		},
		{
			name: "undelivered key left by a stopped run",
			in: keys.Input{Policy: policy, Keys: []keys.Key{k1, k2}, Delivered: keys.Delivered{Current: "AKIAOLD"},
				Pending: &keys.Pending{Before: []string{"AKIAOLD"}}, Now: at(90)},
			want: keys.Decision{Steps: []keys.Step{
				{Action: keys.Delete, KeyID: "AKIANEW", Reason: "key AKIANEW was created on 2026-04-05 but never delivered (a run stopped between creating and delivering it)"},
				{Action: keys.MarkPending, Before: []string{"AKIAOLD"}, Reason: "a key is about to be created"},
				{Action: keys.Create, Reason: "key AKIAOLD is 90 days old (rotate_after_days 90)"},
				{Action: keys.Deliver, Reason: "the new key goes to its destination"},
				{Action: keys.ClearPending, Reason: "the new key is delivered"},
			}},
		},
		{
			name: "key made by hand beside the delivered one",
			in:   keys.Input{Policy: policy, Keys: []keys.Key{k1, k2}, Delivered: keys.Delivered{Current: "AKIAOLD"}, Now: at(30)},
			want: keys.Decision{Findings: []keys.Finding{
				{Kind: keys.HandMade, KeyID: "AKIANEW", Detail: "key AKIANEW (created 2026-04-05) was not made by roster: the destination does not hold it"},
			}},
		},
		{
			name: "a key made by hand blocks rotation",
			in:   keys.Input{Policy: policy, Keys: []keys.Key{k1, k2}, Delivered: keys.Delivered{Current: "AKIAOLD"}, Now: at(95)},
			want: keys.Decision{Findings: []keys.Finding{
				{Kind: keys.HandMade, KeyID: "AKIANEW", Detail: "key AKIANEW (created 2026-04-05) was not made by roster: the destination does not hold it"},
				{Kind: keys.Blocked, Detail: "a new key is needed (key AKIAOLD is 95 days old (rotate_after_days 90)) but the user already has two keys (AKIAOLD AKIANEW): delete the one not in use"},
			}},
		},
		{
			name: "delivered key deactivated by hand",
			in: keys.Input{Policy: policy, Keys: []keys.Key{{ID: "AKIAOLD", Status: keys.Inactive, Created: at(0)}},
				Delivered: keys.Delivered{Current: "AKIAOLD"}, Now: at(10)},
			want: keys.Decision{Steps: []keys.Step{
				{Action: keys.MarkPending, Before: []string{"AKIAOLD"}, Reason: "a key is about to be created"},
				{Action: keys.Create, Reason: "the delivered key AKIAOLD is inactive"},
				{Action: keys.Deliver, Reason: "the new key goes to its destination"},
				{Action: keys.ClearPending, Reason: "the new key is delivered"},
			}},
		},
		{
			name: "the destination holds the key roster deactivated when it could not confirm its delivery",
			in: keys.Input{Policy: policy, Keys: []keys.Key{k1, {ID: "AKIANEW", Status: keys.Inactive, Created: at(90)}},
				Delivered: keys.Delivered{Current: "AKIANEW", Previous: "AKIAOLD"}, Pending: &keys.Pending{Before: []string{"AKIAOLD"}}, Now: at(91)},
			want: keys.Decision{Steps: []keys.Step{
				{Action: keys.Activate, KeyID: "AKIANEW", Reason: "the destination holds key AKIANEW, which roster deactivated when it could not tell whether the delivery succeeded"},
				{Action: keys.ClearPending, Reason: "no key is waiting for delivery"},
			}},
		},
		{
			name: "a key deactivated by hand is not activated again, marker or not",
			in: keys.Input{Policy: policy, Keys: []keys.Key{{ID: "AKIAOLD", Status: keys.Inactive, Created: at(0)}},
				Delivered: keys.Delivered{Current: "AKIAOLD"}, Pending: &keys.Pending{Before: []string{"AKIAOLD"}}, Now: at(10)},
			want: keys.Decision{Steps: []keys.Step{
				{Action: keys.MarkPending, Before: []string{"AKIAOLD"}, Reason: "a key is about to be created"},
				{Action: keys.Create, Reason: "the delivered key AKIAOLD is inactive"},
				{Action: keys.Deliver, Reason: "the new key goes to its destination"},
				{Action: keys.ClearPending, Reason: "the new key is delivered"},
			}},
		},
		{
			name: "stale marker after a run stopped behind delivery",
			in: keys.Input{Policy: policy, Keys: []keys.Key{k1, k2}, Delivered: keys.Delivered{Current: "AKIANEW", Previous: "AKIAOLD"},
				Pending: &keys.Pending{Before: []string{"AKIAOLD"}}, Now: at(90)},
			want: keys.Decision{Steps: []keys.Step{{Action: keys.ClearPending, Reason: "no key is waiting for delivery"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, keys.Evaluate(tt.in)); diff != "" {
				t.Errorf("Evaluate (-want +got):\n%s", diff)
			}
		})
	}
}

// TestACrashBetweenAnyTwoStepsResumes stops a run after each of its steps
// in turn, on each day of the schedule, then runs again the same day: the
// keys end as they do without the crash.
func TestACrashBetweenAnyTwoStepsResumes(t *testing.T) {
	t.Parallel()
	days := []int{0, 89, 90, 96, 97, 98, 180, 187, 188}
	for i, crashDay := range days {
		reference := &world{}
		for _, d := range days[:i] {
			reference.settle(t, at(d))
		}
		steps := len(keys.Evaluate(reference.input(at(crashDay))).Steps)
		for stop := 1; stop < steps; stop++ {
			t.Run(fmt.Sprintf("day %d after step %d of %d", crashDay, stop, steps), func(t *testing.T) {
				t.Parallel()
				want, got := &world{}, &world{}
				for _, d := range days[:i] {
					want.settle(t, at(d))
					got.settle(t, at(d))
				}
				want.settle(t, at(crashDay))
				got.run(t, at(crashDay), stop, false)
				got.settle(t, at(crashDay))
				if diff := cmp.Diff(want.view(), got.view()); diff != "" {
					t.Errorf("keys after resuming (-want +got):\n%s", diff)
				}
				for _, d := range days[i+1:] {
					want.settle(t, at(d))
					got.settle(t, at(d))
				}
				if diff := cmp.Diff(want.view(), got.view()); diff != "" {
					t.Errorf("keys at the end of the schedule (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestAFailedDeliveryLeavesNoUndeliveredKey(t *testing.T) {
	t.Parallel()
	for _, day := range []int{0, 90} {
		t.Run(fmt.Sprintf("day %d", day), func(t *testing.T) {
			t.Parallel()
			w := &world{}
			if day > 0 {
				w.settle(t, at(0))
			}
			before := w.view()
			w.run(t, at(day), -1, true)
			if diff := cmp.Diff(before, w.view()); diff != "" {
				t.Errorf("keys after a failed delivery (-want +got):\n%s", diff)
			}
			// The next run tries again and succeeds.
			w.settle(t, at(day))
			if !w.hasActiveDelivered() || len(w.keys) != 1+min(day, 1) {
				t.Errorf("after retrying: %v", w.view())
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    keys.Spec
		envDays int
		want    keys.Policy
		wantErr string
	}{
		{keys.Spec{}, 0, keys.Policy{RotateAfterDays: 90, OverlapDays: 7}, ""},
		{keys.Spec{}, 60, keys.Policy{RotateAfterDays: 60, OverlapDays: 7}, ""},
		{keys.Spec{RotateAfterDays: 30, OverlapDays: 3}, 60, keys.Policy{RotateAfterDays: 30, OverlapDays: 3}, ""},
		{keys.Spec{RotateAfterDays: 8}, 0, keys.Policy{RotateAfterDays: 8, OverlapDays: 7},
			"rotate_after_days (8) must be more than overlap_days + 1 (8): the old key is deleted a day after the overlap, before the next rotation"},
		{keys.Spec{OverlapDays: -1}, 0, keys.Policy{RotateAfterDays: 90, OverlapDays: -1},
			"overlap_days is -1: it must be at least 1, so that consumers have time to pick up a new key"},
	}
	for _, tt := range tests {
		got := tt.spec.Policy(tt.envDays)
		errText := ""
		if err := got.Validate(); err != nil {
			errText = err.Error()
		}
		if diff := cmp.Diff([]any{tt.want, tt.wantErr}, []any{got, errText}); diff != "" {
			t.Errorf("%+v with environment default %d (-want +got):\n%s", tt.spec, tt.envDays, diff)
		}
	}
}

// TestACrashDuringAFailedDeliveryResumes stops a run whose delivery failed
// before and after the undelivered key is deleted again.
func TestACrashDuringAFailedDeliveryResumes(t *testing.T) {
	t.Parallel()
	// Steps of a failed rotation: mark, create, deliver (fails), delete
	// the created key, clear the marker.
	for _, stop := range []int{3, 4} {
		t.Run(fmt.Sprintf("after step %d", stop), func(t *testing.T) {
			t.Parallel()
			want, got := &world{}, &world{}
			want.settle(t, at(0))
			got.settle(t, at(0))
			want.settle(t, at(90))
			got.run(t, at(90), stop, true)
			if stop == 3 && len(got.keys) != 2 {
				t.Fatalf("the crash left %v, want the undelivered key still there", got.view())
			}
			got.settle(t, at(90))
			if diff := cmp.Diff(want.view(), got.view()); diff != "" {
				t.Errorf("keys after resuming (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpecValidate(t *testing.T) {
	t.Parallel()
	sm := func(name string) keys.Spec { return keys.Spec{DeliverTo: keys.SecretsManager, SecretName: name} }
	tests := []struct {
		name string
		spec keys.Spec
		want []string
	}{
		{"secrets manager", sm("roster/ci-deployer"), nil},
		{"pgp", keys.Spec{DeliverTo: keys.PGP, PGPKey: "mQINBF..."}, nil},
		{"outside roster/", sm("prod/ci"), []string{`secret_name "prod/ci" must start with "roster/": roster's roles may only write secrets there`}},
		{"only the prefix", sm("roster/"), []string{`secret_name "roster/" must start with "roster/": roster's roles may only write secrets there`}},
		{"bad characters", sm("roster/ci deployer"), []string{`secret_name "roster/ci deployer" may only hold letters, digits and /_+=.@- (at most 512)`}},
		{"512 characters", sm("roster/" + strings.Repeat("k", 505)), nil},
		{"513 characters", sm("roster/" + strings.Repeat("k", 506)), []string{`secret_name "roster/` + strings.Repeat("k", 506) + `" may only hold letters, digits and /_+=.@- (at most 512)`}},
		{"pgp without key", keys.Spec{DeliverTo: keys.PGP, SecretName: "roster/x"}, []string{
			"deliver_to: pgp needs pgp_key, the public key the secret is encrypted to",
			"secret_name is only for deliver_to: secretsmanager; remove it",
		}},
		{"secrets manager with a key", keys.Spec{DeliverTo: keys.SecretsManager, SecretName: "roster/x", PGPKey: "k"}, []string{"pgp_key is only for deliver_to: pgp; remove it"}},
		{"unknown destination", keys.Spec{DeliverTo: "vault"}, []string{`deliver_to "vault": use secretsmanager or pgp`}},
		{"negative", keys.Spec{DeliverTo: keys.PGP, PGPKey: "k", OverlapDays: -2}, []string{"rotate_after_days and overlap_days count days: they cannot be negative"}},
		{"schedule", keys.Spec{DeliverTo: keys.PGP, PGPKey: "k", RotateAfterDays: 5, OverlapDays: 4}, []string{
			"rotate_after_days (5) must be more than overlap_days + 1 (5): the old key is deleted a day after the overlap, before the next rotation",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, err := range tt.spec.Validate(90) {
				got = append(got, err.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}
