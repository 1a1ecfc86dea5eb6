package manifest

import (
	"fmt"

	"github.com/roster-dev/roster/internal/diag"
)

// ReadApprovals reads the approvals of an environment.yaml given as data
// (name is the path shown in errors), as another commit of the repository
// holds it: apply judges a merge by the approvals of the default branch
// before the merge, never by the ones the pull request brings. Other fields
// are not checked. An error means the approvals cannot be trusted to be
// what the file says.
func ReadApprovals(name string, data []byte) (Approvals, error) {
	var diags diag.List
	d := &decoder{file: name, diags: &diags}
	root, ok := d.parse(data)
	if !ok || diags.HasErrors() {
		return Approvals{}, fmt.Errorf("read the approvals of %s: %v", name, diags)
	}
	entries, ok := d.mapping(root, EnvironmentFile)
	if !ok {
		return Approvals{}, fmt.Errorf("read the approvals of %s: %v", name, diags)
	}
	env := &envSrc{env: &Environment{}}
	for _, e := range entries {
		if e.name == "approvals" && !isNull(e.val) {
			(&loader{diags: diags}).approvals(env, d, e.val)
		}
	}
	if diags.HasErrors() {
		return Approvals{}, fmt.Errorf("read the approvals of %s: %v", name, diags)
	}
	return env.env.Approvals, nil
}
