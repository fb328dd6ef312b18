package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/exactlyonce"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

const secret = "fault-test-secret"

// types are the event types the test webhook subscribes to; emitted events cycle through them.
var types = []events.Name{events.PolicyQuoteCreate, events.PolicyQuoteIssue, events.BillingHoldCreate}

// retrying is the failure handling of the test webhook: three retries after 1, 2 and 4 retry units, then
// divert.
var retrying = &socotra.FailureHandling{
	Triggers: []string{"4xx", "5xx", "timeout"},
	Retry:    &socotra.RetryStrategy{Type: socotra.RetryExponential, Interval: 1, Attempts: 3},
	Divert:   true,
}

// env is a fake tenant on a fake clock with one Core webhook pointing at a receiver that can be taken
// down for a window of the fake clock's time (it then answers 503 without reaching the Handler).
type env struct {
	srv   *socotratest.Server
	clock *socotratest.FakeClock
	core  *socotra.CoreClient
	h     *webhooks.Handler
	rec   *exactlyonce.Recorder
	hook  string // the webhook's locator

	downFrom, downTo atomic.Int64 // the receiver is down while downFrom <= clock < downTo (Unix ns)
}

type envConfig struct {
	faults  socotratest.Faults
	dedupe  webhooks.Deduper // nil: the Handler's default
	wrapRcv func(http.Handler) http.Handler
}

func newEnv(t testing.TB, cfg envConfig) *env {
	t.Helper()
	e := &env{clock: socotratest.NewFakeClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)), rec: new(exactlyonce.Recorder)}
	e.srv = socotratest.NewServer(socotratest.WithClock(e.clock), socotratest.WithFaults(cfg.faults),
		socotratest.WithRetryUnit(time.Second))
	t.Cleanup(e.srv.Close)
	var opts []webhooks.Option
	if cfg.dedupe != nil {
		opts = append(opts, webhooks.WithDeduper(cfg.dedupe))
	}
	e.h = webhooks.NewHandler(opts...)
	e.h.On("*", e.rec.Handle)
	rcv, err := webhooks.NewSecretReceiver([]byte(secret), e.h)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.wrapRcv != nil {
		rcv = cfg.wrapRcv(rcv)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if now := e.clock.Now().UnixNano(); now >= e.downFrom.Load() && now < e.downTo.Load() {
			http.Error(w, "receiver down", http.StatusServiceUnavailable)
			return
		}
		rcv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	e.core, err = socotra.NewCoreClient(e.srv.URL(), e.srv.TenantLocator(), e.srv.CoreToken())
	if err != nil {
		t.Fatal(err)
	}
	w, err := e.core.CreateWebhook(context.Background(), socotra.Webhook{
		Name: "e2e", Enabled: true, Events: types, Failure: retrying,
		Endpoint: socotra.Endpoint{URL: hs.URL, HMAC: true, Secret: secret},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.hook = w.Locator
	return e
}

// setDown takes the receiver down from from until to, in the fake clock's time.
func (e *env) setDown(from, to time.Time) {
	e.downFrom.Store(from.UnixNano())
	e.downTo.Store(to.UnixNano())
}

// forever is a time the fake clock never reaches.
var forever = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC) // within the range of UnixNano

// emit emits event i (its type cycles through types) and returns its id.
func (e *env) emit(t testing.TB, i int) string {
	t.Helper()
	ev, err := e.srv.EmitCore(context.Background(), types[i%len(types)], nil)
	if err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

func (e *env) flush(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.srv.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}
