package webhooks_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

// TestWireFormatAgreesWithTheSpec: the fake tenant builds its delivery bodies from the types generated
// from api/core.yaml and api/legacy.yaml; Parse reads them into the members the platform sent, and
// MarshalJSON writes the same keys back, so the hand-written format and the specs cannot drift apart.
func TestWireFormatAgreesWithTheSpec(t *testing.T) {
	t.Parallel()
	srv := socotratest.NewServer()
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		p    events.Platform
		emit func() (socotratest.Emitted, error)
	}{
		{events.Core, func() (socotratest.Emitted, error) {
			return srv.EmitCore(t.Context(), events.PolicyQuoteCreate, socotratest.CustomData(map[string]int{"n": 1}))
		}},
		{events.Legacy, func() (socotratest.Emitted, error) {
			return srv.EmitLegacy(t.Context(), events.PolicyIssue, map[string]int{"n": 1})
		}},
	} {
		t.Run(tc.p.String(), func(t *testing.T) {
			em, err := tc.emit()
			if err != nil {
				t.Fatal(err)
			}
			ev, err := webhooks.Parse(em.Body)
			if err != nil {
				t.Fatalf("Parse(%s) = %v", em.Body, err)
			}
			at := em.Time
			if tc.p == events.Legacy {
				at = at.Truncate(time.Millisecond) // Legacy sends epoch milliseconds
			}
			if ev.Platform != tc.p || ev.ID != em.ID || ev.Type != em.Type || ev.RequestID != em.RequestID ||
				ev.User != em.User || !ev.Time.Equal(at) || string(ev.Data) != string(em.Data) {
				t.Errorf("Parse(%s) = %v %s %s %s %s %s %s, want the members emitted", em.Body,
					ev.Platform, ev.ID, ev.Type, ev.RequestID, ev.User, ev.Time, ev.Data)
			}
			b, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := keys(t, b), keys(t, em.Body); !slices.Equal(got, want) {
				t.Errorf("MarshalJSON writes keys %v; the %s delivery has %v", got, tc.p, want)
			}
		})
	}
}

func keys(t *testing.T, body []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return slices.Sorted(maps.Keys(m))
}
