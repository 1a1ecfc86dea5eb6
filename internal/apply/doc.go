// Package apply executes a plan's operations against one account through a
// narrow Writer, in dependency order with bounded concurrency, and reports a
// result per operation. It never re-diffs: it runs exactly the plan it is
// given, which the caller computed fresh from live IAM.
package apply
