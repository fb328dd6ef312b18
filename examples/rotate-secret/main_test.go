package main

import (
	"testing"

	"github.com/socotra-go/sdk/examples/internal/golden"
)

// TestRun runs the rotation and compares its output with testdata/output.golden: no delivery refused
// during the rotation, the new key in use after it, the old one passing until the grace period ends.
func TestRun(t *testing.T) {
	t.Parallel()
	golden.Run(t, "testdata/output.golden", run,
		"before: key 2026-10 verified 3 events",
		"while 20 events were delivered: 20 accepted, 0 refused",
		"after: key 2026-11 verified 3 events",
		"1m0s after the switch: 200 OK (key 2026-10 verified 1 event)",
		"11m0s after the switch: 401 Unauthorized",
		`webhook "orders-receiver" is tagged 2026-11`,
		"refused deliveries from Socotra in all: 0")
}
