package render

import (
	"fmt"
	"strings"

	"github.com/roster-dev/roster/internal/plan"
)

// LeftForReview says, in one plain sentence, what an expire run left of an
// environment's plan for a reviewed apply (plan.ExpiryOnly's skipped
// changes), or "" when it left nothing. Escape it before Markdown.
func LeftForReview(env string, skipped []plan.Change) string {
	return leftForReview(env, skipped, "it is not an expiry")
}

// leftForReview says what a run left of an environment's plan, and why.
func leftForReview(env string, skipped []plan.Change, why string) string {
	if len(skipped) == 0 {
		return ""
	}
	names := make([]string, len(skipped))
	for i, ch := range skipped {
		names[i] = fmt.Sprintf("%s %s %s", ch.Action, ch.Kind.Noun(), ch.Name)
	}
	return fmt.Sprintf("%s: %s left for a reviewed apply (a pull request, or roster apply), since %s: %s.",
		env, plural(len(skipped), "change"), why, strings.Join(names, "; "))
}
