package policy_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/roster-dev/roster/internal/policy"
)

// FuzzCanonical checks that the canonical form is a fixed point, that the
// URL-encoded form IAM returns compares equal to the plain one, and that
// Validate and Size accept whatever Canonical produced.
func FuzzCanonical(f *testing.F) {
	for _, seed := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}`,
		`{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":["a","b"],"Condition":{"Bool":{"aws:MultiFactorAuthPresent":[false]}}}}`,
		`{"Statement":[{"Condition":{"NumericLessThan":{"k":[1.50,2e3,12345678901234567890]}}}]}`,
		`%7B%22Statement%22%3A%5B%5D%7D`,
		`[1, "<&>", null, true, {"a": [[]]}]`,
		`"\u00e9\ud83d\ude00"`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		c1, err := policy.Canonical(doc)
		if err != nil {
			return
		}
		c2, err := policy.Canonical(c1)
		if err != nil {
			t.Fatalf("Canonical(%q) = %q, which does not parse again: %v", doc, c1, err)
		}
		if c1 != c2 {
			t.Fatalf("Canonical is not idempotent:\nonce:  %s\ntwice: %s", c1, c2)
		}
		c3, err := policy.Canonical(url.QueryEscape(c1))
		if err != nil || c3 != c1 {
			t.Fatalf("URL-encoded form differs: %q, %v; want %q", c3, err, c1)
		}
		dec := json.NewDecoder(strings.NewReader(c1))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("canonical form %q is not JSON: %v", c1, err)
		}
		c4, err := policy.CanonicalValue(v)
		if err != nil || c4 != c1 {
			t.Fatalf("CanonicalValue of the decoded canonical form = %q, %v; want %q", c4, err, c1)
		}
		_ = policy.Validate(v)
		// The same document written the other way round (one-element lists
		// as lists, a single statement as an object) compares equal.
		if c5, err := policy.CanonicalValue(expand(v)); err != nil || c5 != c1 {
			t.Fatalf("expanded form canonicalizes to %q, %v; want %q", c5, err, c1)
		}
		if n, want := policy.Size(c1), utf8.RuneCountInString(c1); n != want {
			t.Fatalf("Size(%q) = %d, want its length %d: the canonical form has no whitespace between tokens", c1, n, want)
		}
	})
}

// expand rewrites a decoded canonical document into an equivalent form:
// string-or-list values become one-element lists, and a one-element
// Statement list becomes the statement object.
func expand(v any) any {
	doc, ok := v.(map[string]any)
	if !ok {
		return v
	}
	list, ok := doc["Statement"].([]any)
	if !ok {
		return v
	}
	for _, s := range list {
		st, ok := s.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range []string{"Action", "NotAction", "Resource", "NotResource"} {
			if x, ok := st[k]; ok {
				st[k] = wrap(x)
			}
		}
		cond, _ := st["Condition"].(map[string]any)
		for _, op := range cond {
			keys, _ := op.(map[string]any)
			for k, x := range keys {
				keys[k] = wrap(x)
			}
		}
	}
	if len(list) == 1 {
		if _, ok := list[0].(map[string]any); ok {
			doc["Statement"] = list[0]
		}
	}
	return doc
}

// wrap turns a scalar into a one-element list.
func wrap(v any) any {
	switch v.(type) {
	case []any, map[string]any:
		return v
	}
	return []any{v}
}
