package socotratest_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/coreapi"
	"github.com/socotra-go/sdk/internal/legacyapi"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func TestInvalidOptionsPanic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opt  socotratest.Option
		want string
	}{
		{socotratest.WithClock(nil), "WithClock"},
		{socotratest.WithTokenTTL(0), "WithTokenTTL"},
		{socotratest.WithRetryUnit(-time.Second), "WithRetryUnit"},
		{socotratest.WithDeliveryTimeout(0), "WithDeliveryTimeout"},
		{socotratest.WithLogger(nil), "WithLogger"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			defer func() {
				r := recover()
				if err, ok := r.(error); !ok || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("panic %v, want an error naming %s", r, tc.want)
				}
			}()
			socotratest.NewServer(tc.opt).Close()
		})
	}
}

func TestCoreAuthScheme(t *testing.T) {
	t.Parallel()
	s := newServer(t, socotratest.WithCoreAuthScheme(""))
	for auth, want := range map[string]int{"Bearer " + s.CoreToken(): 401, s.CoreToken(): 200} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"/event/"+s.TenantLocator()+"/webhooks/list", nil)
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Authorization %.10q…: %d, want %d", auth, resp.StatusCode, want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogger(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	s := newServer(t, socotratest.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	rcv := newReceiver(t, always(http.StatusGone))
	loc, _ := s.AddCoreWebhook(rcv.URL, "", events.PolicyChangeIssue)
	s.EmitCore(t.Context(), events.PolicyChangeIssue, nil)
	flush(t, s)
	for _, want := range []string{"webhook created", "delivery failed", loc, "trigger=4xx"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestSetFaultsAtRuntime(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rcv := newReceiver(t, nil)
	if _, err := s.AddCoreWebhook(rcv.URL, "", events.PolicyChangeIssue); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EmitCore(t.Context(), events.PolicyChangeIssue, nil); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	if err := s.SetFaults(socotratest.Faults{Drop: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EmitCore(t.Context(), events.PolicyChangeIssue, nil); err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("%d requests, want 1: the second delivery is dropped", n)
	}
	if d := s.Deliveries(); len(d) != 2 || d[0].Faults.Has(socotratest.FaultDrop) || !d[1].Faults.Has(socotratest.FaultDrop) {
		t.Errorf("deliveries %+v: want two, the second dropped", d)
	}
}

func TestDisabledAndDeletedWebhooksGetNothing(t *testing.T) {
	t.Parallel()
	s := newServer(t, socotratest.WithClock(socotratest.NewFakeClock(start)))
	c := coreClient(t, s)
	rcv := newReceiver(t, always(http.StatusInternalServerError))
	disabled := hookFor(rcv.URL, "policy.change.create")
	disabled.Enabled = false
	createCore(t, c, s, disabled)
	retrying := hookFor(rcv.URL, "policy.change.create")
	retrying.FailureHandling = coreapi.FailureHandlingCreateRequest{RetryStrategy: &coreapi.RetryStrategyCreateRequest{Attempts: ptr(int32(5))}}
	wh := createCore(t, c, s, retrying)
	s.EmitCore(t.Context(), events.PolicyChangeCreate, nil)
	// The first attempt fails; delete the webhook before the retries run.
	for deadline := time.Now().Add(10 * time.Second); len(rcv.requests()) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first attempt did not arrive within 10s")
		}
	}
	c.DeleteWebhookWithResponse(t.Context(), s.TenantLocator(), wh.Locator)
	flush(t, s)
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("%d requests, want 1: nothing for the disabled webhook, no retry after delete", n)
	}
}

func TestDeleteDivertedEvents(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rcv := newReceiver(t, always(http.StatusInternalServerError))
	core := coreClient(t, s)
	req := hookFor(rcv.URL, "policy.change.create")
	req.FailureHandling = coreapi.FailureHandlingCreateRequest{Divert: ptr(true)}
	wh := createCore(t, core, s, req)
	legacy := legacyClient(t, s)
	legacyHook(t, legacy, "h", rcv.URL, nil, legacyapi.WebhookRequest{Events: &[]legacyapi.EventType{"policy.create"},
		FailureHandling: &legacyapi.FailureHandlingRequest{Mode: ptr(legacyapi.FailureModeDivert)}})
	ce, _ := s.EmitCore(t.Context(), events.PolicyChangeCreate, nil)
	le, _ := s.EmitLegacy(t.Context(), events.PolicyCreate, nil)
	flush(t, s)

	got, _ := core.GetDivertedEventWithResponse(t.Context(), s.TenantLocator(), wh.Locator, ce.ID)
	if got.JSON200 == nil || got.JSON200.EventLocator != ce.ID || deref(got.JSON200.FailureMessage) == "" {
		t.Errorf("get diverted: %s", got.Body)
	}
	if r, _ := core.DeleteDivertedEventWithResponse(t.Context(), s.TenantLocator(), wh.Locator, ce.ID); r.StatusCode() != http.StatusOK {
		t.Errorf("core delete: %d", r.StatusCode())
	}
	if r, _ := legacy.DeleteDivertedEventWithResponse(t.Context(), "h", le.RequestID); r.StatusCode() != http.StatusNoContent {
		t.Errorf("legacy delete: %d", r.StatusCode())
	}
	if a, b := s.DivertedEvents(wh.Locator), s.DivertedEvents("h"); len(a)+len(b) != 0 {
		t.Errorf("diverted events left: %v %v", a, b)
	}
	if r, _ := legacy.DeleteDivertedEventWithResponse(t.Context(), "h", le.RequestID); r.StatusCode() != http.StatusNotFound {
		t.Errorf("legacy delete twice: %d", r.StatusCode())
	}
}

