// Package testfixture holds fixtures that tests of several packages share,
// so that each has one home: an OpenPGP key pair for console passwords, and
// a generated organization (Org: an access tree of any size and live
// snapshots in line with it) for the scale benchmarks and tools/genorg, and
// LessGC, the collector setting of test binaries that drive the SDK against
// the in-process fakes, and Main, the TestMain of packages that drive roster
// against the fakes (HideAWSEnvironment, WaitingTests).
// Seeding the IAM fake from roster's live state is iamtest's
// ([iamtest.Account.PutState]). It is test support, imported only by tests
// and tools/genorg.
package testfixture
