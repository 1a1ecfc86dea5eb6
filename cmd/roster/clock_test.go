//go:build !e2eclock

package main

import "testing"

// The shipped binary keeps the real clock whatever the environment says:
// ROSTER_E2E_NOW exists only in the end-to-end tests' build.
func TestClockIgnoresE2EVariable(t *testing.T) {
	t.Setenv("ROSTER_E2E_NOW", "2030-01-01T00:00:00Z")
	if clock() != nil {
		t.Fatal("the binary built without the e2eclock tag reads ROSTER_E2E_NOW")
	}
}
