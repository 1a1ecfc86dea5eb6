// Package iamtest is an in-process fake of AWS IAM and STS for tests and
// benchmarks.
//
// The fake speaks the real AWS Query protocol over HTTP, so the product's
// aws-sdk-go-v2 clients exercise their own serialization, pagination, retries
// and error mapping against it. Responses are written from the SDK's own
// output shapes and schemas, which keeps element names identical to what the
// SDK expects from IAM.
//
// State is kept per account and can be seeded directly from Go (no HTTP) for
// large fixtures, then read back as deterministic deep copies. Every request is
// counted per account and action, write actions are recorded in order, and
// latency, throttling, server errors and dropped connections can be injected
// deterministically.
package iamtest
