package action

import (
	"strings"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/render"
	"github.com/roster-dev/roster/internal/report"
)

// matrixBudget is the part of a step's job summary the access matrix may
// use; the plan or drift report before it gets the rest.
const matrixBudget = summaryLimit / 4

// accessMatrix renders the access matrix of every environment, as the
// repository declares it, for the end of the job summary: on a pull request
// it shows who will have what once the change is merged; on a drift run, who
// should have what.
func (r *runner) accessMatrix(repo *manifest.Repository) (string, error) {
	var b strings.Builder
	b.WriteString("\n---\n\n")
	m := report.Build(repo.Environments, report.Options{OwnershipTag: repo.Config.OwnershipTag, Now: r.env.Now()})
	if err := render.ReportMarkdown(&b, m, render.ReportOptions{MaxLength: matrixBudget - b.Len()}); err != nil {
		return "", err
	}
	return b.String(), nil
}
