// Package state describes live IAM as roster sees it: the users and groups of
// one AWS account, with no AWS SDK types. Readers in package awsiam produce
// it; the diff in package plan consumes it; snapshots are its JSON form.
package state
