package manifest_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/manifest"
)

// TestTimeBoundGrants reads memberships written as names or {name,
// expires}, and user expires written as a date or a time, quoted or not;
// ended grants are warnings on their line.
func TestTimeBoundGrants(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"production/environment.yaml": "account_id: \"111122223333\"\nguardrails:\n  max_elevation_hours: 48\n",
		"production/people.yaml": `groups:
  - name: developers
  - name: prod-operators
  - name: auditors
users:
  - name: priya.raman
    groups:
      - developers
      - name: prod-operators
        expires: 2026-06-02T18:00:00Z
      - name: auditors
        expires: "2026-06-01T09:30:00+02:00"
    expires: "2026-09-30T17:00:00Z"
  - name: sam
    groups: [{name: developers, expires: 2026-06-01}]
    expires: 2026-12-31
`,
	})
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	repo, diags := manifest.Load(dir, manifest.WithClock(func() time.Time { return now }))
	if diags.HasErrors() {
		t.Fatalf("Load reported errors:\n%v", diags)
	}
	type grant struct {
		User, Group, Until string
		Passed             bool
	}
	var got []grant
	for _, u := range repo.Environments[0].Users {
		for _, g := range u.Grants() {
			got = append(got, grant{u.Name, g.Group, g.String(), g.Passed(now)})
		}
	}
	want := []grant{
		{"priya.raman", "", "2026-09-30 17:00 UTC", false},
		{"priya.raman", "prod-operators", "2026-06-02 18:00 UTC", false},
		{"priya.raman", "auditors", "2026-06-01 07:30 UTC", true},
		{"sam", "", "the end of 2026-12-31 UTC", false},
		{"sam", "developers", "the end of 2026-06-01 UTC", false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("grants (-want +got):\n%s", diff)
	}
	var warnings []string
	for _, f := range diags {
		if f.Severity == diag.Warning {
			warnings = append(warnings, fmt.Sprintf("%s:%d:%d: %s", filepath.Base(f.File), f.Line, f.Col, f.Message))
		}
	}
	wantWarnings := []string{`people.yaml:12:18: the membership of user "priya.raman" in group "auditors" ended at 2026-06-01 07:30 UTC and will be removed by the next apply or expire run`}
	if diff := cmp.Diff(wantWarnings, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
