package scaffold

import (
	"strings"
	"testing"

	"github.com/roster-dev/roster/schema"
	"github.com/roster-dev/roster/schema/validate"
)

// TestFilesNameTheirSchema: every file init writes starts with the
// yaml-language-server line of its kind's published, versioned schema, so
// an editor validates it and a release of main does not change its rules.
func TestFilesNameTheirSchema(t *testing.T) {
	t.Parallel()
	files := Files([]Environment{{Name: "development", AccountID: "111122223333"}, {Name: "production", AccountID: "444455556666"}},
		Options{Region: "us-east-1", PlanRole: DefaultPlanRole, ApplyRole: DefaultApplyRole})
	if len(files) != 3 {
		t.Fatalf("got %d files, want 3", len(files))
	}
	for _, f := range files {
		kind := schema.KindOf(f.Name)
		first, _, _ := strings.Cut(string(f.Data), "\n")
		if want := "# yaml-language-server: $schema=" + kind.URL(); first != want {
			t.Errorf("%s starts with %q, want %q", f.Name, first, want)
		}
		if strings.Contains(first, "/main/") {
			t.Errorf("%s names the schema on a branch: %s", f.Name, first)
		}
		if err := validate.YAML(kind, f.Data); err != nil {
			t.Errorf("%s does not match its schema: %v", f.Name, err)
		}
	}
}
