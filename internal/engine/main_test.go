package engine

import (
	"flag"
	"os"
	"testing"

	"github.com/roster-dev/roster/internal/testfixture"
)

// Many of these tests wait on the fakes' latency, on retry backoff or on
// gathered calls.
func TestMain(m *testing.M) {
	flag.Parse()
	testfixture.WaitingTests()
	os.Exit(m.Run())
}
