// Package deploy holds what an organization deploys in AWS to run roster:
// the CloudFormation template of roster's roles (cloudformation/), and an
// example service control policy that keeps everyone but roster's apply role
// from forging or stripping roster's ownership tags and from changing
// roster's roles (scp-protect-roster-tags.json, explained in docs/setup.md).
// Its tests check those files; it has no Go API.
package deploy
