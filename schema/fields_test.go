package schema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/schema"
)

// jsonObject is a JSON object that remembers the order of its keys.
type jsonObject struct {
	keys []string
	vals map[string]any
}

// decodeOrdered decodes JSON, keeping objects' key order.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &jsonObject{vals: map[string]any{}}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			o.keys = append(o.keys, k.(string))
			o.vals[k.(string)] = v
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		var out []any
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		_, err := dec.Token()
		return out, err
	}
	return tok, nil
}

// schemaDocs holds the three schema files, ordered, by file name.
type schemaDocs map[string]*jsonObject

// resolve follows $ref (within a file or to another) until it reaches a
// schema with the given key, returning that schema and its file.
func (docs schemaDocs) resolve(file string, s *jsonObject, key string) (string, *jsonObject) {
	for hops := 0; s != nil && hops < 10; hops++ {
		if _, ok := s.vals[key]; ok {
			return file, s
		}
		ref, ok := s.vals["$ref"].(string)
		if !ok {
			return file, nil
		}
		target, ptr, _ := strings.Cut(ref, "#")
		if target != "" {
			file = target
		}
		s = docs[file]
		for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
			if tok == "" || s == nil {
				continue
			}
			s, _ = s.vals[tok].(*jsonObject)
		}
	}
	return file, nil
}

// jsonType is the schema "type" of each field type.
var jsonType = map[manifest.FieldType]string{
	manifest.TypeString:      "string",
	manifest.TypeDate:        "string",
	manifest.TypeBool:        "boolean",
	manifest.TypeInt:         "integer",
	manifest.TypeList:        "array",
	manifest.TypeSet:         "array",
	manifest.TypeStringMap:   "object",
	manifest.TypePolicies:    "object",
	manifest.TypeObject:      "object",
	manifest.TypeObjects:     "array",
	manifest.TypeMemberships: "array",
}

// TestSchemaMatchesFieldTable binds the schemas to the contract's one field
// table (internal/manifest/fields.go): every mapping of the table is a
// schema object with exactly its properties, in its order, of its types,
// with its required fields and allowed values (enum), nested the same way. Adding a field to the
// table without the schema, or the other way round, fails here.
func TestSchemaMatchesFieldTable(t *testing.T) {
	t.Parallel()
	docs := schemaDocs{}
	for _, k := range schema.Kinds {
		v, err := decodeOrdered(json.NewDecoder(bytes.NewReader(schema.Source(k))))
		if err != nil {
			t.Fatalf("%s: %v", k.File(), err)
		}
		docs[k.File()] = v.(*jsonObject)
	}
	roots := map[schema.Kind]*manifest.Object{
		schema.Config:      manifest.ConfigFields,
		schema.Environment: manifest.EnvironmentFields,
		schema.Manifest:    manifest.ManifestFields,
	}
	for _, k := range schema.Kinds {
		docs.compare(t, k.File(), k.File(), docs[k.File()], roots[k])
	}
}

// compare checks one schema object s (at the path at, in file) against o.
func (docs schemaDocs) compare(t *testing.T, at, file string, s *jsonObject, o *manifest.Object) {
	t.Helper()
	file, s = docs.resolve(file, s, "properties")
	if s == nil {
		t.Errorf("%s: no object schema with properties", at)
		return
	}
	props := s.vals["properties"].(*jsonObject)
	if diff := cmp.Diff(o.Names(), props.keys); diff != "" {
		t.Errorf("%s: properties differ from the field table (-table +schema):\n%s", at, diff)
	}
	var wantRequired, gotRequired []string
	for _, f := range o.Fields {
		if f.Required {
			wantRequired = append(wantRequired, f.Name)
		}
	}
	req, _ := s.vals["required"].([]any)
	for _, r := range req {
		gotRequired = append(gotRequired, fmt.Sprint(r))
	}
	slices.Sort(wantRequired)
	slices.Sort(gotRequired)
	if diff := cmp.Diff(wantRequired, gotRequired); diff != "" {
		t.Errorf("%s: required fields differ from the field table (-table +schema):\n%s", at, diff)
	}
	for _, f := range o.Fields {
		p, ok := props.vals[f.Name].(*jsonObject)
		if !ok {
			continue // reported above
		}
		where := at + "/" + f.Name
		pfile, typed := docs.resolve(file, p, "type")
		if typed == nil || typed.vals["type"] != jsonType[f.Type] {
			var got any
			if typed != nil {
				got = typed.vals["type"]
			}
			t.Errorf("%s: schema type %v, the field table says %s", where, got, jsonType[f.Type])
			continue
		}
		var enum []string
		if vals, ok := typed.vals["enum"].([]any); ok {
			for _, v := range vals {
				enum = append(enum, fmt.Sprint(v))
			}
		}
		if diff := cmp.Diff(f.Values, enum); diff != "" {
			t.Errorf("%s: enum differs from the field table's values (-table +schema):\n%s", where, diff)
		}
		switch f.Type {
		case manifest.TypeObject:
			docs.compare(t, where, pfile, typed, f.Fields)
		case manifest.TypeObjects:
			items, _ := typed.vals["items"].(*jsonObject)
			docs.compare(t, where+"[]", pfile, items, f.Fields)
		case manifest.TypeMemberships:
			// items: oneOf a name or the mapping of the table.
			items, _ := typed.vals["items"].(*jsonObject)
			var obj *jsonObject
			if items != nil {
				alts, _ := items.vals["oneOf"].([]any)
				for _, a := range alts {
					if o, ok := a.(*jsonObject); ok && o.vals["type"] == "object" {
						obj = o
					}
				}
			}
			docs.compare(t, where+"[]", pfile, obj, f.Fields)
		case manifest.TypeString, manifest.TypeBool, manifest.TypeInt, manifest.TypeDate, manifest.TypeList,
			manifest.TypeSet, manifest.TypeStringMap, manifest.TypePolicies:
		}
	}
}
