// Package report builds the access matrix: who has what in which
// environment. Rows are people and service accounts (matched by name across
// environments), columns are environments in promotion order, and each cell
// holds the user's groups, effective managed policies (direct and through
// groups), inline policies, permissions boundary and credentials, with
// admin-equivalent access flagged. The matrix is computed from the manifests
// (the desired state) and, optionally, from live IAM snapshots; building it
// is pure, and package render lays it out as Markdown or HTML.
package report
