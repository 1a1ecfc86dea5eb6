package manifest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/diag"
)

// TestMappingDuplicateKeys: a repeated key is reported at its line with
// the line of the first, in small mappings (scanned) and large ones
// (indexed past scanKeys keys) alike, and only the first is kept.
func TestMappingDuplicateKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		keys int
		dup  int // the key repeated after the others (1-based)
	}{
		{"small", 3, 2},
		{"at the scan limit", scanKeys, scanKeys},
		{"large, early key", 3 * scanKeys, 1},
		{"large, late key", 3 * scanKeys, 3*scanKeys - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			for i := 1; i <= tt.keys; i++ {
				fmt.Fprintf(&b, "k%d: v\n", i)
			}
			fmt.Fprintf(&b, "k%d: again\n", tt.dup)
			var diags diag.List
			d := &decoder{file: "f.yaml", diags: &diags}
			root, ok := d.parse([]byte(b.String()))
			if !ok {
				t.Fatalf("parse: %v", diags)
			}
			m, ok := d.mapping(root, "m")
			if !ok || len(m) != tt.keys {
				t.Fatalf("mapping: %d entries (ok %v), want %d", len(m), ok, tt.keys)
			}
			want := []string{fmt.Sprintf("f.yaml:%d:1: duplicate key \"k%d\" in m (first at line %d)", tt.keys+1, tt.dup, tt.dup)}
			var got []string
			for _, d := range diags {
				got = append(got, d.Pos.String()+": "+d.Message)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if m[tt.dup-1].val.Value != "v" {
				t.Errorf("k%d = %q, want the first value", tt.dup, m[tt.dup-1].val.Value)
			}
		})
	}
}
