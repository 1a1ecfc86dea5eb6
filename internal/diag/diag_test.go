package diag_test

import (
	"testing"

	"github.com/roster-dev/roster/internal/diag"
)

func TestTally(t *testing.T) {
	t.Parallel()
	one := diag.Diagnostic{Severity: diag.Error}
	warn := diag.Diagnostic{Severity: diag.Warning}
	cases := []struct {
		list diag.List
		want string
	}{
		{nil, "0 errors, 0 warnings"},
		{diag.List{one, warn}, "1 error, 1 warning"},
		{diag.List{one, one, warn, warn, warn}, "2 errors, 3 warnings"},
	}
	for _, c := range cases {
		if got := c.list.Tally(diag.Error) + ", " + c.list.Tally(diag.Warning); got != c.want {
			t.Errorf("Tally of %d findings = %q, want %q", len(c.list), got, c.want)
		}
	}
}
