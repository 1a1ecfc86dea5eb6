// Package importer turns the live IAM state of one environment into manifest
// files a person would have written: one file per group holding the group
// and its members, service-accounts.yaml for machine users and users.yaml
// for people in no group. It is what `roster import` runs to adopt an
// existing account.
//
// The files are written so that the tree validates and the next plan only
// adopts (tags) the imported users:
//
//   - Paths, policies, boundaries and tags are copied as they are live.
//     The ownership and owner tags are left out (roster adds them), and so
//     are tags equal to defaults.tags (the loader adds those back).
//   - Inline policies become YAML mappings, in the usual key order (Version,
//     Statement; Sid, Effect, Action, Resource, Condition).
//   - roster's own roster-require-mfa policy is left out of console users in
//     an environment with console_requires_mfa (it is implied).
//   - A user without a console password and with at least one access key is
//     a service account. Its owner is read from the owner tag, or written as
//     "unknown" with a comment asking for the real one.
//   - A user who already has a console password gets console: true and, since
//     the loader requires a usable pgp_key with it, a placeholder public key
//     generated for the import whose private key was never stored. roster
//     uses pgp_key only to create a login profile, which an imported console
//     user already has; a comment asks for the person's real key.
package importer
