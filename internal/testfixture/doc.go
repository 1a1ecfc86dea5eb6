// Package testfixture holds fixtures that tests of several packages share,
// so that each has one home: an OpenPGP key pair for console passwords.
// Seeding the IAM fake from roster's live state is iamtest's
// ([iamtest.Account.PutState]). It is test support, imported only by tests.
package testfixture
