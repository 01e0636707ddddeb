package pipeline

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the tests when a goroutine of the load's outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
