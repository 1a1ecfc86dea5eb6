package plan

import (
	"cmp"
	"slices"
	"strings"
)

// Phase is the step of an apply a change belongs to. Apply runs the phases
// in ascending order, one after the other; the changes of one phase are
// independent of each other and may run at once.
type Phase int

// Phases, in the order apply runs them.
const (
	// PhaseGroupCreate: groups the plan creates, first, because users of
	// later phases (adoptions included) may join them.
	PhaseGroupCreate Phase = iota
	// PhaseAdopt: adoptions, so that an existing user carries the
	// ownership tag before anything else about it changes.
	PhaseAdopt
	// PhaseGroupUpdate: path and policy changes of existing groups, before
	// users join them.
	PhaseGroupUpdate
	// PhaseUserChange: creates and updates of users and service accounts.
	PhaseUserChange
	// PhaseUserDelete: offboarding of users and service accounts.
	PhaseUserDelete
	// PhaseGroupDelete: groups marked absent, last, once their members
	// have left them.
	PhaseGroupDelete
)

// PhaseCount is the number of phases.
const PhaseCount = int(PhaseGroupDelete) + 1

// phaseOf places a change in its phase.
func phaseOf(ch *Change) Phase {
	group := ch.Kind == KindGroup
	switch {
	case group && ch.Action == Create:
		return PhaseGroupCreate
	case ch.Action == Adopt:
		return PhaseAdopt
	case group && ch.Action == Delete:
		return PhaseGroupDelete
	case group:
		return PhaseGroupUpdate
	case ch.Action == Delete:
		return PhaseUserDelete
	default:
		return PhaseUserChange
	}
}

// Order puts changes in apply order and records it on each of them: it
// sorts them by phase (stable, so the order within a phase is kept) and
// sets every change's Phase and DependsOn. It is the one place that decides
// what runs before what; apply only follows the result.
//
// Dependencies point only at changes of earlier phases:
//
//   - a user or service account change depends on the change of every group
//     it adds the user to (AddUserToGroup), because joining a half-built
//     group could grant more than the manifests say; leaving a group does
//     not wait for anything.
//   - a group delete depends on every other change that is about the group
//     or has an operation on it (members leaving it in their own changes).
//
// Group names are compared case-insensitively, as IAM does. Diff calls
// Order; Phase and DependsOn are derived from the changes alone, so the
// digest leaves them out.
func Order(changes []Change) {
	slices.SortStableFunc(changes, func(a, b Change) int { return cmp.Compare(phaseOf(&a), phaseOf(&b)) })
	for i := range changes {
		changes[i].Phase = phaseOf(&changes[i])
	}
	for i := range changes {
		changes[i].DependsOn = dependencies(changes, i)
	}
}

// dependencies lists, ascending, the changes of earlier phases change i
// waits for; nil when none. changes carry their Phase.
func dependencies(changes []Change, i int) []int {
	ch := &changes[i]
	var wait func(other *Change) bool
	switch {
	case ch.Kind != KindGroup:
		joins := joinedGroups(ch)
		if len(joins) == 0 {
			return nil
		}
		wait = func(other *Change) bool {
			return other.Kind == KindGroup && slices.Contains(joins, strings.ToLower(other.Name))
		}
	case ch.Action == Delete:
		name := strings.ToLower(ch.Name)
		wait = func(other *Change) bool { return touchesGroup(other, name) }
	default:
		return nil
	}
	var deps []int
	for k := range changes {
		if other := &changes[k]; other.Phase < ch.Phase && wait(other) {
			deps = append(deps, k)
		}
	}
	return deps
}

// joinedGroups lists, lower-cased, the groups a user change adds the user to.
func joinedGroups(ch *Change) []string {
	var out []string
	for _, op := range ch.Ops {
		if op.Type == OpAddUserToGroup {
			out = append(out, strings.ToLower(op.Group))
		}
	}
	return out
}

// touchesGroup reports whether a change is about the group (lower-case name)
// or has an operation on it.
func touchesGroup(ch *Change, name string) bool {
	if ch.Kind == KindGroup && strings.ToLower(ch.Name) == name {
		return true
	}
	return slices.ContainsFunc(ch.Ops, func(op Op) bool { return strings.ToLower(op.Group) == name })
}