func TestWebhooksSnapshot(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	legacy := legacyClient(t, s)
	legacyHook(t, legacy, "b", "https://example.test/b",
		&legacyapi.SecuritySpecification{HmacEnabled: ptr(true), Secret: ptr("k"), Tag: ptr("v2")},
		legacyapi.WebhookRequest{Events: &[]legacyapi.EventType{"policy.issue"}, Enabled: ptr(false)})
	loc, _ := s.AddCoreWebhook("https://example.test/a", "", events.PolicyChangeCreate)
	w := s.Webhooks()
	if len(w) != 2 || w[0].ID != loc || w[0].Platform != events.Core {
		t.Fatalf("webhooks %+v, want the Core one first", w)
	}
	l := w[1]
	if l.Platform != events.Legacy || l.ID != "b" || l.URL != "https://example.test/b" || !l.HMAC || l.Secret != "k" ||
		l.Tag != "v2" || l.Enabled || l.Integration != "b-in" || l.Headers.Get("X-Tenant") != "t1" {
		t.Errorf("legacy snapshot %+v", l)
	}
	if r, _ := legacy.DeleteWebhookWithResponse(t.Context(), "b"); r.StatusCode() != http.StatusNoContent {
		t.Errorf("delete: %d", r.StatusCode())
	}
	if len(s.Webhooks()) != 1 {
		t.Error("legacy webhook still listed after delete")
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	target := newReceiver(t, nil)
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	s := newServer(t)
	s.AddCoreWebhook(redirect.URL, "", events.PolicyChangeIssue)
	s.EmitCore(t.Context(), events.PolicyChangeIssue, nil)
	flush(t, s)
	if d := s.Deliveries(); len(d) != 1 || d[0].Status != http.StatusTemporaryRedirect || len(target.requests()) != 0 {
		t.Errorf("deliveries %+v, target got %d requests; want the 307 recorded and not followed", d, len(target.requests()))
	}
}

// TestBadRequests: malformed bodies and parameters get a 400 in each platform's error shape.
func TestBadRequests(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	legacy := legacyClient(t, s)
	anon, _ := legacyapi.NewClientWithResponses(s.URL())
	admin, _ := s.LegacyAdminCredentials()
	if r, _ := anon.AuthenticateAdminWithResponse(t.Context(), legacyapi.AdminCredentials{Username: admin, Password: "x"}); r.StatusCode() != http.StatusUnauthorized {
		t.Errorf("wrong admin password: %d", r.StatusCode())
	}
	core := coreClient(t, s)
	coreBody, _ := core.CreateWebhookWithBodyWithResponse(t.Context(), s.TenantLocator(), "application/json", strings.NewReader("{"))
	legacyBody, _ := legacy.PutWebhookWithBodyWithResponse(t.Context(), "application/json", strings.NewReader("[]"))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"/event/"+s.TenantLocator()+"/webhooks/list?count=many", nil)
	req.Header.Set("Authorization", "Bearer "+s.CoreToken())
	param, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	paramBody, _ := io.ReadAll(param.Body)
	param.Body.Close()
	for name, tc := range map[string]struct {
		status int
		body   []byte
		want   string
	}{
		"core malformed JSON":   {coreBody.StatusCode(), coreBody.Body, `"field":"body"`},
		"legacy malformed JSON": {legacyBody.StatusCode(), legacyBody.Body, `"field":"body"`},
		"core bad parameter":    {param.StatusCode, paramBody, `"httpStatus":400`},
	} {
		if tc.status != http.StatusBadRequest || !strings.Contains(string(tc.body), tc.want) {
			t.Errorf("%s: %d %s, want 400 with %s", name, tc.status, tc.body, tc.want)
		}
	}
}
