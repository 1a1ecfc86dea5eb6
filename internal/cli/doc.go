// Package cli implements roster's command line: argument parsing, the
// subcommands, and the mapping of their outcomes to exit codes. It is a
// front end, like package action: each command loads the access tree,
// computes through package engine (reaching AWS through awsiam.Connector,
// or snapshots with --live), and renders the result.
package cli
