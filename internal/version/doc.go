// Package version reports roster's version, set at build time with
// -ldflags "-X github.com/roster-dev/roster/internal/version.Version=v1.2.3".
package version
