package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/roster-dev/roster/schema"
)

// Problem is one schema violation. Path is a JSON pointer into the document
// ("/users/0/name"; "" for the document itself).
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return "(document): " + p.Message
	}
	return p.Path + ": " + p.Message
}

// Error is returned by YAML when a document does not match its schema.
// It lists every violation the validator reported.
type Error struct {
	Kind     schema.Kind
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "does not match the %s schema (%s):", e.Kind, e.Kind.File())
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

var (
	compileOnce sync.Once
	compiled    map[schema.Kind]*jsonschema.Schema
	compileErr  error
	printer     = message.NewPrinter(language.English)
)

// compile loads every embedded schema under its $id, so relative $refs
// resolve without network access, and compiles one schema per kind.
func compile() (map[schema.Kind]*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		// "format": "date" on expires is a check, not only an editor hint.
		c.AssertFormat()
		for _, k := range schema.Kinds {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.Source(k)))
			if err != nil {
				compileErr = fmt.Errorf("parse embedded schema %s: %w", k.File(), err)
				return
			}
			if err := c.AddResource(k.URL(), doc); err != nil {
				compileErr = fmt.Errorf("add embedded schema %s: %w", k.File(), err)
				return
			}
		}
		out := map[schema.Kind]*jsonschema.Schema{}
		for _, k := range schema.Kinds {
			s, err := c.Compile(k.URL())
			if err != nil {
				compileErr = fmt.Errorf("compile embedded schema %s: %w", k.File(), err)
				return
			}
			out[k] = s
		}
		compiled = out
	})
	return compiled, compileErr
}

// YAML checks a YAML document against the schema of kind. An empty
// document (nothing but comments) is an empty mapping. It returns an *Error
// listing every violation, or another error when the YAML does not parse or
// holds more than one document.
func YAML(kind schema.Kind, yamlBytes []byte) error {
	schemas, err := compile()
	if err != nil {
		return err
	}
	s, ok := schemas[kind]
	if !ok {
		return fmt.Errorf("validate: unknown schema kind %v", kind)
	}
	dec := yaml.NewDecoder(bytes.NewReader(yamlBytes))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("parse YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("parse YAML: the file holds more than one YAML document")
	}
	inst, err := new(converter).toJSON(&doc, 0)
	if err != nil {
		return fmt.Errorf("parse YAML: %w", err)
	}
	if inst == nil {
		inst = map[string]any{}
	}
	err = s.Validate(inst)
	var verr *jsonschema.ValidationError
	if errors.As(err, &verr) {
		e := &Error{Kind: kind}
		collect(verr, &e.Problems)
		return e
	}
	if err != nil {
		return fmt.Errorf("validate against %s: %w", kind.File(), err)
	}
	return nil
}

// collect appends the leaves of the validator's error tree: the specific
// violations rather than the "oneOf failed" summaries above them.
func collect(e *jsonschema.ValidationError, out *[]Problem) {
	if len(e.Causes) == 0 {
		p := ""
		for _, tok := range e.InstanceLocation {
			p += "/" + strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
		}
		*out = append(*out, Problem{Path: p, Message: e.ErrorKind.LocalizedString(printer)})
		return
	}
	for _, c := range e.Causes {
		collect(c, out)
	}
}

// Limits on conversion, so a hostile file (deep nesting, an alias bomb)
// cannot exhaust the stack or memory.
const (
	maxDepth = 1000
	maxNodes = 1_000_000
)

// converter turns YAML nodes into JSON values within the limits.
type converter struct{ nodes int }

// toJSON converts a YAML node into JSON-compatible values. Timestamps stay
// the text they were written as ("2027-03-31"), so the schema sees what the
// user wrote; other scalars resolve as YAML resolves them.
func (c *converter) toJSON(n *yaml.Node, depth int) (any, error) {
	c.nodes++
	if depth > maxDepth || c.nodes > maxNodes {
		return nil, errors.New("document too deeply nested or too large after expanding aliases")
	}
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.toJSON(n.Content[0], depth+1)
	case yaml.AliasNode:
		return c.toJSON(n.Alias, depth+1)
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := c.toJSON(n.Content[i], depth+1)
			if err != nil {
				return nil, err
			}
			if _, dup := out[keyString(k)]; dup {
				return nil, fmt.Errorf("line %d: mapping key %q already defined", n.Content[i].Line, keyString(k))
			}
			v, err := c.toJSON(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[keyString(k)] = v
		}
		return out, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.toJSON(e, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		if n.ShortTag() == "!!timestamp" {
			return n.Value, nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
			return n.Value, nil
		}
		return v, nil
	default:
		return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
	}
}

// keyString renders a mapping key as a JSON object key.
func keyString(k any) string {
	switch x := k.(type) {
	case string:
		return x
	case nil:
		return "null"
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}
