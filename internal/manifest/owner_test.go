package manifest_test

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/manifest"
)

// TestOwnerUnknownWarns: owner: unknown, the placeholder roster import
// writes, validates with a warning on the owner's line, and no owner tag is
// written for it.
func TestOwnerUnknownWarns(t *testing.T) {
	t.Parallel()
	for _, owner := range []string{"unknown", "Unknown", "platform-team"} {
		t.Run(owner, func(t *testing.T) {
			t.Parallel()
			dir := writeTree(t, map[string]string{
				"production/environment.yaml": `account_id: "111122223333"` + "\n",
				"production/machines.yaml":    "service_accounts:\n  - name: ci\n    owner: " + owner + " # TODO\n",
			})
			repo, diags := manifest.Load(dir, manifest.WithClock(clock))
			if repo == nil {
				t.Fatalf("Load failed:\n%v", diags)
			}
			var got []string
			for _, d := range diags {
				got = append(got, d.Pos.String()+" "+string(d.Severity)+" "+d.Rule)
			}
			var want []string
			tagValue, tagged := "platform-team", true
			if owner != "platform-team" {
				want = []string{filepath.ToSlash(filepath.Join(dir, "production", "machines.yaml")) + ":3:12 warning service-account-owner-unknown"}
				tagValue, tagged = "", false
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if diags.Count(diag.Warning) > 0 && diags[0].Hint == "" {
				t.Error("the warning has no hint")
			}
			v, ok := repo.Environments[0].Users[0].OwnerTagValue()
			if v != tagValue || ok != tagged {
				t.Errorf("OwnerTagValue() = %q, %v; want %q, %v", v, ok, tagValue, tagged)
			}
		})
	}
}
