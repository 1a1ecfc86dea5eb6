// Package diag carries positioned findings (errors and warnings) from the
// loader and validator to every output format, so a user always learns which
// file, which line and what to do.
package diag
