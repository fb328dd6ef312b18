package socotratest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/coreapi"
	"github.com/socotra-go/sdk/internal/legacyapi"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// TestLegacyAPIRefusesNamesOutsideItsEnum: PUT /webhooks answers 400 with a field error for a
// Core-only name and for a name outside the Legacy enum, with integer codes in the body.
func TestLegacyAPIRefusesNamesOutsideItsEnum(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := legacyClient(t, s)
	in, _ := c.CreateIntegrationWithResponse(t.Context(), legacyapi.IntegrationCreateRequest{Name: "in", Type: "webhook", Url: "https://app.example/h"})
	if in.JSON200 == nil {
		t.Fatalf("create integration: %s", in.Body)
	}
	for _, tt := range []struct {
		event, want string
	}{
		{"claim.fnol.create", `"claim.fnol.create" is sent only by Core`},
		{"acme.custom.thing", `"acme.custom.thing" is not a Legacy event type`},
	} {
		resp, err := c.PutWebhookWithResponse(t.Context(), legacyapi.WebhookRequest{Name: "h", IntegrationName: ptr("in"),
			Events: &[]legacyapi.EventType{"policy.issue", legacyapi.EventType(tt.event)}})
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			APIErrorCode  json.RawMessage `json:"apiErrorCode"`
			HTTPErrorCode json.RawMessage `json:"httpErrorCode"`
			HTTPStatus    json.RawMessage `json:"httpStatus"`
			FieldErrors   []struct{ Field, Message string }
		}
		if resp.StatusCode() != http.StatusBadRequest || json.Unmarshal(resp.Body, &body) != nil {
			t.Fatalf("%s: status %d %s, want 400", tt.event, resp.StatusCode(), resp.Body)
		}
		if len(body.FieldErrors) != 1 || body.FieldErrors[0].Field != "events[1]" || !strings.Contains(body.FieldErrors[0].Message, tt.want) {
			t.Errorf("%s: field errors %+v, want events[1] saying %q", tt.event, body.FieldErrors, tt.want)
		}
		for name, raw := range map[string]json.RawMessage{"apiErrorCode": body.APIErrorCode, "httpErrorCode": body.HTTPErrorCode, "httpStatus": body.HTTPStatus} {
			var n int
			if json.Unmarshal(raw, &n) != nil || n != http.StatusBadRequest {
				t.Errorf("%s = %s, want the integer 400", name, raw)
			}
		}
	}
	if n := len(s.Webhooks()); n != 0 {
		t.Errorf("%d webhooks after refusals", n)
	}
}

// TestCoreAPIRefusesLegacyOnlyNames on create and on update; a custom name passes.
func TestCoreAPIRefusesLegacyOnlyNames(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := coreClient(t, s)
	resp, err := c.CreateWebhookWithResponse(t.Context(), s.TenantLocator(), hookFor("https://app.example/h", "claim.create")) // platform: refused on purpose
	if err != nil || resp.StatusCode() != http.StatusBadRequest || !strings.Contains(string(resp.Body), `eventTypes[0]: \"claim.create\" is sent only by Legacy`) {
		t.Errorf("create with claim.create: %v %d %s", err, resp.StatusCode(), resp.Body)
	}
	wh := createCore(t, c, s, hookFor("https://app.example/h", "claim.fnol.create", "acme.custom.thing"))
	add := unchanged(wh)
	add.AddEventTypes = []string{"policy.issue"}
	up, err := c.UpdateWebhookWithResponse(t.Context(), s.TenantLocator(), wh.Locator, add)
	if err != nil || up.StatusCode() != http.StatusBadRequest || !strings.Contains(string(up.Body), `addEventTypes[0]: \"policy.issue\" is sent only by Legacy`) {
		t.Errorf("update adding policy.issue: %v %d %s", err, up.StatusCode(), up.Body)
	}
}

