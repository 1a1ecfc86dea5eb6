package plan

import (
	"slices"
	"time"

	"github.com/roster-dev/roster/internal/manifest"
)

// GrantKey says which grant of the manifests can end: a user or service
// account itself (Group empty), or one of its group memberships.
type GrantKey struct {
	Kind  Kind   `json:"kind"`
	User  string `json:"user"`
	Group string `json:"group,omitempty"`
}

// Grant is a time-bound grant that stays in the account until its end.
type Grant struct {
	GrantKey
	// Until says the end as reviewers read it: "2026-12-03 18:00 UTC", or
	// "the end of 2027-03-31 UTC" for a date.
	Until string `json:"until"`
	// Ends is the first instant without the grant.
	Ends time.Time `json:"ends"`
}

// timeBound lists the desired users' grants that have not ended, by user
// then in manifest order.
func (d *differ) timeBound() []Grant {
	var out []Grant
	for _, name := range sortedKeys(d.want) {
		w := d.want[name]
		for _, g := range w.m.Grants() {
			if g.Passed(d.now) {
				continue
			}
			gr := Grant{GrantKey: GrantKey{Kind: kindOf(w.m), User: name}, Until: g.String(), Ends: g.End}
			if g.Group != "" {
				gr.Group = d.groupName(g.Group)
			}
			out = append(out, gr)
		}
	}
	return out
}

// ExpiryOnly is the part of env's plan that enforces expiry: the Delete of
// every user and service account whose expires has passed (its whole
// teardown), and the RemoveUserFromGroup of every membership whose expires
// has passed. Everything else is returned as skipped, unchanged, for the
// log. The result is ordered, refused when it deletes more users than
// menv's max_deletions, and carries its own digest; env is not modified.
// It has no access key steps: rotating or delivering a key is not an
// expiry (a key of an expired service account goes with its teardown).
//
// An adoption is skipped whole: taking over an untagged user is not an
// expiry, and the user stays unmanaged until a reviewed apply adopts it.
func ExpiryOnly(env *Environment, menv *manifest.Environment) (keep *Environment, skipped []Change) {
	out := *env
	out.Changes = []Change{}
	out.Refused = ""
	out.AccessKeys = nil
	deletes := 0
	for _, ch := range env.Changes {
		switch {
		case ch.Action == Delete && ch.Expired:
			out.Changes = append(out.Changes, ch)
			deletes++
		case ch.Action == Update && len(ch.EndedGroups) > 0:
			kept, rest := splitEnded(ch)
			out.Changes = append(out.Changes, kept)
			if rest != nil {
				skipped = append(skipped, *rest)
			}
		default:
			skipped = append(skipped, ch)
		}
	}
	Order(out.Changes)
	out.Refused = refusal(menv, deletes)
	out.Digest = DigestOf(out.AccountID, out.Changes)
	return &out, skipped
}

// splitEnded splits an Update into the removal of its ended memberships
// and, when it does more, the rest of it.
func splitEnded(ch Change) (kept Change, rest *Change) {
	kept = Change{Action: Update, Kind: ch.Kind, Name: ch.Name, Reason: ch.Reason, EndedGroups: ch.EndedGroups}
	before := *ch.Before
	after := before
	after.Groups = slices.DeleteFunc(slices.Clone(before.Groups), func(g string) bool { return slices.Contains(ch.EndedGroups, g) })
	kept.Before, kept.After = &before, &after
	var other []Op
	for _, op := range ch.Ops {
		if op.Type == OpRemoveUserFromGroup && slices.Contains(ch.EndedGroups, op.Group) {
			kept.Ops = append(kept.Ops, op)
		} else {
			other = append(other, op)
		}
	}
	if len(other) == 0 {
		return kept, nil
	}
	r := ch
	r.Ops, r.Reason, r.EndedGroups = other, "", nil
	return kept, &r
}
