package policy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Versions of the IAM policy language. 2008-10-17 is the old version: it is
// valid but does not support policy variables.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

var (
	sidPattern = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	// actionPattern is "*" or service:action, where the action may hold the
	// wildcards * and ?. Service prefixes and action names are matched
	// case-insensitively by IAM.
	actionPattern = regexp.MustCompile(`^(\*|[A-Za-z0-9-]+:[A-Za-z0-9*?-]+)$`)
	// resourcePattern is "*" or an ARN with its six parts; wildcards and
	// policy variables may appear anywhere.
	resourcePattern = regexp.MustCompile(`^(\*|arn:[^:]+:[^:]*:[^:]*:[^:]*:.+)$`)
)

// conditionOperators are the base condition operators of the IAM policy
// grammar; each may carry the IfExists suffix (except Null) and the
// ForAllValues: or ForAnyValue: set prefix.
var conditionOperators = []string{
	"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
	"StringLike", "StringNotLike",
	"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
	"NumericGreaterThan", "NumericGreaterThanEquals",
	"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
	"DateGreaterThan", "DateGreaterThanEquals",
	"Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
	"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
	"Null",
}

// topLevelKeys and statementKeys are the elements the grammar allows.
var (
	topLevelKeys  = []string{"Version", "Id", "Statement"}
	statementKeys = []string{"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)

// Validate checks the grammar of an identity-based policy document decoded
// into Go values. It returns every problem it finds, in document order
// (top-level elements in the order Version, Id, Statement, unknown keys
// sorted; statements in list order).
//
// Version may be omitted (IAM then assumes 2008-10-17); Principal and
// NotPrincipal are problems because identity-based policies name no
// principal.
func Validate(doc any) []Problem {
	v, err := normalize(doc)
	if err != nil {
		return []Problem{{Message: err.Error()}}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return []Problem{{Message: fmt.Sprintf("a policy document must be an object with Version and Statement, not %s", typeName(v))}}
	}
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}

	if ver, ok := m["Version"]; ok {
		switch s, isString := ver.(string); {
		case !isString:
			add("Version", "Version must be the string %q, not %s", Version2012, typeName(ver))
		case s != Version2012 && s != Version2008:
			add("Version", "Version %q is not a policy language version; use %q", s, Version2012)
		}
	}
	if id, ok := m["Id"]; ok {
		if _, isString := id.(string); !isString {
			add("Id", "Id must be a string, not %s", typeName(id))
		}
	}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(topLevelKeys, k) {
			add(k, "unknown policy element %q; a policy document holds only Version, Id and Statement", k)
		}
	}

	st, ok := m["Statement"]
	if !ok {
		add("", "the policy document has no Statement")
		return ps
	}
	sids := map[string]string{}
	switch x := st.(type) {
	case map[string]any:
		ps = append(ps, validateStatement("Statement", x, sids)...)
	case []any:
		if len(x) == 0 {
			add("Statement", "Statement is an empty list; a policy needs at least one statement")
		}
		for i, e := range x {
			path := fmt.Sprintf("Statement[%d]", i)
			s, ok := e.(map[string]any)
			if !ok {
				add(path, "a statement must be an object, not %s", typeName(e))
				continue
			}
			ps = append(ps, validateStatement(path, s, sids)...)
		}
	default:
		add("Statement", "Statement must be an object or a list of objects, not %s", typeName(st))
	}
	return ps
}

// validateStatement checks one statement; sids maps every Sid seen so far to
// the path of the statement that declared it.
func validateStatement(path string, s map[string]any, sids map[string]string) []Problem {
	var ps []Problem
	add := func(key, format string, args ...any) {
		p := path
		if key != "" {
			p += "." + key
		}
		ps = append(ps, Problem{Path: p, Message: fmt.Sprintf(format, args...)})
	}

	if sid, ok := s["Sid"]; ok {
		str, isString := sid.(string)
		switch {
		case !isString:
			add("Sid", "Sid must be a string, not %s", typeName(sid))
		case !sidPattern.MatchString(str):
			add("Sid", "Sid %q may hold only letters A-Z, a-z and digits 0-9", str)
		case sids[str] != "":
			add("Sid", "Sid %q is already used by %s; Sids must be unique within a policy", str, sids[str])
		default:
			sids[str] = path
		}
	}

	switch eff, ok := s["Effect"]; {
	case !ok:
		add("", "the statement has no Effect; add Effect: Allow or Effect: Deny")
	case eff != "Allow" && eff != "Deny":
		if str, isString := eff.(string); isString {
			add("Effect", "Effect %q must be Allow or Deny (case-sensitive)", str)
		} else {
			add("Effect", "Effect must be Allow or Deny, not %s", typeName(eff))
		}
	}

	ps = append(ps, exactlyOne(path, s, "Action", "NotAction", actionPattern,
		`an action is "*" or service:Action, for example s3:GetObject or s3:Get*`)...)
	ps = append(ps, exactlyOne(path, s, "Resource", "NotResource", resourcePattern,
		`a resource is "*" or an ARN, for example arn:aws:s3:::my-bucket/*`)...)

	if cond, ok := s["Condition"]; ok {
		for _, msg := range validateCondition(cond) {
			add("Condition", "%s", msg)
		}
	}

	for _, k := range sortedKeys(s) {
		switch {
		case k == "Principal" || k == "NotPrincipal":
			add(k, "%s is not allowed in an identity-based policy: the policy applies to the user or group it is attached to", k)
		case !slices.Contains(statementKeys, k):
			add(k, "unknown statement element %q; a statement holds Sid, Effect, Action or NotAction, Resource or NotResource, and Condition", k)
		}
	}
	return ps
}

