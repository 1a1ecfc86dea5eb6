package manifest

import (
	"errors"

	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/keys"
)

// accessKeySrc is a service account's access_key block as read: where the
// block and each of its fields are, for validation's findings.
type accessKeySrc struct {
	pos    diag.Pos
	fields map[string]diag.Pos
}

// accessKey reads a service account's access_key block. Its problems are
// reported by checkAccessKey, once the environment's guardrails are known.
func (l *loader) accessKey(d *decoder, e entry, u *userSrc, label string) {
	f, ok := d.fields(e.val, "access_key of "+label, AccessKeyFields.Names(), nil)
	if !ok {
		return
	}
	src := accessKeySrc{pos: d.pos(e.key), fields: map[string]diag.Pos{}}
	spec := &keys.Spec{}
	// A value of the wrong type leaves the block unread, so that
	// checkAccessKey judges no half-read block.
	var deliverTo string
	if !keyField(d, f, src, "deliver_to", d.str, &deliverTo) ||
		!keyField(d, f, src, "secret_name", d.str, &spec.SecretName) ||
		!keyField(d, f, src, "pgp_key", d.str, &spec.PGPKey) ||
		!keyField(d, f, src, "rotate_after_days", d.integer, &spec.RotateAfterDays) ||
		!keyField(d, f, src, "overlap_days", d.integer, &spec.OverlapDays) {
		return
	}
	spec.DeliverTo = keys.Destination(deliverTo)
	u.accessKey = src
	u.u.AccessKey = spec
}

// keyField reads field name of an access_key block with get into dst, and
// notes in src where it is written. It is false when f sets the field to a
// value get refused.
func keyField[T any](d *decoder, f map[string]entry, src accessKeySrc, name string, get func(*yaml.Node, string) (T, bool), dst *T) bool {
	v, val, ok := typed(f, name, get)
	if ok {
		src.fields[name] = d.pos(d.node(val))
		*dst = v
	}
	return ok || val == nil
}

// checkAccessKey reports every problem of a service account's access_key
// block, each at the field at fault: the destination and its name or key,
// and a schedule that fits IAM's two keys.
func (l *loader) checkAccessKey(env *envSrc, u *userSrc) {
	spec := u.u.AccessKey
	if spec == nil {
		return
	}
	label := kindLabel(u.u)
	at := func(field string) diag.Pos {
		if p, ok := u.accessKey.fields[field]; ok {
			return p
		}
		return u.accessKey.pos
	}
	if _, ok := u.accessKey.fields["deliver_to"]; !ok {
		l.diags.Errorf(u.accessKey.pos, ruleAccessKey, "add deliver_to: secretsmanager (with secret_name: roster/...) or deliver_to: pgp (with pgp_key:)",
			"access_key of %s has no deliver_to", label)
		return
	}
	for _, err := range spec.Validate(env.env.Guardrails.MaxAccessKeyAgeDays) {
		field := "deliver_to"
		if fe, ok := errors.AsType[*keys.FieldError](err); ok {
			field = fe.Field
		}
		l.diags.Errorf(at(field), ruleAccessKey, accessKeyHint(field), "access_key of %s: %v", label, err)
	}
	if spec.DeliverTo == keys.PGP && spec.PGPKey != "" {
		if err := l.checkPGPKey(spec.PGPKey); err != nil {
			l.diags.Errorf(at("pgp_key"), ruleAccessKey, "paste the output of gpg --export --armor EMAIL of the team that receives the key, or its binary form in base64",
				"access_key of %s: pgp_key is not usable: %v", label, err)
		}
	}
}

// accessKeyHint says what to do about a problem of an access_key field.
func accessKeyHint(field string) string {
	switch field {
	case "secret_name":
		return "name a secret under roster/, for example roster/<service account>; roster's roles may write only there"
	case "pgp_key":
		return "remove pgp_key, or use deliver_to: pgp"
	case "rotate_after_days", "overlap_days":
		return "keep rotate_after_days above overlap_days + 1, for example 90 and 7"
	}
	return "use deliver_to: secretsmanager with secret_name, or deliver_to: pgp with pgp_key"
}
