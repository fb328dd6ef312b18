package main

import (
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/examples/internal/golden"
	"github.com/socotra-go/sdk/manifest"
)

// TestRun runs the program and compares its output with testdata/output.golden.
func TestRun(t *testing.T) {
	t.Parallel()
	golden.Run(t, "testdata/output.golden", run,
		"security: hmac=true tag=2026-11",
		"by alice at 2026-11-23T09:00:00Z, transaction tx-1",
		"claim.create delivered, signed: true -> 200",
		"policy.cancel: no webhook subscribes to it",
		"0 webhooks and 0 integrations left")
}

// TestManifest checks that the embedded manifest passes the strict checks and names Legacy events only.
func TestManifest(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse(appManifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ValidateStrict(); err != nil {
		t.Fatal(err)
	}
	if m.Platform() != manifest.ConnectedCore {
		t.Errorf("platform %s, want %s", m.Platform(), manifest.ConnectedCore)
	}
	for _, n := range m.Socotra.Webhooks[0].Events {
		if !n.Platforms().Has(events.Legacy) {
			t.Errorf("%s is not a Legacy event", n)
		}
	}
}
