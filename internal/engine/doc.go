// Package engine is roster's only workflow layer: it runs the jobs over a
// loaded repository, and the CLI and the GitHub Action both call it, so they
// always do the same thing. For each environment it reads live state through
// a Source and computes the plan (Plan, PlanHygiene), applies it environment
// by environment in promotion order through the writers a WriterFunc opens
// (Apply), applies only the removals of ended grants (Expire), and reports
// drift and credential hygiene (Drift).
//
// It knows ports, not vendors: Source (and ReportSource, which also reads
// the credential report), apply.Writer and the clock come in as parameters.
// The AWS implementations are in package awsiam (Source, Writers);
// SnapshotSource reads the files `roster snapshot` writes. The engine
// imports no AWS SDK and no GitHub client.
package engine
