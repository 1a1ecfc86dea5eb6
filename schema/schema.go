package schema

import (
	"embed"
	"fmt"
	"path"
	"strings"
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
