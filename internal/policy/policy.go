// Package policy parses, validates and normalizes IAM policy documents, so
// that documents that mean the same are compared as equal (key order,
// whitespace, URL encoding, a single string versus a one-element list).
package policy

// Problem is one grammar or quota problem in a policy document. Path points
// into the document, for example "Statement[1].Effect"; it is empty for the
// document as a whole.
type Problem struct {
	Path    string
	Message string
}

// Canonical returns the canonical JSON form of a policy document. The input
// may be URL-encoded (as IAM returns documents) or plain JSON.
func Canonical(doc string) (string, error) {
	panic("not implemented")
}

// CanonicalValue returns the canonical JSON form of a document already
// decoded into Go values (maps, slices, strings, numbers, bools), as the
// manifest loader has it after decoding YAML.
func CanonicalValue(doc any) (string, error) {
	panic("not implemented")
}

// Validate checks the grammar of an identity-based policy document decoded
// into Go values. It returns every problem it finds.
func Validate(doc any) []Problem {
	panic("not implemented")
}

// Size returns the document's size as IAM counts it against its quotas
// (characters, not counting whitespace).
func Size(canonical string) int {
	panic("not implemented")
}
