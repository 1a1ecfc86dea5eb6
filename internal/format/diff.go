package format

import (
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// Diff returns the unified diff (three lines of context) that formatting
// makes to the file, the way `diff -u` and `terraform fmt -diff` show it:
// "--- path (original)" and "+++ path (formatted)" headers, then hunks. It
// is empty for a file that formatting leaves alone.
func (f *File) Diff() string {
	if !f.Changed() {
		return ""
	}
	// The writer is a bytes.Buffer, which never fails.
	out, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A:        lines(f.Original),
		B:        lines(f.Formatted),
		FromFile: f.Path + " (original)",
		ToFile:   f.Path + " (formatted)",
		Context:  3,
	})
	return out
}

// lines splits a file into lines that each end in a newline; a last line
// without one gets it, so every hunk line prints on its own line.
func lines(data []byte) []string {
	out := strings.SplitAfter(string(data), "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	} else {
		out[len(out)-1] += "\n"
	}
	return out
}
