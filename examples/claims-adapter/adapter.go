package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/webhooks"
)

// route says what one Socotra event becomes in the claims system.
type route struct {
	target  string // the claims system's event name
	subject string // the key of the subject object in its body: "claim" or "contact"
}

// mapping is the table of the package documentation; TestDocTable keeps the two in step.
var mapping = map[events.Name]route{
	events.ClaimCreate:        {"claim.created", "claim"},
	events.ClaimClose:         {"claim.closed", "claim"},
	events.ClaimDiscard:       {"claim.closed", "claim"},
	events.ClaimOpen:          {"claim.reopened", "claim"},
	events.SubClaimReopen:     {"claim.reopened", "claim"},
	events.PolicyholderCreate: {"contact.created", "contact"},
}

// idKeys are the data members that may hold the subject's id, tried in order.
var idKeys = []string{"claimLocator", "policyholderLocator", "locator"}

// mapped returns the Socotra events the adapter forwards, sorted.
func mapped() []events.Name {
	names := make([]events.Name, 0, len(mapping))
	for n := range mapping {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// request is what the adapter sends the claims system for one event.
type request struct {
	EventName string         // the claims system's event name, sent in the body and the Event-Name header
	Body      map[string]any // the subject object under "claim" or "contact", event_name, source, performed_by
}

// translate builds the claims system's request for ev, or reports false when ev has no equivalent there.
//
// The subject object is the event's data object as Socotra sent it, plus "id" (the claim's or
// policyholder's locator: data.claimLocator, else data.policyholderLocator, else data.locator) and
// "occurred_at" (the event time, RFC 3339). Socotra does not say whether a person or an API call caused
// an event, so source is always "api", and performed_by.name names the Socotra user ("socotra user
// <username>").
func translate(ev *webhooks.Event) (request, bool, error) {
	r, ok := mapping[ev.Type]
	if !ok {
		return request{}, false, nil
	}
	subject := map[string]any{}
	if len(ev.Data) > 0 && string(ev.Data) != "null" {
		if err := json.Unmarshal(ev.Data, &subject); err != nil {
			return request{}, true, fmt.Errorf("claims-adapter: %s %s: data is not a JSON object: %w", ev.Type, ev.ID, err)
		}
	}
	for _, key := range idKeys {
		if id, ok := subject[key].(string); ok && id != "" {
			subject["id"] = id
			break
		}
	}
	if subject["id"] == nil {
		return request{}, true, fmt.Errorf("claims-adapter: %s %s: data has none of %s", ev.Type, ev.ID, strings.Join(idKeys, ", "))
	}
	subject["occurred_at"] = ev.Time.UTC().Format(time.RFC3339)
	who := "socotra"
	if ev.User != "" {
		who = "socotra user " + ev.User
	}
	return request{EventName: r.target, Body: map[string]any{
		r.subject:      subject,
		"event_name":   r.target,
		"source":       "api",
		"performed_by": map[string]string{"name": who},
	}}, true, nil
}

// forwarder sends translated events to the claims system, retrying a few times within one Socotra
// delivery. When it gives up, the delivery fails with 500 and Socotra's own retries and diversion take
// over, so an outage of the claims system loses nothing.
type forwarder struct {
	url      string        // the claims system's webhook endpoint
	client   *http.Client  // with a timeout shorter than Socotra's delivery timeout
	attempts int           // tries per delivery
	wait     time.Duration // before the second try; doubled for each further one
	budget   time.Duration // for all tries of one delivery; keep it below Socotra's delivery timeout
	log      *slog.Logger
}

// errPermanent marks an answer that trying again within this delivery cannot change (a 4xx other than
// 408 and 429): the delivery fails at once, and the event stays with Socotra (retried, then diverted).
var errPermanent = errors.New("claims system refused the request")

// forward is the webhooks.HandlerFunc of every mapped event.
func (f *forwarder) forward(ctx context.Context, ev *webhooks.Event) error {
	p, ok, err := translate(ev)
	if err != nil || !ok {
		return err // unmapped events are not routed here; a bad data object fails the delivery
	}
	body, err := json.Marshal(p.Body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.budget)
	defer cancel()
	wait := f.wait
	for attempt := 1; ; attempt++ {
		err = f.post(ctx, p.EventName, ev.ID, body)
		if err == nil {
			f.log.Info("forwarded", "event", ev.Type, "as", p.EventName, "attempt", attempt)
			return nil
		}
		if attempt >= f.attempts || errors.Is(err, errPermanent) {
			return fmt.Errorf("claims-adapter: forward %s as %s (attempt %d of %d): %w", ev.Type, p.EventName, attempt, f.attempts, err)
		}
		f.log.Warn("claims system unavailable; trying again", "event", ev.Type, "attempt", attempt, "error", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("claims-adapter: forward %s: %w (last error: %v)", ev.Type, ctx.Err(), err)
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// post sends one request. The Idempotency-Key header (the Socotra event id) lets a claims system that
// supports it drop the copies that at-least-once delivery can produce; others ignore it.
func (f *forwarder) post(ctx context.Context, eventName, eventID string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Event-Name", eventName)
	req.Header.Set("Idempotency-Key", eventID)
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("%w: %s: %s", errPermanent, resp.Status, strings.TrimSpace(string(msg)))
	default:
		return fmt.Errorf("claims system answered %s", resp.Status)
	}
}
