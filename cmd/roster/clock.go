//go:build !e2eclock

package main

import "time"

// clock is the process's clock: nil means time.Now. Only a binary built
// with the e2eclock tag, for the end-to-end tests, reads another one.
func clock() func() time.Time { return nil }