// TestEmitRefusesNamesThePlatformDoesNotSend, and checks Core data against its typed shape unless
// the caller asks for custom data.
func TestEmitRefusesNamesThePlatformDoesNotSend(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx := t.Context()
	tests := []struct {
		name string
		emit func() error
		want string // "" when the emit passes
	}{
		{"core, legacy-only name", func() error { _, err := s.EmitCore(ctx, events.ClaimCreate, nil); return err }, // platform: refused on purpose
			`"claim.create" is sent only by Legacy (Connected Core); Core never sends it (nearest Core name: "claim.fnol.create")`},
		{"legacy, core-only name", func() error { _, err := s.EmitLegacy(ctx, events.ClaimFnolCreate, nil); return err }, // platform: refused on purpose
			`"claim.fnol.create" is sent only by Core`},
		{"legacy, custom name", func() error { _, err := s.EmitLegacy(ctx, "acme.custom.thing", nil); return err }, // platform: refused on purpose
			`"acme.custom.thing" is not a Legacy event type`},
		{"core, custom name", func() error { _, err := s.EmitCore(ctx, "acme.custom.thing", map[string]int{"score": 1}); return err }, ""},
		{"core, both platforms", func() error { _, err := s.EmitCore(ctx, events.PolicyQuoteAccept, nil); return err }, ""},
		{"core, typed data", func() error {
			_, err := s.EmitCore(ctx, events.PolicyQuoteIssue, events.QuoteData{QuoteLocator: "Q1"})
			return err
		}, ""},
		{"core, unknown member", func() error {
			_, err := s.EmitCore(ctx, events.PolicyQuoteIssue, map[string]string{"policyLocator": "P1"})
			return err
		}, `does not fit *events.QuoteData, the data of a Core policy.quote.issue event: json: unknown field "policyLocator"; wrap it in socotratest.CustomData`},
		{"core, wrong type", func() error {
			_, err := s.EmitCore(ctx, events.PolicyQuoteIssue, map[string]int{"quoteLocator": 7})
			return err
		}, "does not fit *events.QuoteData"},
		{"core, custom data asked for", func() error {
			_, err := s.EmitCore(ctx, events.PolicyQuoteIssue, socotratest.CustomData(map[string]string{"policyLocator": "P1"}))
			return err
		}, ""},
		{"core, custom data still an object", func() error {
			_, err := s.EmitCore(ctx, events.PolicyQuoteIssue, socotratest.CustomData([]int{1}))
			return err
		}, "data must encode to a JSON object"},
		{"legacy data is not checked", func() error {
			_, err := s.EmitLegacy(ctx, events.PolicyIssue, map[string]string{"anything": "x"})
			return err
		}, ""},
	}
	for _, tt := range tests {
		err := tt.emit()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want it emitted", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	if got := len(s.Events(events.Core)) + len(s.Events(events.Legacy)); got != 5 {
		t.Errorf("%d events recorded, want the 5 emitted", got)
	}
}

