// Package schema ships the JSON Schemas (draft 2020-12) of roster's YAML
// files, so editors can validate and complete them; package
// schema/validate checks YAML against them without network access.
//
// The schemas are embedded from this folder; their $id is the URL that the
// files' "# yaml-language-server: $schema=..." comments name, and they refer
// to each other by relative $ref, so the same files work in an editor and
// here.
package schema
