// Package policy parses, validates and normalizes IAM policy documents, so
// that documents that mean the same are compared as equal (key order,
// whitespace, URL encoding, a single string versus a one-element list).
//
// The canonical form is compact JSON with object keys sorted and no HTML
// escaping. Statement is always a list; the values of Action, NotAction,
// Resource, NotResource and of every condition key are a plain value when
// they hold exactly one element and a list otherwise. No other list is
// reordered, because order is visible to the people reading the document.
//
// Problem paths use exactly these forms, so a caller can map them back to a
// node of the source document:
//
//	""                 the document as a whole
//	"Version"          a top-level element ("Id", "Statement", or an unknown key)
//	"Statement[2]"     a statement of a Statement list (0-based)
//	"Statement[2].Sid" an element of a statement in a Statement list
//	"Statement.Sid"    an element of a single Statement object
//
// Details below an element (a list index, a condition operator or key) are
// named in the message instead.
//
// admin.go is the one home of admin-equivalence: the AWS managed policies
// that grant it in every partition (ManagedRule), what a document and each
// of its statements allow (Inspect, InspectStatements) and the rules' names
// (Rule), used by the drift report, the access report and the
// forbid_admin_equivalent guardrail alike. partition.go knows partitions
// and their regions.
package policy
