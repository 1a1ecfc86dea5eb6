package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/plan"
)

// TestPlanBaseDir: with --base-dir, a checkout of the base branch, the plan
// marks the grant whose end the change moves, and only that one; a base
// that cannot be read is a warning and a line of the plan, never a failed
// plan; a --base-dir that is not a folder is a usage error.
func TestPlanBaseDir(t *testing.T) {
	t.Parallel()
	head := filepath.Join(t.TempDir(), "access")
	if err := os.CopyFS(head, os.DirFS("../../access")); err != nil {
		t.Fatal(err)
	}
	search := filepath.Join(head, "development", "teams", "search.yaml")
	b, err := os.ReadFile(search)
	if err != nil {
		t.Fatal(err)
	}
	extended := strings.Replace(string(b), `expires: "2027-03-31"`, `expires: "2027-06-30"`, 1)
	if extended == string(b) {
		t.Fatal("the example no longer has walter.fischer's expires")
	}
	writeFile(t, search, extended)
	live := "../../examples/live"

	code, stdout, stderr := runWith(t, nil, "plan", "--dir", head, "--live", live, "--env", "development", "--base-dir", "../../access")
	if code != ExitOK {
		t.Fatalf("plan --base-dir: exit %d\n%s", code, stderr)
	}
	want := "  Time-bound access this change moves:\n    extends user walter.fischer until the end of 2027-06-30 UTC (was the end of 2027-03-31 UTC)\n"
	if !strings.Contains(stdout, want) || strings.Count(stdout, "(was ") != 1 {
		t.Errorf("the plan does not mark exactly the extension:\n%s", stdout)
	}

	code, stdout, stderr = runWith(t, nil, "plan", "--dir", head, "--live", live, "--env", "development", "--base-dir", "../../access", "--format", "json")
	var p struct {
		Environments []struct {
			EndChanges []plan.EndChange `json:"end_changes"`
		} `json:"environments"`
	}
	if err := json.Unmarshal([]byte(stdout), &p); code != ExitOK || err != nil || len(p.Environments) != 1 {
		t.Fatalf("plan --format json --base-dir: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}
	wantJSON := []plan.EndChange{{Move: plan.EndExtended, GrantKey: plan.GrantKey{Kind: plan.KindUser, User: "walter.fischer"}, Until: "the end of 2027-06-30 UTC", Was: "the end of 2027-03-31 UTC"}}
	if diff := cmp.Diff(wantJSON, p.Environments[0].EndChanges); diff != "" {
		t.Errorf("end_changes (-want +got):\n%s", diff)
	}

	badBase := filepath.Join(t.TempDir(), "access")
	writeFile(t, filepath.Join(badBase, "development", "people.yaml"), "users: [\n")
	code, stdout, stderr = runWith(t, nil, "plan", "--dir", head, "--live", live, "--env", "development", "--base-dir", badBase)
	if code != ExitOK || !strings.Contains(stderr, "warning: compare time-bound access with the base branch") ||
		!strings.Contains(stdout, "Time-bound access was not compared with the base branch: ") || strings.Contains(stdout, "(was ") {
		t.Errorf("unreadable base: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	code, _, stderr = runWith(t, nil, "plan", "--dir", head, "--live", live, "--base-dir", filepath.Join(t.TempDir(), "nope"))
	if code != ExitUsage || !strings.Contains(stderr, "is not a folder") {
		t.Errorf("missing --base-dir: exit %d, stderr:\n%s", code, stderr)
	}
}
