package main

import (
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/examples/internal/golden"
	"github.com/socotra-go/sdk/manifest"
)

// TestRun runs the program and compares everything it printed with testdata/output.golden, so the
// walkthrough a newcomer reads is the one the SDK produces.
func TestRun(t *testing.T) {
	t.Parallel()
	start := time.Now()
	out := golden.Run(t, "testdata/output.golden", run,
		"typed handler for policy.quote.issue: quote Q-1001 issued (data decoded into *events.QuoteData)",
		"delivery 2 got 200 OK (same event id: deduplicated, no handler ran)",
		`sdk log (warn): hmac: request refused status="401" reason="hmac: invalid signature"`,
		"6 received, 5 handled, 1 duplicate, 0 failed",
		"0 left on the tenant")
	// It takes well under a second; the bound catches a real retry wait or timeout creeping in, with room
	// for a loaded machine running every test under -race.
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("run took %v; the quickstart must finish in a few seconds", took)
	}
	if strings.Contains(out, "Q-EVIL") {
		t.Error("the forged delivery reached a handler")
	}
}

// TestManifest checks the embedded manifest: valid with no warning (manifestcheck -strict passes), for
// Core names only.
func TestManifest(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse(appManifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ValidateStrict(); err != nil {
		t.Fatal(err)
	}
	for _, n := range m.Socotra.Webhooks[0].Events {
		if !n.SentBy(events.Core) {
			t.Errorf("%q is not a Core name", n)
		}
	}
	if m.Socotra.Webhooks[0].Path != hookPath {
		t.Errorf("manifest path %q, receiver path %q", m.Socotra.Webhooks[0].Path, hookPath)
	}
}
