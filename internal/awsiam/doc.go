// Package awsiam is roster's adapter to AWS: it turns an environment's
// account_id and role_arn into an authenticated session (Connect), and reads
// the live IAM users and groups of that account into a *state.Account
// (Reader). AWS SDK types stop here; the rest of roster sees package state.
//
// Two readers produce the same state. The account-wide one
// (NewAuthDetailsReader) reads the whole account with a few paginated
// iam:GetAccountAuthorizationDetails calls and makes per-user calls only for
// what that API lacks (console access and credentials), and only for the
// users the caller asks about. The per-user one (NewPerUserReader) lists
// users and groups and reads each one separately; it exists as the fallback
// for roles without iam:GetAccountAuthorizationDetails and as the benchmark
// baseline. NewReader picks the first and falls back to the second. Every
// listing pages through eachPage or listed (pages.go), over the SDK's
// paginators.
//
// ReadPermissions lists what a plan role must be allowed (the AWS managed
// policy IAMReadOnlyAccess covers it); PerUserReadPermissions what the
// fallback needs instead of iam:GetAccountAuthorizationDetails.
//
// Writer carries out a plan's operations, one IAM call each, treating
// "already exists" and "not found" as success exactly where the goal is
// reached, and generating console passwords to the account's password policy,
// encrypted to the user's OpenPGP key before any call.
//
// Retries live in retry.go: reads use the SDK's standard retry mode; the
// writer retries in standard mode too, and paces every attempt with the
// account's Pacer (pacer.go), a client-side rate limiter that follows IAM's
// throttles by additive increase and multiplicative decrease. The calls in
// flight across all accounts of a run are bounded (Concurrency, set with
// LoadConfigWith), and every account shares one HTTP client sized for those
// bounds. GitHub's retries live in internal/github/retry.go.
//
// ReadCredentialReport reads IAM's credential report for hygiene findings.
//
// Connector is the one way the CLI and the Action reach AWS: it loads the
// SDK configuration once for a run and opens a Source (live IAM and the
// credential report, with the role of a Purpose) and Writers (with the apply
// role) for every environment. Source implements the engine's source ports;
// Writers returns the engine's writer function.
//
// Errors name the environment and say what to do next: missing credentials,
// a missing permission (parsed from AWS's message), a role trust policy that
// refuses the caller, an account that differs from environment.yaml, or an
// endpoint that cannot be reached.
package awsiam
