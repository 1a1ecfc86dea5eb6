package manifest

import (
	"errors"

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
	for _, name := range []string{"deliver_to", "secret_name", "pgp_key"} {
		e, ok := set(f, name)
		if !ok {
			continue
		}
		s, ok := d.str(e.val, name)
		if !ok {
			return
		}
		src.fields[name] = d.pos(d.node(e.val))
		switch name {
		case "deliver_to":
			spec.DeliverTo = keys.Destination(s)
		case "secret_name":
			spec.SecretName = s
		case "pgp_key":
			spec.PGPKey = s
		}
	}
	for _, fd := range []struct {
		name string
		dst  *int
	}{{"rotate_after_days", &spec.RotateAfterDays}, {"overlap_days", &spec.OverlapDays}} {
		e, ok := set(f, fd.name)
		if !ok {
			continue
		}
		i, ok := d.integer(e.val, fd.name)
		if !ok {
			return
		}
		src.fields[fd.name] = d.pos(d.node(e.val))
		*fd.dst = i
	}
	u.accessKey = src
	u.u.AccessKey = spec
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
