package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/state"
)

// AccessKey is what happens now to the access key of one service account
// with an access_key block: the lifecycle's steps (package keys) with their
// reasons, the keys a person must look at, or why nothing may happen.
//
// Access key steps are not part of the digest: they follow from the
// reviewed access_key block, the keys' ages and the clock, and a rotation
// falls due on a schedule, not in a pull request.
type AccessKey struct {
	ServiceAccount string `json:"service_account"`
	// Destination says where a new key's secret goes, for people:
	// "Secrets Manager roster/ci-deployer" or "PGP message in the apply report".
	Destination string `json:"destination"`
	DeliverTo   string `json:"deliver_to"`
	SecretName  string `json:"secret_name,omitempty"`
	// PGPKey is the key a pgp delivery encrypts to; renderers show its
	// fingerprint.
	PGPKey string `json:"-"`
	// Summary is the plan's one line for the change, such as "create
	// access key for ci-deployer → Secrets Manager roster/ci-deployer".
	Summary  string           `json:"summary,omitempty"`
	Steps    []AccessKeyStep  `json:"steps,omitempty"`
	Findings []keys.Finding   `json:"-"`
	Notes    []AccessKeyIssue `json:"findings,omitempty"`
	// Refused says why no step may run (the secret is not roster's).
	Refused string `json:"refused,omitempty"`
	// Decision is what apply runs.
	Decision keys.Decision `json:"-"`
	// Delivered is what the destination held when planned; a pgp delivery
	// records the new key after it (keys.Delivered.Record).
	Delivered keys.Delivered `json:"-"`
	// OwnershipTag is the tag key a secret roster owns carries ("true").
	OwnershipTag string `json:"-"`
}

// AccessKeyStep is one lifecycle step as plans show it.
type AccessKeyStep struct {
	Action string `json:"action"`
	// KeyID is the key acted on; empty for the key the step's run creates.
	KeyID  string `json:"key_id,omitempty"`
	Reason string `json:"reason"`
}

// AccessKeyIssue is a key a person must look at: one made by hand beside
// the managed key, or a rotation that needs a third key.
type AccessKeyIssue struct {
	Kind   string `json:"kind"`
	KeyID  string `json:"key_id,omitempty"`
	Detail string `json:"detail"`
}

// Finding kinds of AccessKeyIssue.
const (
	KeyHandMade = "hand-made-key"
	KeyBlocked  = "rotation-blocked"
)

// HasSteps reports whether applying would change the key. It reads the
// steps as plans show them, which a plan read back from its JSON form keeps
// (the decision stays with the plan that computed it).
func (a *AccessKey) HasSteps() bool { return len(a.Steps) > 0 }

// accessKeys plans the keys of the desired service accounts with an
// access_key block, by name.
func (d *differ) accessKeys(now time.Time) []AccessKey {
	var out []AccessKey
	for _, name := range sortedKeys(d.want) {
		w := d.want[name]
		if w.m.AccessKey == nil {
			continue
		}
		if a, ok := d.accessKey(w, d.live.Users[name], now); ok {
			out = append(out, a)
		}
	}
	return out
}

