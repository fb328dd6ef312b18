package socotratest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/internal/legacyapi"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func TestLegacyAuth(t *testing.T) {
	t.Parallel()
	clock := socotratest.NewFakeClock(start)
	s := newServer(t, socotratest.WithClock(clock), socotratest.WithTokenTTL(time.Hour))
	anon, _ := legacyapi.NewClientWithResponses(s.URL())
	user, pass, host := s.LegacyCredentials()

	bad, _ := anon.AuthenticateWithResponse(t.Context(), legacyapi.UserCredentials{Username: user, Password: "wrong", HostName: host})
	if bad.StatusCode() != http.StatusUnauthorized || bad.JSONDefault == nil || deref(bad.JSONDefault.Message) == "" {
		t.Errorf("wrong password: %d %s, want 401 with an ExceptionResponse", bad.StatusCode(), bad.Body)
	}
	ok, _ := anon.AuthenticateWithResponse(t.Context(), legacyapi.UserCredentials{Username: user, Password: pass, HostName: host})
	if ok.JSON200 == nil {
		t.Fatalf("authenticate: %d %s", ok.StatusCode(), ok.Body)
	}
	exp, _ := ok.JSON200.ExpiresTimestamp.Int64()
	if want := start.Add(time.Hour).UnixMilli(); exp != want {
		t.Errorf("expiresTimestamp = %d, want %d", exp, want)
	}
	tok := ok.JSON200.AuthorizationToken
	call := func(path, auth string) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name, path, auth string
		want             int
	}{
		{"no token", "/webhooks", "", http.StatusUnauthorized},
		{"bearer prefix is not accepted", "/webhooks", "Bearer " + tok, http.StatusUnauthorized},
		{"user token", "/webhooks", tok, http.StatusOK},
		{"user token on integrations", "/integrations", tok, http.StatusForbidden},
	} {
		if got := call(tc.path, tc.auth); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	clock.Advance(59 * time.Minute)
	if got := call("/webhooks", tok); got != http.StatusOK {
		t.Errorf("before expiry: %d", got)
	}
	clock.Advance(time.Minute)
	if got := call("/webhooks", tok); got != http.StatusUnauthorized {
		t.Errorf("at expiry: %d, want 401", got)
	}
	again, _ := anon.AuthenticateWithResponse(t.Context(), legacyapi.UserCredentials{Username: user, Password: pass, HostName: host})
	if got := call("/webhooks", again.JSON200.AuthorizationToken); got != http.StatusOK {
		t.Errorf("renewed token: %d", got)
	}
}

