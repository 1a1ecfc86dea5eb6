package cli

import (
	"flag"
	"os"
	"testing"

	"github.com/roster-dev/roster/internal/testfixture"
)

// Most of these tests wait on the fakes, on retry backoff or on gathered
// calls rather than compute.
func TestMain(m *testing.M) {
	flag.Parse()
	testfixture.WaitingTests()
	os.Exit(m.Run())
}
