package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Problem is one grammar or quota problem in a policy document. Path points
// into the document, for example "Statement[1].Effect"; it is empty for the
// document as a whole. The package documentation lists every form of Path.
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Canonical returns the canonical JSON form of a policy document. The input
// may be URL-encoded (as IAM returns documents) or plain JSON.
func Canonical(doc string) (string, error) {
	v, err := parseJSON(doc)
	if err != nil {
		decoded, uerr := url.QueryUnescape(doc)
		if uerr != nil {
			return "", fmt.Errorf("policy document is neither JSON nor URL-encoded JSON: %w", err)
		}
		v, err = parseJSON(decoded)
		if err != nil {
			return "", fmt.Errorf("parse URL-decoded policy document: %w", err)
		}
	}
	return CanonicalValue(v)
}

// parseJSON decodes exactly one JSON value, keeping numbers as written.
func parseJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON document")
	}
	return v, nil
}

// CanonicalValue returns the canonical JSON form of a document already
// decoded into Go values (maps, slices, strings, numbers, bools), as the
// manifest loader has it after decoding YAML. A time.Time (an unquoted YAML
// date such as Version: 2012-10-17) becomes the date string as written.
func CanonicalValue(doc any) (string, error) {
	v, err := normalize(doc)
	if err != nil {
		return "", err
	}
	if m, ok := v.(map[string]any); ok {
		canonicalDocument(m)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("encode policy document: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// normalize turns decoded YAML or JSON values into JSON-compatible values:
// map[string]any, []any, string, bool, json.Number and nil.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case json.Number:
		return normalNumber(string(x)), nil
	case int:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case int8, int16, int32, int64:
		return json.Number(strconv.FormatInt(reflect.ValueOf(x).Int(), 10)), nil
	case uint, uint8, uint16, uint32, uint64, uintptr:
		return json.Number(strconv.FormatUint(reflect.ValueOf(x).Uint(), 10)), nil
	case float32:
		return floatNumber(float64(x))
	case float64:
		return floatNumber(x)
	case time.Time:
		return timeString(x), nil
	case map[string]any:
		return normalizeMap(x)
	case map[string]string:
		return normalizeMap(x)
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ks, err := keyString(k)
			if err != nil {
				return nil, err
			}
			if _, dup := out[ks]; dup {
				return nil, fmt.Errorf("policy document has the key %q twice", ks)
			}
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[ks] = n
		}
		return out, nil
	case []any:
		return normalizeList(x)
	case []string:
		return normalizeList(x)
	default:
		return nil, fmt.Errorf("policy document holds a value of unsupported type %T", v)
	}
}

// normalizeMap normalizes every value of a mapping with string keys.
func normalizeMap[V any](x map[string]V) (map[string]any, error) {
	out := make(map[string]any, len(x))
	return out, normalizeEach(maps.All(x), func(k string, n any) { out[k] = n })
}

// normalizeList normalizes every element of a list.
func normalizeList[E any](x []E) ([]any, error) {
	out := make([]any, len(x))
	return out, normalizeEach(slices.All(x), func(i int, n any) { out[i] = n })
}

// normalizeEach normalizes each value of seq and hands it to put with its
// key, stopping at the first error.
func normalizeEach[K, V any](seq iter.Seq2[K, V], put func(K, any)) error {
	for k, v := range seq {
		n, err := normalize(v)
		if err != nil {
			return err
		}
		put(k, n)
	}
	return nil
}

// keyString turns a non-string mapping key (YAML allows them) into the JSON
// object key it stands for.
func keyString(k any) (string, error) {
	switch x := k.(type) {
	case string:
		return x, nil
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Time:
		return timeString(x), nil
	}
	n, err := normalize(k)
	if err != nil {
		return "", err
	}
	if num, ok := n.(json.Number); ok {
		return string(num), nil
	}
	return "", fmt.Errorf("policy document has a mapping key of unsupported type %T", k)
}

// timeString renders a YAML timestamp as it was most likely written: a bare
// date for midnight UTC, RFC 3339 otherwise.
func timeString(t time.Time) string {
	if t.Location() == time.UTC && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format(time.DateOnly)
	}
	return t.Format(time.RFC3339Nano)
}

// normalNumber rewrites a JSON number literal so that equal numbers are
// written the same way ("1.0" and "1" both become "1"). Literals Go cannot
// represent exactly are kept as written.
func normalNumber(s string) json.Number {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10))
		}
		return json.Number(s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return json.Number(s)
	}
	n, err := floatNumber(f)
	if err != nil {
		return json.Number(s)
	}
	return n.(json.Number)
}

// floatNumber writes a float the way encoding/json does, with integral
// values written as integers.
func floatNumber(f float64) (any, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("policy document holds the number %v, which JSON cannot represent", f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return json.Number(strconv.FormatInt(int64(f), 10)), nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode number: %w", err)
	}
	return json.Number(b), nil
}

// listOrString are the statement elements whose value may be one string or
// a list of strings.
var listOrString = []string{"Action", "NotAction", "Resource", "NotResource"}

// canonicalDocument applies the IAM equivalences to a normalized document in
// place: Statement becomes a list, one-element lists of the string-or-list
// elements become the element.
func canonicalDocument(doc map[string]any) {
	st, ok := doc["Statement"]
	if !ok {
		return
	}
	if m, isMap := st.(map[string]any); isMap {
		st = []any{m}
		doc["Statement"] = st
	}
	// A value of another shape than the grammar's reads as a nil list or
	// mapping here: nothing in it to collapse.
	list, _ := st.([]any)
	for _, s := range list {
		m, _ := s.(map[string]any)
		for _, k := range listOrString {
			if v, ok := m[k]; ok {
				m[k] = collapse(v)
			}
		}
		cond, _ := m["Condition"].(map[string]any)
		for _, op := range cond {
			keys, _ := op.(map[string]any)
			for k, v := range keys {
				keys[k] = collapse(v)
			}
		}
	}
}

// collapse turns a one-element list of a scalar into the scalar.
func collapse(v any) any {
	l, ok := v.([]any)
	if !ok || len(l) != 1 {
		return v
	}
	switch l[0].(type) {
	case []any, map[string]any:
		return v
	}
	return l[0]
}

// Size returns the document's size as IAM counts it against its quotas:
// characters, not counting whitespace between JSON tokens. Whitespace inside
// strings is part of the value and counts. For the canonical form this is
// its length in characters (runes).
func Size(canonical string) int {
	n := 0
	inString, escaped := false, false
	for _, r := range canonical {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == '"':
				inString = false
			}
		case r == '"':
			inString = true
		case r == ' ', r == '\t', r == '\n', r == '\r':
			continue
		}
		n++
	}
	return n
}
