package engine

import (
	"testing"

	"github.com/roster-dev/roster/internal/testfixture"
)

func TestMain(m *testing.M) { testfixture.Main(m) }
