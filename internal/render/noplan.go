package render

import (
	"fmt"
	"io"
	"strings"
)

// What ended a plan run without a plan, for NoPlanMarkdown.
const (
	NoPlanInvalid   = "invalid"
	NoPlanFailed    = "failed"
	NoPlanCancelled = "cancelled"
)

// NoPlan is a plan run that ended without a plan of its commit.
type NoPlan struct {
	// Outcome is NoPlanInvalid, NoPlanFailed or NoPlanCancelled.
	Outcome string
	// Commit is the short hash of the commit that was to be planned.
	Commit string
	// Detail says what went wrong, in a sentence (escaped here).
	Detail string
	// RunURL links to the workflow run; only http and https are linked.
	RunURL string
	// Footer is a line of small print written by roster, not escaped.
	Footer string
}

// NoPlanMarkdown writes the plan comment of a commit that has no plan: what
// ended the run, with its link, and that merging applies nothing until a
// plan succeeds. It replaces the comment of an earlier commit, so no stale
// plan or digests stay on the pull request; it carries no digest block.
func NoPlanMarkdown(w io.Writer, n NoPlan) error {
	var what string
	switch n.Outcome {
	case NoPlanInvalid:
		what = "❌ the manifests are invalid"
	case NoPlanCancelled:
		what = "⏹️ the plan run was cancelled"
	default:
		what = "❌ the plan failed"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n## roster plan\n\n**No plan for commit %s: %s.**", PlanMarker, EscapeMarkdown(n.Commit), what)
	if n.Detail != "" {
		fmt.Fprintf(&b, " %s", EscapeMarkdown(strings.TrimSpace(n.Detail)))
	}
	b.WriteString("\n\nThe plan shown here before was for an earlier commit and no longer holds. Merging applies nothing until a plan of the pull request's final commit succeeds: ")
	if n.Outcome == NoPlanInvalid {
		b.WriteString("fix the errors annotated on the files and push again.")
	} else {
		b.WriteString("re-run the plan, or push again.")
	}
	if u := safeURL(n.RunURL); u != "" {
		fmt.Fprintf(&b, " See the [workflow run](%s).", u)
	}
	b.WriteString("\n")
	if n.Footer != "" {
		fmt.Fprintf(&b, "\n<sub>%s</sub>\n", n.Footer)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
