package hygiene

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/drift"
)

// TestCut: a plan lists the first findings, most severe first as Check
// orders them, and counts the rest by severity; nothing is lost from the
// total.
func TestCut(t *testing.T) {
	t.Parallel()
	findings := func(sevs ...drift.Severity) []drift.Finding {
		out := make([]drift.Finding, len(sevs))
		for i, s := range sevs {
			out[i] = drift.Finding{ID: fmt.Sprintf("key-age/user/u%d", i), Severity: s}
		}
		return out
	}
	all := findings(drift.High, drift.Medium, drift.Medium, drift.Low, drift.Low)
	tests := []struct {
		name string
		in   []drift.Finding
		n    int
		want Excerpt
	}{
		{"none", nil, 2, Excerpt{}},
		{"fewer than listed", all[:2], 3, Excerpt{Findings: all[:2]}},
		{"exactly listed", all[:3], 3, Excerpt{Findings: all[:3]}},
		{"more than listed", all, 2, Excerpt{Findings: all[:2], More: map[drift.Severity]int{drift.Medium: 1, drift.Low: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Cut(tt.in, tt.n)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Cut (-want +got):\n%s", diff)
			}
			if got.Len() != len(tt.in) {
				t.Errorf("Len = %d, want %d (every finding listed or counted)", got.Len(), len(tt.in))
			}
		})
	}
}
