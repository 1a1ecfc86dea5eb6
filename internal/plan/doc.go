// Package plan computes what must change in live IAM for it to match the
// manifests. Diff is a pure function of (desired, live); the plan it returns
// is data that renderers print and apply executes.
//
// A live-state reader first reads the whole account, then asks Needs which
// per-user details (console access, credentials) each user requires, and
// Diff compares. Changes come in apply order (Order, the one home of
// ordering: each change carries its Phase and the changes it DependsOn),
// each with the IAM operations that carry it out in an order IAM accepts,
// and every environment's plan
// carries a digest (DigestOf) so apply can prove that what it runs is what was
// reviewed. Managed tells users roster owns from users it must never touch.
package plan
