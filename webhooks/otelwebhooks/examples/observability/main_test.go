package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRun runs the example and checks that it printed the spans, the Prometheus series and the stdout
// metrics of a handled and a failed delivery.
func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"Name": "process policy.quote.issue"`,
		`"Name": "process claim.fnol.create"`,
		`"Name": "price the quote"`,
		`socotra_webhooks_outcome="handled"} 1`,
		`socotra_webhooks_outcome="failed"} 1`,
		`messaging_process_duration_seconds_count{`,
		`"Name": "socotra.webhooks.deliveries"`,
		`"Name": "messaging.process.duration"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %s", want)
		}
	}
}
