package render

import (
	"fmt"

	"github.com/roster-dev/roster/internal/drift"
)

// hygieneSection is the plan comment's collapsed list of credential
// hygiene findings; every string is already escaped for Markdown.
type hygieneSection struct {
	Summary string
	Rows    []hygieneRow
}

type hygieneRow struct {
	Env string
	// More, when set, is the row that counts the findings of Env left out,
	// and the other fields are empty.
	More     string
	Icon     string
	Severity string
	Kind     string
	Subject  string
	Summary  string
	Fix      string
	Accept   string
}

// HygieneSection returns the hygiene findings of MarkdownOptions.Hygiene
// for the plan's environments, in promotion order, or nil when there are
// none.
func (v *planView) HygieneSection() *hygieneSection {
	if len(v.Opts.Hygiene) == 0 {
		return nil
	}
	s := &hygieneSection{}
	counts := map[drift.Severity]int{}
	n := 0
	for _, e := range v.Environments {
		x := v.Opts.Hygiene[e.Name]
		for _, f := range x.Findings {
			counts[f.Severity]++
			n++
			s.Rows = append(s.Rows, hygieneRow{
				Env:      "**" + EscapeMarkdown(e.Name) + "**",
				Icon:     severityIcons[f.Severity],
				Severity: string(f.Severity),
				Kind:     string(f.Kind), // a roster constant
				Subject:  f.SubjectKind.Noun() + " **" + EscapeMarkdown(f.Subject) + "**",
				Summary:  mdText(f.Summary),
				Fix:      mdText(f.Restore),
				Accept:   mdText(f.Accept),
			})
		}
		if more := x.Len() - len(x.Findings); more > 0 {
			for sev, c := range x.More {
				counts[sev] += c
			}
			n += more
			s.Rows = append(s.Rows, hygieneRow{
				Env:  "**" + EscapeMarkdown(e.Name) + "**",
				More: fmt.Sprintf("and %s not listed here (%s): drift reports every finding", plural(more, "more finding"), severityCounts(x.More)),
			})
		}
	}
	if n == 0 {
		return nil
	}
	s.Summary = fmt.Sprintf("%s: %s", plural(n, "finding"), severityCounts(counts))
	return s
}
