// Package golden compares test output with golden files and rewrites them
// when tests run with -update (test support, imported only by tests).
// Review the diff of rewritten files like any other change.
package golden
