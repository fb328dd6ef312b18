package webhooks_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

// TestAlertFromTenant has the fake tenant fail a delivery to a Core webhook whose failure handling names
// an alert endpoint: the alert it then posts is answered 200 and reaches OnAlert, about the failed event.
func TestAlertFromTenant(t *testing.T) {
	t.Parallel()
	const secret = "alert-secret-0123456789"
	ctx := t.Context()

	failing := webhooks.NewHandler()
	failing.On("*", func(context.Context, *webhooks.Event) error { return errors.New("downstream unavailable") })
	recv, err := webhooks.NewSecretReceiver([]byte(secret), failing)
	if err != nil {
		t.Fatal(err)
	}
	alerts := webhooks.NewHandler()
	got := make(chan *webhooks.Alert, 1)
	alerts.OnAlert(func(_ context.Context, a *webhooks.Alert) error {
		got <- a
		return nil
	})
	alertRecv, err := webhooks.NewSecretReceiver([]byte(secret), alerts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /events", recv)
	mux.Handle("POST /alerts", alertRecv)
	endpoint := httptest.NewServer(mux)
	defer endpoint.Close()

	tenant := socotratest.NewServer()
	defer tenant.Close()
	c, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateWebhook(ctx, socotra.Webhook{
		Name: "alerted", Enabled: true, Events: []events.Name{events.PolicyQuoteIssue},
		Endpoint: socotra.Endpoint{URL: endpoint.URL + "/events", HMAC: true, Secret: secret},
		Failure: &socotra.FailureHandling{Triggers: []string{"5xx"},
			AlertEndpoint: &socotra.Endpoint{URL: endpoint.URL + "/alerts", HMAC: true, Secret: secret}},
	}); err != nil {
		t.Fatal(err)
	}
	e, err := tenant.EmitCore(ctx, events.PolicyQuoteIssue, map[string]string{"quoteLocator": "Q1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tenant.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var a *webhooks.Alert
	select {
	case a = <-got:
	default:
		t.Fatal("no alert reached OnAlert")
	}
	if a.Kind != webhooks.AlertDeliveryFailed || a.ActualStatus != "500" || a.Event == nil || a.Event.ID != e.ID {
		t.Errorf("alert kind %q, actual status %q, event %+v; want a failed delivery of event %s answered 500", a.Kind, a.ActualStatus, a.Event, e.ID)
	}
	if s := alerts.Stats(); s.Alerts != 1 || s.Rejected != 0 {
		t.Errorf("alert receiver stats %+v; want one alert and nothing rejected", s)
	}
	for _, d := range tenant.Deliveries() {
		if d.Alert && d.Status != http.StatusOK {
			t.Errorf("the alert was answered %d, want 200", d.Status)
		}
	}
}
