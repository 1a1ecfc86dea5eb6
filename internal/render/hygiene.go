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
	Env      string
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
	for _, e := range v.Environments {
		for _, f := range v.Opts.Hygiene[e.Name] {
			counts[f.Severity]++
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
	}
	if len(s.Rows) == 0 {
		return nil
	}
	s.Summary = fmt.Sprintf("%s: %s", plural(len(s.Rows), "finding"), severityCounts(counts))
	return s
}
