package render

import (
	"github.com/roster-dev/roster/internal/plan"
)

// endItem is a grant whose end a pull request moves, for the plan comment
// and the terminal: "extends user alice in group prod-operators until
// 2026-12-03 22:00 UTC (was 2026-12-03 18:00 UTC)". Env, User and Group
// come from manifests: templates escape them; the rest is roster's words.
type endItem struct {
	Env        string
	Production bool
	// Verb comes first ("extends"), Kind and the names follow, then
	// After: "until …" or "permanent"; Was ends the line in parentheses.
	Verb, Kind, User, Group, After, Was string
}

func newEndItem(env *plan.Environment, c plan.EndChange) endItem {
	it := endItem{Env: env.Name, Production: env.Production, Kind: c.Kind.Noun(), User: c.User, Group: c.Group,
		After: "until " + c.Until, Was: "was " + c.Was}
	switch c.Move {
	case plan.EndExtended:
		it.Verb = "extends"
	case plan.EndShortened:
		it.Verb = "shortens"
	case plan.EndAdded:
		it.Verb, it.Was = "limits", "was permanent"
	case plan.EndRemoved:
		it.Verb, it.After, it.Was = "makes", "permanent", "was until "+c.Was
	default:
		it.Verb = string(c.Move)
	}
	return it
}

// EndItems lists every environment's moved ends, in review order.
func (v *planView) EndItems() []endItem {
	var out []endItem
	for _, e := range v.ReviewOrder {
		out = append(out, e.Ends...)
	}
	return out
}
