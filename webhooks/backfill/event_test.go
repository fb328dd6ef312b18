package backfill_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

// TestEventIsWhatADeliveryCarries: the event a backfill hands over equals what webhooks.Parse gives for the
// delivery of the same stream event, on both platforms, and its Raw is that delivery's body.
func TestEventIsWhatADeliveryCarries(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
	for _, se := range []socotra.StreamEvent{
		{Platform: events.Core, ID: "01JCORE", RequestID: "01JREQ", User: "u-1", Time: at, Type: events.PolicyQuoteIssue, Data: json.RawMessage(`{"a":1}`)},
		{Platform: events.Legacy, ID: "legacy-1", RequestID: "tx-1", User: "alice", Time: at, Type: events.PolicyIssue, Data: json.RawMessage(`{"b":[true]}`)},
		{Platform: events.Legacy, ID: "legacy-2", Time: at, Type: "tenant.custom"},
	} {
		t.Run(se.ID, func(t *testing.T) {
			t.Parallel()
			got := backfill.Event(se)
			if got.Raw == nil {
				t.Fatal("Raw is nil")
			}
			parsed, err := webhooks.Parse(got.Raw)
			if err != nil {
				t.Fatalf("Parse(Raw) = %v; Raw %s", err, got.Raw)
			}
			if d := cmp.Diff(parsed, got, cmpopts.EquateEmpty(), cmp.Comparer(time.Time.Equal)); d != "" {
				t.Errorf("Event differs from the parsed delivery (-parsed +Event):\n%s", d)
			}
			if got.ID != se.ID || got.Type != se.Type || got.Platform != se.Platform || got.Header != nil {
				t.Errorf("Event(%+v) = %+v", se, got)
			}
		})
	}
}
