// Package cloudformation holds the CloudFormation template that creates
// roster's plan and apply roles in an environment account
// (roster-roles.yaml), and the tests that keep its policies equal to the ones
// docs/permissions.md documents. It has no Go API.
package cloudformation
