// Package iamtest is an in-process fake of AWS IAM and STS for tests and
// benchmarks.
//
// The fake speaks the real AWS Query protocol over HTTP, so the product's
// aws-sdk-go-v2 clients exercise their own serialization, pagination, retries
// and error mapping against it. Responses are written from the SDK's own
// output shapes and schemas, which keeps element names identical to what the
// SDK expects from IAM; errors carry IAM's codes and HTTP statuses
// (NoSuchEntity 404, EntityAlreadyExists, DeleteConflict and LimitExceeded
// 409, ValidationError, InvalidInput, MalformedPolicyDocument,
// PasswordPolicyViolation and Throttling 400, AccessDenied 403,
// ServiceFailure 500/503).
//
// # Accounts and identities
//
// State is kept per account ([Server.Account]). [Server.AWSConfig] and
// [Server.Env] give static "ambient" credentials that act on one account as
// the user arn:aws:iam::<account>:user/iamtest. sts:AssumeRole into a role
// created with [Account.AddRole] returns temporary credentials acting on the
// role's account; a role may restrict its sessions to an allow-list of IAM
// actions, and anything else is AccessDenied with IAM's message.
//
// # Semantics
//
// Names are unique case-insensitively. AWS managed policies
// (arn:aws:iam::aws:policy/…) exist implicitly; customer managed ones must be
// created first, and AWS managed policies appear in ListPolicies and
// GetAccountAuthorizationDetails once something attaches them. DeleteUser and DeleteGroup refuse with DeleteConflict while
// anything is attached; the default quotas (10 managed policies per user or
// group, 10 groups per user, 2 access keys, 50 tags, 2,048/5,120 characters
// of inline policy per user/group) are LimitExceeded. Policy documents are
// stored exactly as put and returned URL-encoded. Every List action,
// GetGroup and GetAccountAuthorizationDetails page with MaxItems (default
// 100, at most 1000) and an opaque Marker. GenerateCredentialReport answers
// STARTED, then COMPLETE, and reuses a report younger than four hours, as
// IAM does.
//
// # Secrets Manager
//
// The same server answers Secrets Manager's JSON 1.1 protocol (POST,
// X-Amz-Target: secretsmanager.<Operation>, errors as {"__type", "Message"}
// with the SDK's modeled codes): CreateSecret, PutSecretValue,
// DescribeSecret, GetSecretValue and TagResource. Secrets are kept per
// account (the caller's, as for IAM) and region (the request's signing
// region), with ARNs in AWS's format (…:secret:<name>-<6 characters>).
// ClientRequestToken is the version ID and makes retries idempotent; a new
// version takes AWSCURRENT and the version that held it gets AWSPREVIOUS.
// An assumed role's allow-list is checked as "secretsmanager:<Operation>".
// [Server.PutSecret] seeds a secret and [Server.Secret] reads one back.
// Calls, recorded writes (without the secret's value) and faults work as
// for IAM; faults answer ThrottlingException (400) and
// InternalServiceError (500).
//
// # Seeding and inspection
//
// [Account.PutUser], [Account.PutGroup], [Account.CreatePolicy] and
// [Account.SetPasswordPolicy] build state directly, fast enough for tens of
// thousands of users; [Account.PutState] seeds an account from roster's own
// live state (a snapshot, or a generated account). [Account.User], [Account.Group] and [Account.Snapshot]
// return deep copies; two snapshots of equal state are equal under cmp.Diff.
//
// # Instrumentation and faults
//
// Every authenticated request is counted per account and action
// ([Server.Calls], [Server.CallCount]); requests of write actions are
// recorded in order ([Server.Writes]), each with its error code and whether
// it found nothing to change (Call.NoOp: IAM accepts attaching an attached
// policy, adding a member twice and untagging a missing key), so that tests
// can require that no write was redundant. [Server.PeakInFlight] and
// [Server.Gather] show how many requests a client has in flight at once. [WithLatency], [WithFaults] and
// [Server.SetFaults] inject latency, throttling, server errors and dropped
// connections deterministically from a seed; faulted requests never apply
// their write unless [Faults].DropAfterCommit asks for a lost response.
// [Server.FailNext] scripts a specific error (or "Dropped", or
// "DroppedAfterCommit": applied, answer lost) for the next calls of one
// action, [Server.FailNextMatching] for those with given parameters,
// [Server.FailAfter] for those after another action's request, for tests of
// partial failure.
//
// This is the one model of IAM that roster's tests run against: the
// convergence proofs of plan and the tests of apply drive it through the
// product's own reader and writer. [InProcess] hands the SDK's requests to
// the handler without a connection, for tests that make tens of thousands
// of calls.
package iamtest
