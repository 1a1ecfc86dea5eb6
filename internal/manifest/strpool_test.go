package manifest

import (
	"strings"
	"testing"
	"unsafe"
)

// TestStrPoolIntern: equal strings come back as one string (the first
// seen); a string written differently stays as written, since the
// manifests' exact text is what the plan carries.
func TestStrPoolIntern(t *testing.T) {
	t.Parallel()
	var p strPool
	first := strings.Repeat("k", 64)
	again := strings.Clone(first)
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	if got := p.intern(first); !same(got, first) {
		t.Error("the first string is not kept as it is")
	}
	if got := p.intern(again); got != first || !same(got, first) {
		t.Error("an equal string did not come back as the first copy")
	}
	other := " " + first
	if got := p.intern(other); got != other {
		t.Errorf("intern(%q) = %q, want it unchanged", other, got)
	}
}
