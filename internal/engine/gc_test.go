package engine

import "github.com/roster-dev/roster/internal/testfixture"

// These tests make thousands of SDK calls against the in-process fakes.
func init() { testfixture.LessGC() }
