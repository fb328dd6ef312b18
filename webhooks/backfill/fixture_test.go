package backfill_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/exactlyonce"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

const secret = "backfill-test-secret"

// subscribed lists the event types the fixture's webhook on platform p subscribes to: names p sends.
func subscribed(p events.Platform) []events.Name {
	if p == events.Legacy {
		return []events.Name{events.PolicyQuoteCreate, events.PolicyQuoteAccept, events.InvoiceIssue}
	}
	return []events.Name{events.PolicyQuoteCreate, events.PolicyQuoteIssue, events.BillingHoldCreate}
}

// fixture is a fake tenant with a Core and a Legacy webhook, both diverting failed deliveries to a receiver
// that can be taken down, and a Handler that records how often each event was processed.
type fixture struct {
	srv         *socotratest.Server
	core        *socotra.CoreClient
	legacy      *socotra.LegacyClient
	h           *webhooks.Handler
	rec         *exactlyonce.Recorder
	down        atomic.Bool // the receiver answers 503
	coreHook    string      // Core webhook locator
	legacyHook  string      // Legacy webhook name
	receiverURL string
}

func newFixture(t *testing.T, opts ...socotratest.Option) *fixture {
	t.Helper()
	f := &fixture{srv: socotratest.NewServer(opts...), rec: new(exactlyonce.Recorder)}
	t.Cleanup(f.srv.Close)
	f.h = webhooks.NewHandler()
	f.h.On("*", f.rec.Handle)
	verified, err := webhooks.NewSecretReceiver([]byte(secret), f.h)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /core", verified)
	mux.Handle("POST /legacy", f.h) // the Legacy platform signs only for https URLs
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.down.Load() {
			http.Error(w, "receiver down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(rcv.Close)
	f.receiverURL = rcv.URL

	f.core, err = socotra.NewCoreClient(f.srv.URL(), f.srv.TenantLocator(), f.srv.CoreToken())
	if err != nil {
		t.Fatal(err)
	}
	user, pass, host := f.srv.LegacyCredentials()
	admin, adminPass := f.srv.LegacyAdminCredentials()
	f.legacy, err = socotra.NewLegacyClient(f.srv.URL(), socotra.LegacyCredentials{
		Username: user, Password: pass, HostName: host, AdminUsername: admin, AdminPassword: adminPass,
	})
	if err != nil {
		t.Fatal(err)
	}
	divert := &socotra.FailureHandling{Triggers: []string{"5xx", "timeout"}, Divert: true}
	ctx := t.Context()
	if err := f.core.Registrar().Register(ctx, socotra.Registration{
		Name: "backfill-core", URL: rcv.URL + "/core", Events: subscribed(events.Core), Secret: secret, Failure: divert,
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.legacy.Registrar().Register(ctx, socotra.Registration{
		Name: "backfill-legacy", URL: rcv.URL + "/legacy", Events: subscribed(events.Legacy), Failure: divert,
	}); err != nil {
		t.Fatal(err)
	}
	for _, w := range f.srv.Webhooks() {
		switch {
		case w.Platform == events.Core && w.Name == "backfill-core":
			f.coreHook = w.ID
		case w.Platform == events.Legacy:
			f.legacyHook = w.ID
		}
	}
	if f.coreHook == "" || f.legacyHook == "" {
		t.Fatalf("webhooks not registered: %+v", f.srv.Webhooks())
	}
	return f
}

// emit emits n events on platform p, cycling through the subscribed types, waits until every delivery
// settled, and returns their ids.
func (f *fixture) emit(t *testing.T, p events.Platform, n int) []string {
	t.Helper()
	var ids []string
	types := subscribed(p)
	for i := range n {
		e, err := f.srv.Emit(t.Context(), p, socotratest.Event{Type: types[i%len(types)]})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	if err := f.srv.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	return ids
}

var errBoom = errors.New("boom")
