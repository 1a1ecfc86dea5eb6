package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
)

// mergePlans reads every plan JSON file in the plan-dir folder (written by
// matrix jobs with plan-output), merges them into one plan in the
// repository's promotion order, and publishes it like a plan of its own,
// without reading AWS.
func (r *runner) mergePlans(ctx context.Context) error {
	repo, diags := manifest.Load(r.dir, manifest.WithClock(r.env.Now))
	if diags.HasErrors() {
		return errors.Join(r.failRecord(ctx, "the manifests are invalid"), fmt.Errorf("%s is invalid, so the plans cannot be put in promotion order: run roster validate (the planning jobs annotate every error)", r.in.Path))
	}
	r.relativize(repo)
	dir := r.inWorkspace(r.in.PlanDir)
	var p *plan.Plan
	err := r.group("Merge the plans in "+r.in.PlanDir, func() error {
		var err error
		p, err = readPlanDir(dir, repo)
		if err != nil {
			return err
		}
		return render.Text(r.env.Stdout, p)
	})
	if err != nil {
		return errors.Join(err, r.failRecord(ctx, "the plans could not be merged"))
	}
	return r.publishPlan(ctx, repo, p, nil)
}

// readPlanDir reads every *.json plan in dir (artifact downloads may nest
// them one folder deep) and merges their environments in the repository's
// promotion order; environments the repository does not know follow,
// alphabetically. An environment planned twice is an error: two jobs of a
// matrix planned the same environment.
func readPlanDir(dir string, repo *manifest.Repository) (*plan.Plan, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list plans in %s: %w", dir, err)
	}
	nested, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list plans in %s: %w", dir, err)
	}
	files = append(files, nested...)
	slices.Sort(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("no plan JSON files (*.json) in %s: give every planning job a plan-output and download their artifacts there", dir)
	}
	from := map[string]string{}
	merged := &plan.Plan{}
	for _, name := range files {
		b, err := os.ReadFile(name) //nolint:gosec // files of the folder the workflow names
		if err != nil {
			return nil, err
		}
		p, err := render.ReadJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, e := range p.Environments {
			if prev, ok := from[e.Name]; ok {
				return nil, fmt.Errorf("environment %s is planned in both %s and %s: plan each environment in one job", e.Name, prev, name)
			}
			from[e.Name] = name
			merged.Environments = append(merged.Environments, e)
		}
	}
	rank := func(name string) int {
		for i, e := range repo.Environments {
			if e.Name == name {
				return i
			}
		}
		return len(repo.Environments)
	}
	slices.SortStableFunc(merged.Environments, func(a, b *plan.Environment) int {
		if ra, rb := rank(a.Name), rank(b.Name); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Name, b.Name)
	})
	return merged, nil
}
