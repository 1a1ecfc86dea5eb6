package validate_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBinaryDoesNotLinkTheValidator: the roster binary only names the
// schemas' URLs, so it must not link this package and the JSON Schema
// validator, whose package initialization every run of the binary (each
// step of a workflow, each command on a laptop) would otherwise pay for.
func TestBinaryDoesNotLinkTheValidator(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/roster-dev/roster/cmd/roster").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/roster-dev/roster/schema") {
		t.Fatalf("go list -deps names no schema package; the check below would prove nothing:\n%s", out)
	}
	for _, forbidden := range []string{"github.com/roster-dev/roster/schema/validate", "github.com/santhosh-tekuri/jsonschema/v6"} {
		if slices.Contains(deps, forbidden) {
			t.Errorf("cmd/roster links %s; keep YAML validation against the schemas out of the binary", forbidden)
		}
	}
}