// TestAlertShapes: a Legacy alert is seed 003's FailureMessage naming the webhook; a Core alert has
// the assumed shape naming the webhook's locator.
func TestAlertShapes(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rcv := newReceiver(t, always(http.StatusInternalServerError))
	coreAlerts := newReceiver(t, nil)
	legacyAlerts := newReceiver(t, nil)
	req := hookFor(rcv.URL, "policy.quote.issue")
	req.FailureHandling = coreapi.FailureHandlingCreateRequest{AlertEndpoint: &coreapi.CreateEndpointRequest{Url: coreAlerts.URL}}
	wh := createCore(t, coreClient(t, s), s, req)
	lc := legacyClient(t, s)
	in, _ := lc.CreateIntegrationWithResponse(t.Context(), legacyapi.IntegrationCreateRequest{Name: "alerts", Type: "webhook", Url: legacyAlerts.URL})
	if in.JSON200 == nil {
		t.Fatalf("create integration: %s", in.Body)
	}
	legacyHook(t, lc, "lh", rcv.URL, nil, legacyapi.WebhookRequest{Events: &[]legacyapi.EventType{"policy.issue"},
		AlertIntegrationName: ptr("alerts"), FailureHandling: &legacyapi.FailureHandlingRequest{Mode: ptr(legacyapi.FailureModeNone)}})
	s.EmitCore(t.Context(), events.PolicyQuoteIssue, nil)
	s.EmitLegacy(t.Context(), events.PolicyIssue, nil)
	flush(t, s)
	keys := func(r *receiver) map[string]json.RawMessage {
		t.Helper()
		got := r.requests()
		if len(got) != 1 {
			t.Fatalf("%d alerts, want 1", len(got))
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(got[0].body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	core, legacy := keys(coreAlerts), keys(legacyAlerts)
	if string(core["webhookLocator"]) != `"`+wh.Locator+`"` || core["webhookName"] != nil || core["eventData"] == nil {
		t.Errorf("core alert %v; want webhookLocator %s, eventData, no webhookName", core, wh.Locator)
	}
	if string(legacy["webhookName"]) != `"lh"` || legacy["webhookLocator"] != nil || legacy["expectedStatus"] == nil || legacy["actualStatus"] == nil {
		t.Errorf("legacy alert %v; want seed 003's FailureMessage for webhook lh", legacy)
	}
}

// TestEmitCoreListsFollowSeed002: a policyLocators list holds at most five locators, policy status
// lists hold only seed 002's statuses, and both members of each list are present.
func TestEmitCoreListsFollowSeed002(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	locators := func(n int, done bool) events.LocatorPage {
		p := events.LocatorPage{ListCompleted: done, Items: []string{}}
		for i := range n {
			p.Items = append(p.Items, fmt.Sprint("P-", i))
		}
		return p
	}
	statuses := func(st ...events.PolicyStatus) events.PolicyStatusPage {
		return events.PolicyStatusPage{ListCompleted: true, Items: st}
	}
	for _, tt := range []struct {
		name string
		typ  events.Name
		data any
		want string // "" when the emit passes
	}{
		{"five locators", events.BillingInvoiceSettle, map[string]any{"policyLocators": locators(5, false)}, ""},
		{"none", events.BillingInvoiceSettle, map[string]any{"policyLocators": locators(0, true)}, ""},
		{"six locators", events.BillingInvoiceSettle, map[string]any{"policyLocators": locators(6, false)},
			"policyLocators lists 6 items, but Core sends at most 5"},
		{"no list", events.BillingInvoiceSettle, map[string]any{"invoiceLocator": "I-1"},
			`policyLocators needs both "listCompleted" and "items"`},
		{"list without listCompleted", events.BillingInvoiceSettle, map[string]any{"policyLocators": map[string]any{"items": []string{}}},
			`policyLocators needs both "listCompleted" and "items"`},
		{"known statuses", events.PolicyStatusUpdate, map[string]any{"newStatuses": statuses(events.PolicyStatusOnRisk), "removedStatuses": statuses()}, ""},
		{"unknown status", events.PolicyStatusUpdate, map[string]any{"newStatuses": statuses("bogus"), "removedStatuses": statuses()},
			`newStatuses lists "bogus", which is not a policy status`},
		{"custom data asked for", events.PolicyStatusUpdate, socotratest.CustomData(map[string]any{"newStatuses": statuses("bogus")}), ""},
	} {
		_, err := s.EmitCore(t.Context(), tt.typ, tt.data)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want it emitted", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// TestLegacyWebhookWithoutIntegration: seed 003's WebhookRequest requires only name, so the fake
// takes a webhook without an integration; it has nowhere to post, so it gets no deliveries.
func TestLegacyWebhookWithoutIntegration(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := legacyClient(t, s)
	resp, err := c.PutWebhookWithResponse(t.Context(), legacyapi.WebhookRequest{Name: "bare",
		Events: &[]legacyapi.EventType{"policy.issue"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusOK {
		t.Fatalf("PUT /webhooks without integrationName: %d %s, want 200", resp.StatusCode(), resp.Body)
	}
	if _, err := s.EmitLegacy(t.Context(), events.PolicyIssue, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := s.Deliveries(); len(d) != 0 {
		t.Errorf("%d deliveries for a webhook without an integration, want none", len(d))
	}
}

// TestWithSMPKey: with WithSMPKey every delivery carries x-smp-key, as the Marketplace platform's
// requests do; without it none does.
func TestWithSMPKey(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"inst-1", ""} {
		got := make(chan string, 1)
		app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- r.Header.Get("x-smp-key")
		}))
		t.Cleanup(app.Close)
		var opts []socotratest.Option
		if key != "" {
			opts = append(opts, socotratest.WithSMPKey(key))
		}
		s := newServer(t, opts...)
		if _, err := s.AddCoreWebhook(app.URL, "secret", events.PolicyQuoteAccept); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EmitCore(t.Context(), events.PolicyQuoteAccept, nil); err != nil {
			t.Fatal(err)
		}
		if h := <-got; h != key {
			t.Errorf("WithSMPKey(%q): delivery's x-smp-key %q", key, h)
		}
	}
}

// TestLegacyStatusCodesOnly: the fake reads actOnStatusCodes as the SDK does, codes only, so a class
// such as "5xx" that passes here cannot fail on Socotra.
func TestLegacyStatusCodesOnly(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := legacyClient(t, s)
	for codes, want := range map[string]int{"503": http.StatusOK, "5xx": http.StatusBadRequest, "timeout": http.StatusBadRequest} {
		resp, err := c.PutWebhookWithResponse(t.Context(), legacyapi.WebhookRequest{Name: "h",
			Events:          &[]legacyapi.EventType{"policy.issue"},
			FailureHandling: &legacyapi.FailureHandlingRequest{ActOnStatusCodes: &[]string{codes}}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != want {
			t.Errorf("actOnStatusCodes [%q]: %d %s, want %d", codes, resp.StatusCode(), resp.Body, want)
		}
	}
}

// TestEmitCoreIDs: a Core event's requestId is a ULID and its userLocator a UUID (EventResponse in
// the Core API); Legacy ids are not checked.
func TestEmitCoreIDs(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, tt := range []struct {
		p    events.Platform
		e    socotratest.Event
		want string
	}{
		{events.Core, socotratest.Event{Type: events.PolicyQuoteAccept, RequestID: "01JD7Y3Q8Z5X2W9V4T6R1M0KQP", User: "6f1c2d3e-0a1b-4c5d-8e9f-001122334455"}, ""},
		{events.Core, socotratest.Event{Type: events.PolicyQuoteAccept, RequestID: "REQ-1"}, `the RequestID "REQ-1" is not a ULID`},
		{events.Core, socotratest.Event{Type: events.PolicyQuoteAccept, User: "alice"}, `the User "alice" is not a UUID`},
		{events.Legacy, socotratest.Event{Type: events.PolicyIssue, RequestID: "txn-1", User: "alice"}, ""},
	} {
		_, err := s.Emit(t.Context(), tt.p, tt.e)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: %v, want it emitted", tt.e, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%+v: %v, want an error containing %q", tt.e, err, tt.want)
		}
	}
}
