//go:build e2eclock

package main

import (
	"fmt"
	"os"
	"time"
)

// clock reads the fixed time ROSTER_E2E_NOW (RFC 3339) that the end-to-end
// tests give the binary, so a run can be at 17:59 and the next at 18:00.
// The shipped binary is built without the e2eclock tag and has no such
// variable.
func clock() func() time.Time {
	v := os.Getenv("ROSTER_E2E_NOW")
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ROSTER_E2E_NOW: %v\n", err)
		os.Exit(2)
	}
	return func() time.Time { return t }
}