// exactlyOne checks that a statement holds exactly one of two elements (such
// as Action and NotAction) and that its value is a string or a non-empty
// list of strings matching pattern.
func exactlyOne(path string, s map[string]any, key, notKey string, pattern *regexp.Regexp, hint string) []Problem {
	v, has := s[key]
	nv, hasNot := s[notKey]
	switch {
	case has && hasNot:
		return []Problem{{Path: path + "." + notKey, Message: fmt.Sprintf("a statement holds %s or %s, not both", key, notKey)}}
	case !has && !hasNot:
		return []Problem{{Path: path, Message: fmt.Sprintf("the statement has no %s (or %s)", key, notKey)}}
	case hasNot:
		key, v = notKey, nv
	}
	p := path + "." + key
	var values []any
	switch x := v.(type) {
	case string:
		values = []any{x}
	case []any:
		if len(x) == 0 {
			return []Problem{{Path: p, Message: fmt.Sprintf("%s is an empty list", key)}}
		}
		values = x
	default:
		return []Problem{{Path: p, Message: fmt.Sprintf("%s must be a string or a list of strings, not %s", key, typeName(v))}}
	}
	var ps []Problem
	for i, e := range values {
		where := key
		if _, isList := v.([]any); isList {
			where = fmt.Sprintf("%s[%d]", key, i)
		}
		str, ok := e.(string)
		switch {
		case !ok:
			ps = append(ps, Problem{Path: p, Message: fmt.Sprintf("%s must be a string, not %s", where, typeName(e))})
		case !pattern.MatchString(str):
			ps = append(ps, Problem{Path: p, Message: fmt.Sprintf("%s %q is not valid: %s", where, str, hint)})
		}
	}
	return ps
}

// validateCondition checks a Condition block: operator → condition key →
// value or list of values. It returns one message per problem.
func validateCondition(cond any) []string {
	ops, ok := cond.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("Condition must be a map of condition operators, not %s", typeName(cond))}
	}
	var msgs []string
	for _, op := range sortedKeys(ops) {
		if !validOperator(op) {
			msgs = append(msgs, fmt.Sprintf("%q is not a condition operator (for example StringEquals, ArnLike, Bool, ForAnyValue:StringLike, StringEqualsIfExists)", op))
		}
		keys, ok := ops[op].(map[string]any)
		if !ok {
			msgs = append(msgs, fmt.Sprintf("%s must be a map of condition keys to values, not %s", op, typeName(ops[op])))
			continue
		}
		if len(keys) == 0 {
			msgs = append(msgs, fmt.Sprintf("%s names no condition key", op))
		}
		for _, k := range sortedKeys(keys) {
			if k == "" {
				msgs = append(msgs, fmt.Sprintf("%s has an empty condition key", op))
			}
			switch x := keys[k].(type) {
			case string, bool, json.Number:
			case []any:
				if len(x) == 0 {
					msgs = append(msgs, fmt.Sprintf("%s %s is an empty list", op, k))
				}
				for i, e := range x {
					switch e.(type) {
					case string, bool, json.Number:
					default:
						msgs = append(msgs, fmt.Sprintf("%s %s[%d] must be a string, boolean or number, not %s", op, k, i, typeName(e)))
					}
				}
			default:
				msgs = append(msgs, fmt.Sprintf("%s %s must be a string, boolean, number or a list of them, not %s", op, k, typeName(x)))
			}
		}
	}
	return msgs
}

// validOperator reports whether op is a condition operator, with its
// optional set prefix and IfExists suffix.
func validOperator(op string) bool {
	for _, prefix := range []string{"ForAllValues:", "ForAnyValue:"} {
		if rest, ok := strings.CutPrefix(op, prefix); ok {
			op = rest
			break
		}
	}
	if base, ok := strings.CutSuffix(op, "IfExists"); ok && base != "Null" {
		op = base
	}
	return slices.Contains(conditionOperators, op)
}

// typeName names a normalized value's type the way a policy author thinks of
// it.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// sortedKeys returns a map's keys in order, so problems come out in a stable
// order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
