// Package render prints plans for people and programs: text for a terminal,
// Markdown for the sticky pull-request comment, and a documented, versioned
// JSON format (docs/plan-json.md). Layout lives in embedded text/template
// files; every string that came from a manifest or AWS is escaped for where
// it lands, and PGP keys are only ever shown as fingerprints.
package render
