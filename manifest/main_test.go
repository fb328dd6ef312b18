package manifest

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves goroutines behind (the runtime's
// start call, the fake tenant's deliveries).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
