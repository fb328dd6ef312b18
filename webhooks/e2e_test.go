package webhooks_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

// TestEndToEnd has the fake tenant deliver signed Core and Legacy events to a receiver, duplicating and
// reordering some deliveries, and checks that each event is handled exactly once with the data it was
// emitted with.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	const secret = "e2e-secret-0123456789"
	ctx := t.Context()

	var mu sync.Mutex
	seen := map[string]int{}
	var order []string
	h := webhooks.NewHandler()
	h.On("*", func(_ context.Context, ev *webhooks.Event) error {
		mu.Lock()
		defer mu.Unlock()
		seen[ev.Platform.String()+"/"+ev.ID]++
		order = append(order, ev.ID)
		return nil
	})
	var typed []string
	if err := webhooks.HandleData(h, events.PolicyQuoteIssue, func(_ context.Context, ev *webhooks.Event, q *events.QuoteData) error {
		mu.Lock()
		defer mu.Unlock()
		typed = append(typed, q.QuoteLocator)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	recv, err := webhooks.NewSecretReceiver([]byte(secret), h)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := httptest.NewTLSServer(recv) // Legacy signs deliveries to https URLs only
	defer endpoint.Close()

	tenant := socotratest.NewServer(
		socotratest.WithClock(socotratest.NewFakeClock(time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC))),
		socotratest.WithFaults(socotratest.Faults{Seed: 7, Duplicate: 0.4, Reorder: 0.4}),
		socotratest.WithHTTPClient(endpoint.Client()))
	defer tenant.Close()
	if _, err := tenant.AddCoreWebhook(endpoint.URL, secret, events.PolicyQuoteIssue, events.PolicyChangeCreate); err != nil {
		t.Fatal(err)
	}
	user, pass, host := tenant.LegacyCredentials()
	admin, adminPass := tenant.LegacyAdminCredentials()
	legacy, err := socotra.NewLegacyClient(tenant.URL(), socotra.LegacyCredentials{
		Username: user, Password: pass, HostName: host, AdminUsername: admin, AdminPassword: adminPass})
	if err != nil {
		t.Fatal(err)
	}
	if err := legacy.Registrar().Register(ctx, socotra.Registration{
		Name: "e2e", URL: endpoint.URL, Events: []events.Name{"policy.issue"}, Secret: secret}); err != nil {
		t.Fatal(err)
	}

	want := map[string]bool{}
	var emitted []string
	var wantQuotes []string
	for i := range 15 {
		q := fmt.Sprint("Q", i)
		e, err := tenant.EmitCore(ctx, events.PolicyQuoteIssue, map[string]string{"quoteLocator": q})
		if err != nil {
			t.Fatal(err)
		}
		want["core/"+e.ID] = true
		emitted = append(emitted, e.ID)
		wantQuotes = append(wantQuotes, q)
		if e, err = tenant.EmitLegacy(ctx, "policy.issue", map[string]string{"policyId": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
		want["legacy/"+e.ID] = true
		emitted = append(emitted, e.ID)
	}
	if err := tenant.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("event %s handled %d times, want once", id, seen[id])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("handled %d distinct events, want %d", len(seen), len(want))
	}
	slices.Sort(typed)
	slices.Sort(wantQuotes)
	if !slices.Equal(typed, wantQuotes) {
		t.Errorf("typed handler saw quotes %q, want %q", typed, wantQuotes)
	}
	if slices.Equal(order, emitted) {
		t.Error("events were handled in the order emitted; the tenant reordered nothing")
	}
	var dups int
	for _, d := range tenant.Deliveries() {
		if d.Faults.Has(socotratest.FaultDuplicate) {
			dups++
		}
		if d.Status != 200 {
			t.Errorf("delivery of %s (attempt %d, faults %s) got %d", d.EventID, d.Attempt, d.Faults, d.Status)
		}
	}
	if dups == 0 {
		t.Error("the tenant duplicated no delivery; the test proves nothing about dedupe")
	}
	if s := h.Stats(); s.Duplicates == 0 || s.Handled != uint64(len(want)) {
		t.Errorf("stats %+v: want %d handled and some duplicates", s, len(want))
	}
}
