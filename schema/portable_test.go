package schema_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/roster-dev/roster/schema"
)

// nonPortable are regular-expression constructs that JSON Schema
// validators read differently or refuse: Unicode classes (Python's re has
// no \p{...}), shorthand classes (\d and \w are Unicode-aware in Python,
// ASCII in ECMA-262 without the u flag), and escapes only some engines
// know. JSON Schema patterns are ECMA-262; a pattern free of these means
// the same to Go's regexp, Python's re and JavaScript's RegExp.
var nonPortable = regexp.MustCompile(`\\[pPdDwWsSbBAzZuxk]|\(\?[<!=:PimsU]`)

// TestPatternsArePortable: every pattern and patternProperties key of the
// schemas uses only constructs every validator reads alike, so an editor
// or a CI step using Python's jsonschema or ajv accepts the schemas (.ci/
// schemas checks them with Python's jsonschema).
func TestPatternsArePortable(t *testing.T) {
	t.Parallel()
	for _, k := range schema.Kinds {
		var doc any
		if err := json.Unmarshal(schema.Source(k), &doc); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range patterns(doc) {
			n++
			if m := nonPortable.FindString(p); m != "" {
				t.Errorf("%s: pattern %q uses %s, which validators read differently", k.File(), p, m)
			}
			if _, err := regexp.Compile(p); err != nil {
				t.Errorf("%s: pattern %q: %v", k.File(), p, err)
			}
		}
		if n == 0 {
			t.Errorf("%s: no patterns found; the walk is broken", k.File())
		}
	}
	if m := nonPortable.FindString(`^[\p{L}]$`); m == "" {
		t.Error(`nonPortable misses \p{L}`)
	}
}

// patterns returns every "pattern" value and patternProperties key in doc.
func patterns(doc any) []string {
	var out []string
	switch x := doc.(type) {
	case map[string]any:
		for k, v := range x {
			switch k {
			case "pattern":
				if s, ok := v.(string); ok {
					out = append(out, s)
				}
			case "patternProperties":
				if m, ok := v.(map[string]any); ok {
					for p := range m {
						out = append(out, p)
					}
				}
			}
			if k != "examples" {
				out = append(out, patterns(v)...)
			}
		}
	case []any:
		for _, v := range x {
			out = append(out, patterns(v)...)
		}
	}
	return out
}
