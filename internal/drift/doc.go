// Package drift turns a plan computed against live IAM into a drift report:
// every way the live account differs from the repository, as findings a
// person can act on. Each finding has a stable ID, a kind, a severity, the
// user or group it is about, one sentence saying what differs, and how to
// resolve it: restore the repository's state by running apply, or accept the
// live state with the manifest change that describes it (pointing at the file
// and line of the manifest entry).
//
// A report's Fingerprint identifies its set of findings, so a scheduled run
// can tell whether anything changed since the last one; EncodeState and
// DecodeState carry the findings of one run to the next in a hidden block
// that ends the drift issue (package trailer), and Compare lists what was
// added and resolved. FindingID builds the stable IDs of findings about a
// user, service account or group, for this package and package hygiene.
//
// BuildOrganization reports the AWS Organization itself: active accounts no
// environment covers that hold IAM users, and environments whose account
// left the organization or is inactive.
//
// Severity. Every finding starts at a base level: high when it grants or
// removes admin-equivalent access (AdministratorAccess, IAMFullAccess, a
// policy the environment forbids, an inline policy allowing "*" or "iam:*"
// on every resource, or membership of a group that carries one), medium when
// it changes access in any other way (policies, groups, permissions
// boundaries, console access, users and groups that exist on one side only,
// unmanaged users), low when it changes only metadata (tags, paths). In a
// production environment every finding is raised one level, so all access
// drift in production is high.
//
// The package is domain code: it reads plans and manifests and imports no
// SDK.
package drift
