package manifest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTags: tags made from a map are sorted by key and give the same map
// back; no tags are nil either way.
func TestTags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   map[string]string
		want Tags
	}{
		{"none", nil, nil},
		{"empty", map[string]string{}, nil},
		{"sorted by key", map[string]string{"team": "payments", "Email": "a@example.com", "cost-center": "1234"},
			Tags{{"Email", "a@example.com"}, {"cost-center", "1234"}, {"team", "payments"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := TagsOf(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("TagsOf (-want +got):\n%s", diff)
			}
			var back map[string]string
			if len(tt.in) > 0 {
				back = tt.in
			}
			if diff := cmp.Diff(back, got.Map()); diff != "" {
				t.Errorf("Map (-want +got):\n%s", diff)
			}
		})
	}
}
