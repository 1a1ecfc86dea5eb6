package render

import (
	"slices"

	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/policy"
)

// This file picks out what a reviewer must never miss: changes that raise
// privileges (a managed policy attached, an inline policy added or
// changed, a group joined, a permissions boundary removed) and changes
// that destroy (a user, service account or group deleted, an access key
// deleted). Every plan comment lists them by name, the compact one too,
// above everything a long plan may lose. Admin-equivalent grants (the
// rules of policy/admin.go) are marked.

// attentionItem is one line of the list: what happens, to what, and to
// whom. Env, Target and Names come from manifests or AWS: templates escape
// them; Verb and Why are roster's words.
type attentionItem struct {
	Env        string
	Production bool
	// Destructive or raising; Admin marks an admin-equivalent grant.
	Destructive, Admin bool
	Verb               string
	Target             string
	// To says whom the change is to, after the target: "to user".
	To    string
	Why   string
	Names []string
}

// Icon is the item's mark: destroyed, admin-equivalent, or raised.
func (a attentionItem) Icon() string {
	switch {
	case a.Destructive:
		return "🗑️"
	case a.Admin:
		return "🔴"
	}
	return "⬆️"
}

// attention lists the privilege-raising and destructive changes of an
// environment's plan, destructive first, one item per kind of change and
// target with every name it applies to.
func attention(e *plan.Environment) []attentionItem {
	adminGroups := adminGroupsOf(e)
	var destroy, raise []attentionItem
	add := func(list *[]attentionItem, it attentionItem, name string) {
		it.Env, it.Production = e.Name, e.Production
		for i := range *list {
			o := &(*list)[i]
			if o.Verb == it.Verb && o.Target == it.Target && o.To == it.To && o.Admin == it.Admin {
				o.Names = append(o.Names, name)
				return
			}
		}
		it.Names = []string{name}
		*list = append(*list, it)
	}
	for _, ch := range e.Changes {
		noun := ch.Kind.Noun()
		if ch.Action == plan.Delete {
			add(&destroy, attentionItem{Destructive: true, Verb: "delete " + noun}, ch.Name)
			continue
		}
		for _, op := range ch.Ops {
			switch op.Type {
			case plan.OpDeleteAccessKey:
				add(&destroy, attentionItem{Destructive: true, Verb: "delete access key", Target: op.ID, To: "of " + noun}, ch.Name)
			case plan.OpAttachUserPolicy, plan.OpAttachGroupPolicy:
				rule := policy.ManagedRule(op.PolicyARN)
				add(&raise, attentionItem{Admin: rule != "", Verb: "attach", Target: op.PolicyARN, To: "to " + noun, Why: ruleWhy(rule)}, ch.Name)
			case plan.OpPutUserPolicy, plan.OpPutGroupPolicy:
				rule := policy.Inspect(op.PolicyDocument).Rule()
				add(&raise, attentionItem{Admin: rule != "", Verb: "put inline policy", Target: op.PolicyName, To: "on " + noun, Why: ruleWhy(rule)}, ch.Name)
			case plan.OpAddUserToGroup:
				admin := adminGroups[op.Group]
				why := ""
				if admin {
					why = "admin-equivalent group"
				}
				add(&raise, attentionItem{Admin: admin, Verb: "join group", Target: op.Group, To: "as " + noun, Why: why}, ch.Name)
			case plan.OpDeleteUserPermissionsBoundary:
				add(&raise, attentionItem{Verb: "remove the permissions boundary", To: "of " + noun}, ch.Name)
			default: // neither raises privilege nor destroys access on its own
			}
		}
	}
	for _, k := range e.AccessKeys {
		for _, s := range k.Steps {
			if s.Action == "delete" && s.KeyID != "" {
				add(&destroy, attentionItem{Destructive: true, Verb: "delete access key", Target: s.KeyID, To: "of service account"}, k.ServiceAccount)
			}
		}
	}
	// Admin-equivalent grants first among the raising ones.
	slices.SortStableFunc(raise, func(a, b attentionItem) int { return trueFirst(a.Admin, b.Admin) })
	return append(destroy, raise...)
}

// adminGroupsOf returns the groups this plan leaves admin-equivalent, from
// their desired state in the plan (groups the plan does not change are not
// known here, and are not marked).
func adminGroupsOf(e *plan.Environment) map[string]bool {
	out := map[string]bool{}
	for _, ch := range e.Changes {
		if ch.Kind != plan.KindGroup || ch.After == nil {
			continue
		}
		admin := slices.ContainsFunc(ch.After.ManagedPolicies, policy.IsAdminManaged)
		for _, doc := range ch.After.InlinePolicies {
			admin = admin || policy.Inspect(doc).Admin()
		}
		out[ch.Name] = admin
	}
	return out
}

// ruleWhy says why a grant is marked, or "".
func ruleWhy(r policy.Rule) string {
	if r == "" {
		return ""
	}
	return "admin-equivalent: " + string(r)
}

// AttentionItems are the privilege-raising and destructive changes of
// every environment, in review order.
func (v *planView) AttentionItems() []attentionItem {
	var out []attentionItem
	for _, e := range v.ReviewOrder {
		out = append(out, e.Attention...)
	}
	return out
}
