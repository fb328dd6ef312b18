package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/safeurl"
)

// AlertKind says what an [Alert] reports.
type AlertKind string

// The kinds of alert a receiver recognises.
const (
	// AlertDeliveryFailed: a delivery failed after its last attempt. Legacy sends a FailureMessage
	// {actualStatus, eventData, expectedStatus, url, webhookName} to the webhook's alert integration
	// (seed 003, FailureMessage).
	AlertDeliveryFailed AlertKind = "delivery_failed"
	// AlertWebhookSuspended: the platform suspended a webhook, with EventStreamWebhookSuspendedData
	// {event, integrationName, webhookName} (seed 003).
	AlertWebhookSuspended AlertKind = "webhook_suspended"
)

// Alert is a failure alert: what Socotra sends to a webhook's alert endpoint (Core
// failureHandling.alertEndpoint, Legacy alertIntegrationName) when a delivery fails for good or a webhook
// is suspended. An alert is not an event: it has no event id, so it is neither deduped nor routed by
// [Handler.On]. A receiver answers it 200, logs it at warn level, counts it in [Stats].Alerts and passes it
// to the function of [Handler.OnAlert], if any.
//
// The Legacy shapes are those of seed 003. The shape of a Core alert is not published (unconfirmed): a
// receiver takes a Core alert to carry the Legacy keys, or "webhookLocator" in place of "webhookName", and
// recognises any JSON object that has no delivery id ("locator" or "id"), names a webhook ("webhookName" or
// "webhookLocator") and has one other key of either shape. Every member is optional; Raw holds the body.
type Alert struct {
	// Kind is AlertDeliveryFailed or AlertWebhookSuspended.
	Kind AlertKind
	// WebhookName is "webhookName": the webhook's name. Seed 003 types it as an object; a non-string
	// value is kept as its JSON text.
	WebhookName string
	// WebhookLocator is "webhookLocator", which a Core alert may carry (unconfirmed).
	WebhookLocator string
	// URL is "url": where the failed delivery was sent.
	URL string
	// ExpectedStatus and ActualStatus are "expectedStatus" and "actualStatus": what the platform wanted and
	// what the endpoint answered (or a note that it did not answer).
	ExpectedStatus, ActualStatus string
	// IntegrationName is "integrationName": the integration of a suspended Legacy webhook.
	IntegrationName string
	// EventType is the type of the event the alert is about: "event" of a suspension, or the type of the
	// failed delivery in EventData when that parses.
	EventType events.Name
	// EventData is the raw "eventData" (or an "event" object): the failed event.
	EventData json.RawMessage
	// Event is EventData decoded with [Parse] when it is a whole delivery; nil otherwise.
	Event *Event
	// Header holds the alert request's headers. Printed or logged, an Alert shows their names only, and
	// URL without user information, query or fragment (see [Alert.String]).
	Header http.Header
	// Raw is the whole body.
	Raw []byte
}

// AlertFunc handles one [Alert]. An error answers the alert 500 (whether Socotra retries an alert is
// unconfirmed) and is logged.
type AlertFunc func(ctx context.Context, a *Alert) error

// OnAlert sets the function that receives the failure alerts posted to this Handler (see [Alert]),
// replacing any set before; nil removes it. Without one, alerts are answered 200 and logged at warn level.
func (h *Handler) OnAlert(fn AlertFunc) {
	if fn == nil {
		h.onAlert.Store(nil)
		return
	}
	h.onAlert.Store(&fn)
}

// alertKeys are the top-level keys of the alert shapes, with the kind each one implies.
var alertKeys = map[string]AlertKind{
	"actualStatus":    AlertDeliveryFailed,
	"expectedStatus":  AlertDeliveryFailed,
	"eventData":       AlertDeliveryFailed,
	"url":             AlertDeliveryFailed,
	"event":           AlertWebhookSuspended,
	"integrationName": AlertWebhookSuspended,
}

// ParseAlert decodes a failure alert (see [Alert] for the shapes recognised). It reports false for a body
// that is not an alert, deliveries included.
func ParseAlert(body []byte) (*Alert, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil || m == nil {
		return nil, false
	}
	for _, k := range [...]string{"locator", "id"} { // a delivery's id: a delivery, however malformed
		if _, ok := m[k]; ok {
			return nil, false
		}
	}
	a := &Alert{Raw: body, WebhookName: text(m["webhookName"]), WebhookLocator: text(m["webhookLocator"])}
	if a.WebhookName == "" && a.WebhookLocator == "" {
		return nil, false
	}
	for k, kind := range alertKeys {
		if _, ok := m[k]; ok && (a.Kind == "" || kind == AlertDeliveryFailed) {
			a.Kind = kind
		}
	}
	if a.Kind == "" {
		return nil, false
	}
	a.URL, a.ExpectedStatus, a.ActualStatus = text(m["url"]), text(m["expectedStatus"]), text(m["actualStatus"])
	a.IntegrationName = text(m["integrationName"])
	a.EventData = nonNull(m["eventData"])
	if ev := nonNull(m["event"]); len(ev) > 0 {
		if ev[0] == '"' {
			a.EventType = events.Name(text(ev))
		} else if a.EventData == nil {
			a.EventData = ev
		}
	}
	if len(a.EventData) > 0 {
		if ev, err := Parse(a.EventData); err == nil {
			a.Event = ev
			if a.EventType == "" {
				a.EventType = ev.Type
			}
		}
	}
	return a, true
}

// text is a JSON string's value, or any other JSON value's text; empty for absent or null.
func text(v json.RawMessage) string {
	if v = nonNull(v); v == nil {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

func nonNull(v json.RawMessage) json.RawMessage {
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	return v
}

// alert answers a failure alert posted to the Handler.
func (h *Handler) alert(ctx context.Context, w http.ResponseWriter, r *http.Request, a *Alert, obs *observation) {
	a.Header = r.Header
	h.stats.alerts.Add(1)
	if h.log.Enabled(ctx, slog.LevelWarn) {
		h.log.LogAttrs(ctx, slog.LevelWarn, "webhooks: failure alert received",
			slog.String("kind", string(a.Kind)),
			slog.String("webhook", a.WebhookName+a.WebhookLocator),
			slog.String("event_type", string(a.EventType)),
			slog.String("expected_status", a.ExpectedStatus),
			slog.String("actual_status", a.ActualStatus),
			slog.String("url", safeURL(a.URL)))
	}
	var err error
	if fn := h.onAlert.Load(); fn != nil {
		err = callAlert(ctx, *fn, a)
	}
	status := http.StatusOK
	if err != nil {
		status = http.StatusInternalServerError
		h.log.LogAttrs(ctx, slog.LevelError, "webhooks: alert function failed",
			slog.String("kind", string(a.Kind)), slog.String("error", err.Error()))
		http.Error(w, http.StatusText(status), status)
	} else {
		w.WriteHeader(status)
	}
	if obs != nil {
		obs.info.Alert, obs.info.Err, obs.info.Status, obs.info.Outcome = a, err, status, OutcomeAlert
		h.endObservation(obs)
	}
}

// safeURL is u without the parts that may hold credentials (see [safeurl.Show]).
func safeURL(u string) string { return safeurl.String(u) }

// callAlert runs fn, turning a panic into a *PanicError.
func callAlert(ctx context.Context, fn AlertFunc, a *Alert) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	if err = fn(ctx, a); err != nil {
		err = fmt.Errorf("webhooks: alert function failed on a %s alert: %w", a.Kind, err)
	}
	return err
}
