package plan

import (
	"strings"

	"github.com/roster-dev/roster/internal/manifest"
)

// EndMove is how a change to the manifests moves the end of one grant.
type EndMove string

// End moves. A grant the base does not have (a new user, a renamed one, a
// membership moved to another group) is new, not moved: the plan shows it
// with its end, and no EndChange.
const (
	// EndExtended: the grant ends later than it did.
	EndExtended EndMove = "extended"
	// EndShortened: the grant ends earlier than it did.
	EndShortened EndMove = "shortened"
	// EndAdded: a permanent grant now ends.
	EndAdded EndMove = "end_added"
	// EndRemoved: a time-bound grant no longer ends.
	EndRemoved EndMove = "end_removed"
)

// EndChange is a grant, kept by both the base branch and the change, whose
// end the change moves: a user's or service account's expires, or a
// membership's. Reviewers see an extension for what it is.
type EndChange struct {
	Move EndMove `json:"move"`
	GrantKey
	// Until is the new end in the words of Grant.Until; "" when the grant
	// no longer ends.
	Until string `json:"until,omitempty"`
	// Was is the base's end in the same words; "" when it had none.
	Was string `json:"was,omitempty"`
}

// EndChanges compares the grants of one environment's users as the base
// branch declares them with the change's: for every user or service
// account both declare (IAM names are case-insensitive) and neither marks
// absent, its own expires, then each membership both declare in the
// change's order, whose end differs. Ends are compared as instants, so a
// date and the midnight after it written as a time are the same end.
// Names are the change's. It is pure: base and head are not modified.
func EndChanges(base, head []*manifest.User) []EndChange {
	was := make(map[string]*manifest.User, len(base))
	for _, u := range base {
		if !u.Absent {
			was[strings.ToLower(u.Name)] = u
		}
	}
	var out []EndChange
	for _, u := range head {
		b, ok := was[strings.ToLower(u.Name)]
		if !ok || u.Absent {
			continue
		}
		own := GrantKey{Kind: kindOf(u), User: u.Name}
		if m, ok := moved(b.Expires, u.Expires); ok {
			out = append(out, endChange(m, own, b.Expires, u.Expires))
		}
		for _, g := range u.Groups {
			bg, ok := baseGroup(b, g)
			if !ok {
				continue
			}
			from, to := groupEnd(b, bg), groupEnd(u, g)
			if m, ok := moved(from, to); ok {
				membership := own
				membership.Group = g
				out = append(out, endChange(m, membership, from, to))
			}
		}
	}
	return out
}

// baseGroup finds g among b's groups, as IAM compares names.
func baseGroup(b *manifest.User, g string) (string, bool) {
	for _, bg := range b.Groups {
		if strings.EqualFold(bg, g) {
			return bg, true
		}
	}
	return "", false
}

func groupEnd(u *manifest.User, g string) *manifest.Expiry {
	if e, ok := u.GroupExpires[g]; ok {
		return &e
	}
	return nil
}

// moved says how the end moves from from to to (nil: no end), and false
// when it does not.
func moved(from, to *manifest.Expiry) (EndMove, bool) {
	switch {
	case from == nil && to == nil:
		return "", false
	case from == nil:
		return EndAdded, true
	case to == nil:
		return EndRemoved, true
	case to.End.After(from.End):
		return EndExtended, true
	case to.End.Before(from.End):
		return EndShortened, true
	default:
		return "", false
	}
}

func endChange(m EndMove, key GrantKey, from, to *manifest.Expiry) EndChange {
	c := EndChange{Move: m, GrantKey: key}
	if to != nil {
		c.Until = to.String()
	}
	if from != nil {
		c.Was = from.String()
	}
	return c
}

// CompareBase sets, on each environment of p, the grants whose end the
// change moves against base (the base branch's users by environment, from
// manifest.ReadBase); an environment base lacks is new and gets none.
// head holds the change's manifests.
func (p *Plan) CompareBase(head *manifest.Repository, base map[string][]*manifest.User) {
	for _, e := range p.Environments {
		e.EndChanges = nil
		menv := head.Environment(e.Name)
		b, ok := base[e.Name]
		if menv == nil || !ok {
			continue
		}
		e.EndChanges = EndChanges(b, menv.Users)
	}
}

// MovesEnds reports whether the change moves the end of any grant.
func (p *Plan) MovesEnds() bool {
	for _, e := range p.Environments {
		if len(e.EndChanges) > 0 {
			return true
		}
	}
	return false
}