func TestIntegrations(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := legacyClient(t, s)
	spec := &legacyapi.SecuritySpecification{HmacEnabled: ptr(true), Secret: ptr("k"), Tag: ptr("v1")}
	for _, tc := range []struct {
		name  string
		req   legacyapi.IntegrationCreateRequest
		field string
	}{
		{"security spec on http", legacyapi.IntegrationCreateRequest{Name: "a", Type: "webhook", Url: "http://example.test", SecuritySpec: spec}, "securitySpec"},
		{"tag without secret", legacyapi.IntegrationCreateRequest{Name: "a", Type: "webhook", Url: "https://example.test",
			SecuritySpec: &legacyapi.SecuritySpecification{Tag: ptr("v1")}}, "securitySpec.tag"},
		{"unknown type", legacyapi.IntegrationCreateRequest{Name: "a", Type: "pager", Url: "https://example.test"}, "type"},
		{"missing url", legacyapi.IntegrationCreateRequest{Name: "a", Type: "webhook"}, "url"},
	} {
		resp, _ := c.CreateIntegrationWithResponse(t.Context(), tc.req)
		if resp.StatusCode() != http.StatusBadRequest || resp.JSONDefault == nil || !hasField(resp.JSONDefault, tc.field) {
			t.Errorf("%s: %d %s, want 400 with a field error on %s", tc.name, resp.StatusCode(), resp.Body, tc.field)
		}
	}
	good := legacyapi.IntegrationCreateRequest{Name: "crm", Type: "webhook", Url: "https://example.test/in",
		Headers: &legacyapi.IntegrationHeaders{"X-Key": "1"}, SecuritySpec: spec}
	if resp, _ := c.CreateIntegrationWithResponse(t.Context(), good); resp.JSON200 == nil {
		t.Fatalf("create: %d %s", resp.StatusCode(), resp.Body)
	}
	if resp, _ := c.CreateIntegrationWithResponse(t.Context(), good); resp.StatusCode() != http.StatusConflict {
		t.Errorf("second create: %d, want 409", resp.StatusCode())
	}
	// PUT replaces everything: headers and securitySpec left out are cleared.
	rep, _ := c.ReplaceIntegrationWithResponse(t.Context(), "crm", legacyapi.IntegrationUpdateRequest{Url: "http://example.test/new"})
	if rep.JSON200 == nil || rep.JSON200.SecuritySpec != nil || len(deref(rep.JSON200.Headers)) != 0 {
		t.Errorf("replace: %s", rep.Body)
	}
	if resp, _ := c.ReplaceIntegrationWithResponse(t.Context(), "nope", legacyapi.IntegrationUpdateRequest{Url: "https://x.test"}); resp.StatusCode() != http.StatusNotFound {
		t.Errorf("replace unknown: %d", resp.StatusCode())
	}
	list, _ := c.ListIntegrationsWithResponse(t.Context())
	if l := deref(list.JSON200.ExternalServiceIntegrations); len(l) != 1 || deref(l[0].Url) != "http://example.test/new" {
		t.Errorf("list: %s", list.Body)
	}
	if resp, _ := c.DeleteIntegrationWithResponse(t.Context(), "crm"); resp.StatusCode() != http.StatusNoContent {
		t.Errorf("delete: %d", resp.StatusCode())
	}
	if resp, _ := c.DeleteIntegrationWithResponse(t.Context(), "crm"); resp.StatusCode() != http.StatusNotFound {
		t.Errorf("delete again: %d", resp.StatusCode())
	}
}

func hasField(e *legacyapi.ExceptionResponse, field string) bool {
	for _, f := range deref(e.FieldErrors) {
		if deref(f.Field) == field {
			return true
		}
	}
	return false
}

// legacyHook creates an integration for url and a webhook on it.
func legacyHook(t *testing.T, c *legacyapi.ClientWithResponses, name, url string, spec *legacyapi.SecuritySpecification, req legacyapi.WebhookRequest) {
	t.Helper()
	in, _ := c.CreateIntegrationWithResponse(t.Context(), legacyapi.IntegrationCreateRequest{
		Name: name + "-in", Type: "webhook", Url: url, SecuritySpec: spec, Headers: &legacyapi.IntegrationHeaders{"X-Tenant": "t1"}})
	if in.JSON200 == nil {
		t.Fatalf("create integration: %s", in.Body)
	}
	req.Name, req.IntegrationName = name, ptr(name+"-in")
	resp, _ := c.PutWebhookWithResponse(t.Context(), req)
	if resp.JSON200 == nil {
		t.Fatalf("put webhook: %s", resp.Body)
	}
}

func TestLegacyDeliverySigned(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := legacyClient(t, s)
	rcv := newTLSReceiver(t, nil)
	spec := &legacyapi.SecuritySpecification{HmacEnabled: ptr(true), Secret: ptr("k1"), SecureSSL: ptr(false)}
	legacyHook(t, c, "claims", rcv.URL, spec, legacyapi.WebhookRequest{Events: &[]legacyapi.EventType{"claim.create"}})

	em, err := s.EmitLegacy(t.Context(), events.ClaimCreate, map[string]any{"claimLocator": "C1"})
	if err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	var p legacyapi.WebhookPayload
	if err := json.Unmarshal(got[0].body, &p); err != nil {
		t.Fatal(err)
	}
	ms, _ := p.Timestamp.Int64()
	if deref(p.Id) != em.ID || deref(p.TransactionId) != em.RequestID || string(deref(p.Type)) != "claim.create" ||
		ms != em.Time.UnixMilli() || deref(p.Username) == "" || string(p.Data) != `{"claimLocator":"C1"}` {
		t.Errorf("payload %s, emitted %+v", got[0].body, em)
	}
	if got[0].header.Get("X-Tenant") != "t1" {
		t.Errorf("integration header missing: %v", got[0].header)
	}
	v, _ := hmac.NewVerifier([]byte("k1"))
	if err := v.Verify(got[0].body, got[0].header); err != nil {
		t.Errorf("signature: %v", err)
	}
}

