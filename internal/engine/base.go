package engine

import (
	"fmt"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
)

// CompareBase shows, in a pull request's plan p of the manifests head,
// which grants the change extends, shortens, bounds or makes permanent,
// against the base branch's access directory tree (label names it in
// messages, e.g. "access@1a2b3c4"). Only p's environments are read.
//
// It fails soft: when the base cannot be read, p says why
// (BaseUnavailable) and the error is returned for the log; nothing else
// changes. The comparison informs reviewers and decides nothing: apply
// never reads it, and the digests do not cover it.
func CompareBase(p *plan.Plan, head *manifest.Repository, tree manifest.Tree, label string) error {
	names := make([]string, 0, len(p.Environments))
	for _, e := range p.Environments {
		names = append(names, e.Name)
	}
	base, err := manifest.ReadBase(tree, label, names)
	if err != nil {
		p.BaseUnavailable = err.Error()
		for _, e := range p.Environments {
			e.EndChanges = nil
		}
		return fmt.Errorf("compare time-bound access with the base branch: %w", err)
	}
	p.BaseUnavailable = ""
	p.CompareBase(head, base)
	return nil
}
