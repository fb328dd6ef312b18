package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// inspected is a fake tenant with the inspector mounted, a webhook that answers 200 and one that
// answers 503 (retried once, then diverted and suspended).
type inspected struct {
	srv              *socotratest.Server
	page             string // the inspector URL with its key
	okHook, failHook string
}

func newInspected(t *testing.T) *inspected {
	t.Helper()
	in := newInspector("k3y")
	srv := socotratest.NewServer(socotratest.WithHandler(inspectorPrefix, in), socotratest.WithRetryUnit(time.Millisecond))
	t.Cleanup(srv.Close)
	if err := in.attach(srv); err != nil {
		t.Fatal(err)
	}
	_, good := newStrictReceiver(t, "good-secret")
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "receiver down for maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(bad.Close)
	c, err := socotra.NewCoreClient(srv.URL(), srv.TenantLocator(), srv.CoreToken())
	if err != nil {
		t.Fatal(err)
	}
	ok, err := c.CreateWebhook(t.Context(), socotra.Webhook{
		Name: "good", Enabled: true, Events: []events.Name{events.PolicyQuoteIssue, events.BillingInvoiceGenerate},
		Endpoint: socotra.Endpoint{URL: good.URL, HMAC: true, Secret: "good-secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	fail, err := c.CreateWebhook(t.Context(), socotra.Webhook{
		Name: "flaky", Enabled: true, Events: []events.Name{events.PolicyQuoteIssue},
		Endpoint: socotra.Endpoint{URL: bad.URL, HMAC: true, Secret: "bad-secret"},
		Failure: &socotra.FailureHandling{
			Triggers: []string{"5xx"}, Retry: &socotra.RetryStrategy{Type: socotra.RetryLinear, Interval: 1, Attempts: 1},
			Divert: true, Suspend: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &inspected{srv: srv, page: srv.URL() + inspectorPrefix + "?key=k3y", okHook: ok.Locator, failHook: fail.Locator}
}

func TestInspectorShowsDeliveries(t *testing.T) {
	t.Parallel()
	in := newInspected(t)
	em, err := in.srv.EmitCore(t.Context(), events.PolicyQuoteIssue, sampleData(events.PolicyQuoteIssue, events.Core))
	if err != nil {
		t.Fatal(err)
	}
	if err := in.srv.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, in.page)
	if code != 200 {
		t.Fatalf("page: %d %s", code, body)
	}
	for _, want := range []string{
		`id="webhooks"`, in.okHook, in.failHook, // both webhooks
		`id="deliveries"`, em.ID, "policy.quote.issue", // the event
		"(retry)",                          // the failing webhook's retry
		"receiver down for maintenance",    // a response body
		"Socotra-Signature: ",              // the request headers
		"…</code>",                         // the signature, shortened in its column
		`id="diverted"`, `action="resend"`, // a diverted event and its resend form
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if !strings.Contains(body, `id="suspensions"`) || !strings.Contains(body, "webhooks unsuspend "+in.failHook) ||
		!strings.Contains(body, `action="unsuspend"`) {
		t.Error("the page does not show the suspension")
	}
	if strings.Contains(body, "good-secret") || strings.Contains(body, "bad-secret") {
		t.Error("the page shows a webhook secret")
	}
	if n := strings.Count(body, `<tr class="delivery">`); n != 3 { // good once, flaky twice
		t.Errorf("the page lists %d delivery attempts, want 3", n)
	}
}

func TestInspectorNeedsKey(t *testing.T) {
	t.Parallel()
	in := newInspected(t)
	base := in.srv.URL() + inspectorPrefix
	for _, u := range []string{base, base + "?key=wrong", base + "?key="} {
		if code, _ := get(t, u); code != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", u, code)
		}
	}
	resp, err := http.PostForm(base+"emit", url.Values{"key": {"wrong"}, "event": {"core:policy.quote.issue"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(in.srv.Events(events.Core)) != 0 {
		t.Errorf("emit with a wrong key: %d and %d events, want 403 and none", resp.StatusCode, len(in.srv.Events(events.Core)))
	}
}

func TestInspectorForms(t *testing.T) {
	t.Parallel()
	in := newInspected(t)
	base := in.srv.URL() + inspectorPrefix
	resp, err := http.PostForm(base+"emit", url.Values{"key": {"k3y"}, "event": {"core:policy.quote.issue"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(in.srv.Events(events.Core)) != 1 { // after the 303 to the page
		t.Fatalf("emit: %d, %d events", resp.StatusCode, len(in.srv.Events(events.Core)))
	}
	if err := in.srv.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	div := in.srv.DivertedEvents(in.failHook)
	if len(div) != 1 {
		t.Fatalf("%d diverted events, want 1", len(div))
	}
	// A suspended webhook gets nothing, resends included: unsuspend it first, with its button.
	resp, err = http.PostForm(base+"unsuspend", url.Values{"key": {"k3y"}, "platform": {"core"}, "webhook": {in.failHook}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, w := range in.srv.Webhooks() {
		if w.ID == in.failHook && w.Suspended {
			t.Fatalf("the unsuspend form left the webhook suspended (%s)", resp.Request.URL.Query().Get("flash"))
		}
	}
	before := len(in.srv.Deliveries())
	resp, err = http.PostForm(base+"resend", url.Values{"key": {"k3y"}, "platform": {"core"}, "webhook": {in.failHook}, "id": {div[0].Event.ID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if flash := resp.Request.URL.Query().Get("flash"); !strings.HasPrefix(flash, "resent ") {
		t.Errorf("resend: %s", flash)
	}
	if err := in.srv.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	var resent bool
	for _, d := range in.srv.Deliveries()[before:] {
		resent = resent || d.Resend
	}
	if !resent {
		t.Error("the resend form did not resend the diverted event")
	}
	_, body := get(t, base+"?key=k3y&flash=x")
	if !strings.Contains(body, `id="flash"`) {
		t.Error("no flash message")
	}
	resp, err = http.PostForm(base+"emit", url.Values{"key": {"k3y"}, "event": {"core:policy.create"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(in.srv.Events(events.Core)) != 1 {
		t.Error("a Legacy-only event was emitted on Core")
	}
}
