package e2e

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a goroutine outlives its tests: a backfill or a fake tenant left running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
