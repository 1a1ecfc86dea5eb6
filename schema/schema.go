package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed *.json
var files embed.FS

// BaseURL is where the schemas are published; a schema's $id is BaseURL
// followed by its file name. It names the major version's tag, not a
// branch: the schemas change only additively within a major version, so a
// file written against v1 keeps validating while main moves on.
const BaseURL = "https://raw.githubusercontent.com/roster-dev/roster/v1/schema/"

// Kind is the kind of a file under the access directory, which decides the
// schema it is validated against.
type Kind int

// Kinds of files. The zero Kind is not valid.
const (
	// Config is access/roster.yaml.
	Config Kind = iota + 1
	// Environment is access/<env>/environment.yaml.
	Environment
	// Manifest is any other YAML file under an environment folder.
	Manifest
)

// Kinds lists every kind, in the order of the repository layout.
var Kinds = []Kind{Config, Environment, Manifest}

// String returns the kind's name as used in messages ("config",
// "environment", "manifest").
func (k Kind) String() string {
	switch k {
	case Config:
		return "config"
	case Environment:
		return "environment"
	case Manifest:
		return "manifest"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// File returns the schema's file name, for example "manifest.schema.json".
func (k Kind) File() string {
	switch k {
	case Config:
		return "roster.schema.json"
	case Environment:
		return "environment.schema.json"
	case Manifest:
		return "manifest.schema.json"
	default:
		return ""
	}
}

// URL returns the schema's $id, the URL a yaml-language-server comment names.
func (k Kind) URL() string {
	if k.File() == "" {
		return ""
	}
	return BaseURL + k.File()
}

// KindOf returns the kind of a file by its name: roster.yaml is Config,
// environment.yaml is Environment, anything else is Manifest. Only the base
// name counts; the caller knows whether the file is at the right depth.
func KindOf(filename string) Kind {
	switch path.Base(strings.ReplaceAll(filename, `\`, "/")) {
	case "roster.yaml":
		return Config
	case "environment.yaml":
		return Environment
	default:
		return Manifest
	}
}

// Source returns the JSON text of a kind's schema, or nil for an invalid
// kind.
func Source(k Kind) []byte {
	if k.File() == "" {
		return nil
	}
	b, err := files.ReadFile(k.File())
	if err != nil {
		return nil
	}
	return b
}

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

// Error is returned by Validate when a document does not match its schema.
// It lists every violation the validator reported.
type Error struct {
	Kind     Kind
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
	compiled    map[Kind]*jsonschema.Schema
	compileErr  error
	printer     = message.NewPrinter(language.English)
)

// compile loads every embedded schema under its $id, so relative $refs
// resolve without network access, and compiles one schema per kind.
func compile() (map[Kind]*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		// "format": "date" on expires is a check, not only an editor hint.
		c.AssertFormat()
		for _, k := range Kinds {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Source(k)))
			if err != nil {
				compileErr = fmt.Errorf("parse embedded schema %s: %w", k.File(), err)
				return
			}
			if err := c.AddResource(k.URL(), doc); err != nil {
				compileErr = fmt.Errorf("add embedded schema %s: %w", k.File(), err)
				return
			}
		}
		out := map[Kind]*jsonschema.Schema{}
		for _, k := range Kinds {
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

// Validate checks a YAML document against the schema of kind. An empty
// document (nothing but comments) is an empty mapping. It returns an *Error
// listing every violation, or another error when the YAML does not parse or
// holds more than one document.
func Validate(kind Kind, yamlBytes []byte) error {
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
