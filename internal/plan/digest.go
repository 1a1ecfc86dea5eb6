package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
)

// digestInput is what a digest covers: the account and every change with its
// operations and reasons. Unmanaged users, warnings and the refusal are
// derived from the same inputs but are not part of what apply executes, so
// they are left out.
type digestInput struct {
	AccountID string   `json:"account_id"`
	Changes   []Change `json:"changes"`
}

// digestForm is the form DigestOf writes.
var digestForm = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// IsDigest reports whether s has the form DigestOf writes, for digests read
// from outside (a flag, an input, a report's record).
func IsDigest(s string) bool { return digestForm.MatchString(s) }

// DigestOf returns "sha256:" and the hex SHA-256 of the canonical JSON of the
// account id and the changes. It is what Diff stores in Environment.Digest and
// what apply recomputes to prove it runs the plan that was reviewed: any
// change to an operation, a before/after snapshot or a reason changes it.
// encoding/json writes struct fields in declaration order and map keys
// sorted, so the digest is stable across runs and Go versions.
func DigestOf(accountID string, changes []Change) string {
	if changes == nil {
		changes = []Change{}
	}
	b, err := json.Marshal(digestInput{AccountID: accountID, Changes: changes})
	if err != nil {
		// Changes hold only strings, bools, slices and string maps, which
		// always marshal.
		panic(fmt.Sprintf("plan: marshal changes for digest: %v", err))
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
