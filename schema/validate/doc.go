// Package validate checks YAML documents against roster's embedded JSON
// Schemas (package schema) without network access, listing every
// violation. It lives apart from package schema so that the roster binary,
// which only names the schemas' URLs, does not link the JSON Schema
// validator and pay for its initialization at every start.
package validate