func (d *differ) accessKey(w *wantUser, lu *state.User, now time.Time) (AccessKey, bool) {
	spec := *w.m.AccessKey
	a := AccessKey{ServiceAccount: w.name, DeliverTo: string(spec.DeliverTo), SecretName: spec.SecretName, PGPKey: spec.PGPKey, OwnershipTag: d.ownTag}
	a.Destination = "PGP message in the apply report"
	in := keys.Input{Policy: spec.Policy(d.env.Guardrails.MaxAccessKeyAgeDays), Now: now}
	if spec.DeliverTo == keys.SecretsManager {
		a.Destination = "Secrets Manager " + spec.SecretName
		sec, read := d.live.Secrets[spec.SecretName]
		switch {
		case !read:
			d.warnf("the access key of %s is not planned: secret %s was not read", w.name, spec.SecretName)
			return a, false
		case sec.Exists && sec.Tags[d.ownTag] != "true":
			a.Refused = fmt.Sprintf("secret %s exists but is not tagged %s=true, so roster does not overwrite it and creates no key: choose another secret_name, or tag the secret %s=true if roster should own it",
				spec.SecretName, d.ownTag, d.ownTag)
			a.Summary = fmt.Sprintf("no access key for %s: %s", w.name, a.Refused)
			return a, true
		}
		in.Delivered = keys.Delivered{Current: sec.Current, Previous: sec.Previous}
	}
	if lu != nil {
		if !lu.Details.Has(state.AccessKeys) {
			d.warnf("the access key of %s is not planned: its access keys were not read", w.name)
			return a, false
		}
		for _, k := range lu.AccessKeys {
			in.Keys = append(in.Keys, keys.Key{ID: k.ID, Status: keys.Status(k.Status), Created: k.Created})
		}
		if v, ok := lu.Tags[keys.PendingTag]; ok {
			in.Pending = &keys.Pending{Before: strings.Fields(v)}
		}
		if spec.DeliverTo == keys.PGP {
			in.Delivered = keys.ParseDelivered(lu.Tags[keys.DeliveredTag])
		}
	}
	a.Decision = keys.Evaluate(in)
	a.Delivered = in.Delivered
	for _, s := range a.Decision.Steps {
		a.Steps = append(a.Steps, AccessKeyStep{Action: strings.ReplaceAll(s.Action.String(), " ", "_"), KeyID: s.KeyID, Reason: s.Reason})
	}
	for _, f := range a.Decision.Findings {
		kind := KeyHandMade
		if f.Kind == keys.Blocked {
			kind = KeyBlocked
		}
		a.Notes = append(a.Notes, AccessKeyIssue{Kind: kind, KeyID: f.KeyID, Detail: f.Detail})
	}
	a.Findings = a.Decision.Findings
	a.Summary = summary(a, in)
	return a, a.Summary != "" || len(a.Notes) > 0
}

// summary is the plan's line for a service account's key steps, or "".
func summary(a AccessKey, in keys.Input) string {
	var parts []string
	steps := a.Decision.Steps
	has := func(act keys.Action) bool {
		return slices.ContainsFunc(steps, func(s keys.Step) bool { return s.Action == act })
	}
	for _, s := range steps {
		if s.Action == keys.Delete && s.KeyID != "" && !slices.ContainsFunc(in.Keys, func(k keys.Key) bool {
			return k.ID == s.KeyID && (k.ID == in.Delivered.Current || k.ID == in.Delivered.Previous)
		}) {
			parts = append(parts, fmt.Sprintf("delete undelivered access key %s of %s", s.KeyID, a.ServiceAccount))
		}
	}
	switch {
	case has(keys.Create) && in.Delivered.Current != "" && slices.ContainsFunc(in.Keys, func(k keys.Key) bool { return k.ID == in.Delivered.Current && k.Status == keys.Active }):
		off := dateOf(in.Now).AddDate(0, 0, in.Policy.OverlapDays)
		parts = append(parts, fmt.Sprintf("rotate: new key for %s → %s, old key %s deactivated on %s, deleted on %s",
			a.ServiceAccount, a.Destination, in.Delivered.Current, off.Format(time.DateOnly), off.AddDate(0, 0, 1).Format(time.DateOnly)))
	case has(keys.Create):
		parts = append(parts, fmt.Sprintf("create access key for %s → %s", a.ServiceAccount, a.Destination))
	}
	for _, s := range steps {
		switch {
		case s.Action == keys.Deactivate:
			parts = append(parts, fmt.Sprintf("deactivate old access key %s of %s (deleted on %s)", s.KeyID, a.ServiceAccount, dateOf(in.Now).AddDate(0, 0, 1).Format(time.DateOnly)))
		case s.Action == keys.Delete && s.KeyID != "" && s.KeyID == in.Delivered.Previous:
			parts = append(parts, fmt.Sprintf("delete old access key %s of %s", s.KeyID, a.ServiceAccount))
		case s.Action == keys.Activate:
			parts = append(parts, fmt.Sprintf("activate access key %s of %s again: %s holds it", s.KeyID, a.ServiceAccount, a.Destination))
		}
	}
	if len(parts) == 0 && has(keys.ClearPending) {
		parts = append(parts, fmt.Sprintf("clear the pending mark of %s", a.ServiceAccount))
	}
	return strings.Join(parts, "; ")
}

// lifecycleTagsRemoved returns tags without the access key lifecycle's own
// tags, which the tag diff leaves alone.
func lifecycleTagsRemoved(tags map[string]string) map[string]string {
	for k := range tags {
		if keys.LifecycleTag(k) {
			delete(tags, k)
		}
	}
	return tags
}
