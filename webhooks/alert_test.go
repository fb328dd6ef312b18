package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
)

// TestReceiverAlerts posts each alert shape to NewReceiver: it is answered 200, reaches OnAlert decoded,
// counts in Stats.Alerts and runs no event function.
func TestReceiverAlerts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want Alert
	}{
		{"legacy failure", legacyAlert, Alert{Kind: AlertDeliveryFailed, WebhookName: "claims", URL: "https://app.example/socotra",
			ExpectedStatus: "2xx", ActualStatus: "500", EventType: events.PolicyIssue}},
		{"legacy suspended", `{"event":"claim.create","integrationName":"claims-int","webhookName":"claims"}`,
			Alert{Kind: AlertWebhookSuspended, WebhookName: "claims", IntegrationName: "claims-int", EventType: events.ClaimCreate}},
		{"core failure", `{"webhookLocator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQW","actualStatus":"timeout","expectedStatus":"2xx","eventData":` + coreBody + `}`,
			Alert{Kind: AlertDeliveryFailed, WebhookLocator: "01JD7Y3Q8Z5X2W9V4T6R1M0KQW", ExpectedStatus: "2xx", ActualStatus: "timeout", EventType: events.PolicyQuoteIssue}},
		{"webhookName as an object (seed 003 types it so)", `{"webhookName":{"name":"claims"},"actualStatus":"404"}`,
			Alert{Kind: AlertDeliveryFailed, WebhookName: `{"name":"claims"}`, ActualStatus: "404"}},
		{"event data that is not a delivery", `{"webhookName":"w","eventData":{"policyId":"1"}}`,
			Alert{Kind: AlertDeliveryFailed, WebhookName: "w"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := NewHandler()
			h.On("*", func(context.Context, *Event) error { return errors.New("an alert reached an event function") })
			got := make(chan *Alert, 1)
			h.OnAlert(func(ctx context.Context, a *Alert) error {
				got <- a
				return nil
			})
			status := postSigned(t, h, tt.body)
			if status != http.StatusOK {
				t.Fatalf("status %d, want 200", status)
			}
			a := <-got
			if a.Kind != tt.want.Kind || a.WebhookName != tt.want.WebhookName || a.WebhookLocator != tt.want.WebhookLocator ||
				a.URL != tt.want.URL || a.ExpectedStatus != tt.want.ExpectedStatus || a.ActualStatus != tt.want.ActualStatus ||
				a.IntegrationName != tt.want.IntegrationName || a.EventType != tt.want.EventType {
				t.Errorf("alert %+v\nwant %+v", *a, tt.want)
			}
			if string(a.Raw) != tt.body || a.Header.Get(hmac.HeaderName) == "" {
				t.Errorf("alert Raw %q, signature header %q; want the body and the request's headers", a.Raw, a.Header.Get(hmac.HeaderName))
			}
			if (a.Event != nil) != (a.EventType != "" && tt.want.Kind == AlertDeliveryFailed) {
				t.Errorf("alert Event %v with event type %q", a.Event, a.EventType)
			}
			if s := h.Stats(); s.Alerts != 1 || s.Received != 0 || s.Rejected != 0 {
				t.Errorf("stats alerts %d, received %d, rejected %d; want 1, 0, 0", s.Alerts, s.Received, s.Rejected)
			}
		})
	}
}

func TestReceiverAlertAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		fn     AlertFunc
		status int
		alerts uint64
	}{
		{"no OnAlert", legacyAlert, nil, 200, 1},
		{"OnAlert fails", legacyAlert, func(context.Context, *Alert) error { return errors.New("pager down") }, 500, 1},
		{"OnAlert panics", legacyAlert, func(context.Context, *Alert) error { panic("boom") }, 500, 1},
		{"names no webhook", `{"actualStatus":"500","expectedStatus":"2xx"}`, nil, 400, 0},
		{"names a webhook only", `{"webhookName":"claims"}`, nil, 400, 0},
		{"a delivery missing its type", `{"id":"1","webhookName":"w","url":"u","timestamp":1}`, nil, 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := NewHandler()
			if tt.fn != nil {
				h.OnAlert(tt.fn)
			}
			if status := postSigned(t, h, tt.body); status != tt.status || h.Stats().Alerts != tt.alerts {
				t.Errorf("status %d, alerts %d; want %d, %d", status, h.Stats().Alerts, tt.status, tt.alerts)
			}
		})
	}
}

// postSigned posts body, signed, to a NewReceiver around h and returns the status.
func postSigned(t *testing.T, h *Handler, body string) int {
	t.Helper()
	v, err := hmac.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewReceiver(v, h))
	defer srv.Close()
	r, err := hmac.NewSignedRequest(http.MethodPost, srv.URL, []byte(body), secret)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(r.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAlertLogHidesURLSecrets checks that the warning for an alert does not repeat credentials the
// endpoint URL may carry in its user information or query.
func TestAlertLogHidesURLSecrets(t *testing.T) {
	t.Parallel()
	log, lines := logBuffer()
	h := NewHandler(WithLogger(log))
	body := `{"webhookName":"w","actualStatus":"500","url":"https://user:pw-123@app.example/hook?token=tok-456#frag"}`
	if status := postSigned(t, h, body); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	var found bool
	for _, l := range lines() {
		if l["msg"] == "webhooks: failure alert received" {
			found = true
			if want := "https://[REDACTED]@app.example/hook?[REDACTED]#[REDACTED]"; l["url"] != want {
				t.Errorf("logged url %q, want %s", l["url"], want)
			}
		}
	}
	if !found {
		t.Error("the alert was not logged")
	}
}
