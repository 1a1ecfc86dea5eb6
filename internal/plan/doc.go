// Package plan computes what must change in live IAM for it to match the
// manifests. Diff is a pure function of (desired, live); the plan it returns
// is data that renderers print and apply executes.
package plan