// TestLegacySecureSSL: with secureSSL on, only a client that trusts the endpoint delivers.
func TestLegacySecureSSL(t *testing.T) {
	t.Parallel()
	rcv := newTLSReceiver(t, nil)
	for _, trusted := range []bool{false, true} {
		var opts []socotratest.Option
		if trusted {
			opts = append(opts, socotratest.WithHTTPClient(rcv.Client()))
		}
		s := newServer(t, opts...)
		c := legacyClient(t, s)
		legacyHook(t, c, "h", rcv.URL, &legacyapi.SecuritySpecification{SecureSSL: ptr(true)},
			legacyapi.WebhookRequest{Events: &[]legacyapi.EventType{"policy.issue"}})
		s.EmitLegacy(t.Context(), events.PolicyIssue, nil)
		flush(t, s)
		d := s.Deliveries()
		if len(d) != 1 || (d[0].Status == 200) != trusted || (d[0].Err != "") == trusted {
			t.Errorf("trusted=%v: %+v", trusted, d)
		}
	}
}

func TestLegacyUpsertDivertResend(t *testing.T) {
	t.Parallel()
	clock := socotratest.NewFakeClock(start)
	s := newServer(t, socotratest.WithClock(clock), socotratest.WithRetryUnit(time.Minute))
	c := legacyClient(t, s)
	rcv := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	legacyHook(t, c, "h", rcv.URL, nil, legacyapi.WebhookRequest{Events: &[]legacyapi.EventType{"policy.issue"}})
	// Upsert by name: the second PUT changes the same webhook.
	put, _ := c.PutWebhookWithResponse(t.Context(), legacyapi.WebhookRequest{
		Name: "h", IntegrationName: ptr("h-in"), Events: &[]legacyapi.EventType{"policy.issue"},
		RetryStrategy:   ptr(legacyapi.RetryStrategyOne),
		FailureHandling: &legacyapi.FailureHandlingRequest{ActOnStatusCodes: &[]string{"502"}, Mode: ptr(legacyapi.FailureModeDivert)},
	})
	if put.JSON200 == nil || deref(put.JSON200.RetryStrategy) != "one" {
		t.Fatalf("upsert: %s", put.Body)
	}
	if list, _ := c.ListWebhooksWithResponse(t.Context()); len(deref(list.JSON200.Webhooks)) != 1 {
		t.Errorf("upsert created a second webhook: %s", list.Body)
	}

	em, _ := s.EmitLegacy(t.Context(), events.PolicyIssue, nil)
	flush(t, s)
	ds := s.Deliveries()
	if len(ds) != 2 || ds[1].Attempt != 2 || ds[1].Time.Sub(ds[0].Time) != time.Minute {
		t.Fatalf("deliveries %+v, want two attempts one retry unit apart", ds)
	}
	div, _ := c.ListDivertedEventsWithResponse(t.Context(), "h", &legacyapi.ListDivertedEventsParams{Limit: ptr(int32(10))})
	evs := deref(div.JSON200.Events)
	if len(evs) != 1 || deref(evs[0].TransactionId) != em.RequestID || deref(evs[0].EventId) != em.ID {
		t.Fatalf("diverted: %s", div.Body)
	}
	rs, _ := c.ResendDivertedEventWithResponse(t.Context(), "h", em.RequestID)
	if rs.StatusCode() != http.StatusNoContent {
		t.Fatalf("resend: %d %s", rs.StatusCode(), rs.Body)
	}
	flush(t, s)
	if n := len(rcv.requests()); n != 3 {
		t.Errorf("receiver got %d requests, want 3 (two failures, one resend)", n)
	}
	if div, _ := c.ListDivertedEventsWithResponse(t.Context(), "h", nil); len(deref(div.JSON200.Events)) != 0 {
		t.Errorf("still diverted after resend: %s", div.Body)
	}
}

func TestLegacyErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := legacyClient(t, s)
	put, _ := c.PutWebhookWithResponse(t.Context(), legacyapi.WebhookRequest{Name: "h", IntegrationName: ptr("missing"),
		RetryStrategy: ptr(legacyapi.RetryStrategy("always"))})
	if put.StatusCode() != http.StatusBadRequest || !hasField(put.JSONDefault, "integrationName") || !hasField(put.JSONDefault, "retryStrategy") {
		t.Errorf("put: %d %s", put.StatusCode(), put.Body)
	}
	get, _ := c.GetWebhookWithResponse(t.Context(), "nope")
	e := get.JSONDefault
	if get.StatusCode() != http.StatusNotFound || e == nil || deref(e.RequestMethod) != "GET" ||
		deref(e.RequestUri) != "/webhooks/nope" || deref(e.ReferenceId) == "" || !strings.Contains(deref(e.Message), "nope") {
		t.Errorf("get unknown: %d %s", get.StatusCode(), get.Body)
	}
	for name, code := range map[string]int{
		"delete":    must(c.DeleteWebhookWithResponse(t.Context(), "nope")).StatusCode(),
		"unsuspend": must(c.UnsuspendWebhookWithResponse(t.Context(), "nope")).StatusCode(),
		"resend":    must(c.ResendDivertedEventWithResponse(t.Context(), "nope", "tx")).StatusCode(),
	} {
		if code != http.StatusNotFound {
			t.Errorf("%s unknown: %d", name, code)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestLegacySuspend(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := legacyClient(t, s)
	rcv := newReceiver(t, always(http.StatusInternalServerError))
	legacyHook(t, c, "h", rcv.URL, nil, legacyapi.WebhookRequest{Events: &[]legacyapi.EventType{"policy.issue"},
		FailureHandling: &legacyapi.FailureHandlingRequest{Mode: ptr(legacyapi.FailureModeSuspend)}})
	s.EmitLegacy(t.Context(), events.PolicyIssue, nil)
	flush(t, s)
	s.EmitLegacy(t.Context(), events.PolicyIssue, nil)
	flush(t, s)
	get, _ := c.GetWebhookWithResponse(t.Context(), "h")
	if !deref(get.JSON200.Suspended) || get.JSON200.SuspendedTimestamp == "" || len(rcv.requests()) != 1 {
		t.Fatalf("after a failure: %s, %d requests", get.Body, len(rcv.requests()))
	}
	if un, _ := c.UnsuspendWebhookWithResponse(t.Context(), "h"); un.StatusCode() != http.StatusNoContent {
		t.Fatalf("unsuspend: %d", un.StatusCode())
	}
	s.EmitLegacy(t.Context(), events.PolicyIssue, nil)
	flush(t, s)
	if n := len(rcv.requests()); n != 2 {
		t.Errorf("%d requests after unsuspend, want 2", n)
	}
}

func TestLegacyAlertIntegration(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := legacyClient(t, s)
	alerts := newReceiver(t, nil)
	if in, _ := c.CreateIntegrationWithResponse(t.Context(), legacyapi.IntegrationCreateRequest{Name: "pager", Type: "webhook", Url: alerts.URL}); in.JSON200 == nil {
		t.Fatalf("create alert integration: %s", in.Body)
	}
	rcv := newReceiver(t, always(http.StatusInternalServerError))
	legacyHook(t, c, "h", rcv.URL, nil, legacyapi.WebhookRequest{Events: &[]legacyapi.EventType{"policy.issue"},
		AlertIntegrationName: ptr("pager")})
	s.EmitLegacy(t.Context(), events.PolicyIssue, nil)
	flush(t, s)
	got := alerts.requests()
	var msg legacyapi.FailureMessage
	if len(got) != 1 || json.Unmarshal(got[0].body, &msg) != nil || deref(msg.ActualStatus) != "500" || msg.WebhookName != "h" {
		t.Fatalf("alerts %d: %+v", len(got), msg)
	}
	// resetAlertIntegrationName stops the alerts.
	c.PutWebhookWithResponse(t.Context(), legacyapi.WebhookRequest{Name: "h", IntegrationName: ptr("h-in"),
		Events: &[]legacyapi.EventType{"policy.issue"}, ResetAlertIntegrationName: ptr(true)})
	s.EmitLegacy(t.Context(), events.PolicyIssue, nil)
	flush(t, s)
	if n := len(alerts.requests()); n != 1 {
		t.Errorf("%d alerts after resetAlertIntegrationName, want still 1", n)
	}
}
