package hygiene

import "github.com/roster-dev/roster/internal/drift"

// PlanListed is how many hygiene findings of one environment a plan lists;
// it counts the rest. Drift reports every finding. A plan lists only the
// most severe, so the comment of an organization with thousands of old keys
// stays readable (and within the job summary's size), and a plan holds a
// bounded number of findings whatever the size of its accounts.
const PlanListed = 20

// Excerpt is what a plan lists of one environment's hygiene findings: the
// first of them, most severe first, and how many more of each severity.
type Excerpt struct {
	Findings []drift.Finding
	// More counts the findings left out, by severity; nil when none is.
	More map[drift.Severity]int
}

// Cut keeps the first n findings (Check returns them most severe first)
// and counts the rest. The findings it keeps are copied, so the rest can be
// dropped.
func Cut(findings []drift.Finding, n int) Excerpt {
	if len(findings) <= n {
		return Excerpt{Findings: findings}
	}
	x := Excerpt{Findings: append([]drift.Finding(nil), findings[:n]...), More: map[drift.Severity]int{}}
	for _, f := range findings[n:] {
		x.More[f.Severity]++
	}
	return x
}

// Len is the number of findings, listed and left out.
func (x Excerpt) Len() int {
	n := len(x.Findings)
	for _, c := range x.More {
		n += c
	}
	return n
}
