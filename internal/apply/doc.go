// Package apply executes a plan's operations against one account through a
// narrow Writer, phase by phase and waiting for the dependencies the plan
// names on each change, with bounded concurrency, and reports a result per
// operation. It never re-diffs nor works ordering out again: it runs exactly
// the plan it is given, which the caller computed fresh from live IAM.
package apply
