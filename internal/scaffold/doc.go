// Package scaffold lays out a new access tree: it proposes one environment
// per account of an AWS Organization (from a tag or from OU names) or takes
// them as given, and writes roster.yaml and each environment.yaml. It is
// the domain behind roster init and imports no SDK.
package scaffold
