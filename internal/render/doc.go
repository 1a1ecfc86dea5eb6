// Package render prints roster's results for people and programs: plans
// (text for a terminal, Markdown for the sticky pull-request comment, and a
// documented, versioned JSON format, docs/plan-json.md), apply reports, drift
// reports and issue bodies (docs/drift-json.md), and the access matrix
// (Markdown and a self-contained HTML page). Layout lives in embedded text/template
// files; every string that came from a manifest or AWS is escaped for where
// it lands (escape.go), and PGP keys are only ever shown as fingerprints.
//
// A plan comment ends with the digest of every environment it shows, in a
// hidden block (package trailer) that ParseDigests reads back for apply;
// writeJSON is the one layout of the JSON forms.
package render
