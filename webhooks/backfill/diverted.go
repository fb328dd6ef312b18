package backfill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
)

// CoreDiverted replays the diverted events of the Core webhook webhookLocator: for each diverted record it
// fetches the event from the event stream by its locator, gives it to the Handler, and deletes the record
// only once the Handler succeeded or reported a duplicate. A record whose event fails stays for the next
// run. The list is read in full before the first delete, so that deleting does not shift the pages.
// [Backfiller.Diverted] does the same given the webhook's name.
func (b *Backfiller) CoreDiverted(ctx context.Context, c *socotra.CoreClient, webhookLocator string) (Report, error) {
	r := b.newRun(ctx, "core diverted events of webhook "+webhookLocator)
	if c == nil {
		return r.finish(ctx, errNilClient)
	}
	return r.finish(ctx, r.coreDiverted(ctx, c, webhookLocator))
}

// coreDiverted replays one Core webhook's diverted events into r and returns the source's error, if any.
func (r *run) coreDiverted(ctx context.Context, c *socotra.CoreClient, webhookLocator string) error {
	recs, err := collect(c.DivertedEvents(ctx, webhookLocator))
	if err != nil {
		return fmt.Errorf("backfill: list the diverted events of webhook %s: %w", webhookLocator, err)
	}
	for _, d := range recs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("backfill: stopped: %w", context.Cause(ctx))
		}
		se, err := c.Event(ctx, d.EventID)
		if err != nil {
			r.count(ctx, failed, d.EventID, fmt.Errorf("fetch diverted event %s: %w", d.EventID, err))
			continue
		}
		if !r.b.wanted(se.Type) {
			r.skip(ctx)
			continue
		}
		r.diverted(ctx, d.EventID, coreEvent(se), func() error {
			return c.DeleteDivertedEvent(ctx, webhookLocator, d.ID)
		})
	}
	return nil
}

// Diverted replays the diverted events of the webhook registered under name (the [socotra.Registration]
// Name given to a Registrar, which is the webhook's name; a manifest.Lifecycle lists the names it
// registers in its Registrations) on c, a *socotra.CoreClient or a
// *socotra.LegacyClient, as [Backfiller.CoreDiverted] and [Backfiller.LegacyDiverted] do. On Core it
// finds the webhooks with that name first; should there be several (a registration interrupted halfway),
// the diverted events of each are replayed in the same run. It fails with an error matching
// [socotra.ErrNotFound] when no Core webhook has that name.
func (b *Backfiller) Diverted(ctx context.Context, c Client, name string) (Report, error) {
	switch c := c.(type) {
	case *socotra.LegacyClient:
		return b.LegacyDiverted(ctx, c, name)
	case *socotra.CoreClient:
		r := b.newRun(ctx, fmt.Sprintf("core diverted events of webhook %q", name))
		if c == nil {
			return r.finish(ctx, errNilClient)
		}
		if name == "" {
			return r.finish(ctx, errors.New("backfill: empty webhook name; give the Name the webhook was registered with"))
		}
		var locators []string
		for w, err := range c.Webhooks(ctx, socotra.WebhookFilter{Name: name}) {
			if err != nil {
				return r.finish(ctx, fmt.Errorf("backfill: find the Core webhook named %q: %w", name, err))
			}
			if w.Name == name { // do not rely on the server applying the filter
				locators = append(locators, w.Locator)
			}
		}
		if len(locators) == 0 {
			return r.finish(ctx, fmt.Errorf("backfill: no Core webhook is named %q (check the registration name): %w", name, socotra.ErrNotFound))
		}
		for _, loc := range locators {
			if err := r.coreDiverted(ctx, c, loc); err != nil {
				return r.finish(ctx, err)
			}
		}
		return r.finish(ctx, nil)
	case nil:
		return b.newRun(ctx, "diverted events").finish(ctx, errNilClient)
	}
	return b.newRun(ctx, "diverted events").finish(ctx,
		fmt.Errorf("backfill: Diverted needs a *socotra.CoreClient or a *socotra.LegacyClient, not %T", c))
}

// LegacyDiverted replays the diverted events of the Legacy webhook named webhookName. The diverted records
// carry the events, so nothing is fetched; a record is deleted only once the Handler succeeded or reported a
// duplicate. Dedupe uses the event id, as for live deliveries; a record without one fails.
func (b *Backfiller) LegacyDiverted(ctx context.Context, c *socotra.LegacyClient, webhookName string) (Report, error) {
	r := b.newRun(ctx, "legacy diverted events of webhook "+webhookName)
	if c == nil {
		return r.finish(ctx, errNilClient)
	}
	recs, err := collect(c.DivertedEvents(ctx, webhookName))
	if err != nil {
		return r.finish(ctx, fmt.Errorf("backfill: list the diverted events of webhook %q: %w", webhookName, err))
	}
	for _, d := range recs {
		if err := ctx.Err(); err != nil {
			return r.finish(ctx, fmt.Errorf("backfill: stopped: %w", context.Cause(ctx)))
		}
		if !b.wanted(d.Type) {
			r.skip(ctx)
			continue
		}
		if d.EventID == "" {
			r.count(ctx, failed, d.ID, fmt.Errorf("diverted record %s has no event id, so it cannot be deduplicated against live deliveries; resend it with LegacyClient.ResendDivertedEvent instead", d.ID))
			continue
		}
		r.diverted(ctx, d.EventID, legacyBody(d.EventID, d.Time, d.ID, d.Type, d.User, d.Data), func() error {
			return c.DeleteDivertedEvent(ctx, webhookName, d.ID)
		})
	}
	return r.finish(ctx, nil)
}

// diverted processes one diverted event, given as a delivery body, then deletes its record with del.
func (r *run) diverted(ctx context.Context, id string, body []byte, del func() error) {
	o, err := r.b.process(ctx, body)
	if o != failed {
		if derr := del(); derr != nil {
			o, err = failed, fmt.Errorf("event %s was processed but its diverted record could not be deleted (the next run deletes it): %w", id, derr)
		} else {
			r.rep.Deleted++
		}
	}
	r.count(ctx, o, id, err)
}

var errNilClient = errors.New("backfill: nil client; make one with socotra.NewCoreClient or socotra.NewLegacyClient")

// collect drains a paged list, stopping at the first error.
func collect[T any](seq func(func(T, error) bool)) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// coreEvent rebuilds the delivery body of a Core event: webhook deliveries carry the event-stream object.
func coreEvent(e socotra.StreamEvent) []byte {
	body, _ := json.Marshal(struct {
		Locator     string          `json:"locator"`
		RequestID   string          `json:"requestId,omitempty"`
		UserLocator string          `json:"userLocator,omitempty"`
		Timestamp   string          `json:"timestamp"`
		Type        string          `json:"type"`
		Data        json.RawMessage `json:"data,omitempty"`
	}{e.Locator, e.RequestID, e.UserLocator, e.Time.Format(time.RFC3339Nano), string(e.Type), validJSON(e.Data)})
	return body
}

// legacyBody rebuilds the delivery body of a Legacy event (a WebhookPayload) from its members.
func legacyBody(id string, at time.Time, transactionID string, typ events.Name, user string, data json.RawMessage) []byte {
	body, _ := json.Marshal(struct {
		ID            string          `json:"id"`
		Timestamp     int64           `json:"timestamp"`
		TransactionID string          `json:"transactionId,omitempty"`
		Type          string          `json:"type"`
		Username      string          `json:"username,omitempty"`
		Data          json.RawMessage `json:"data,omitempty"`
	}{id, at.UnixMilli(), transactionID, string(typ), user, validJSON(data)})
	return body
}

// validJSON returns raw, or nil when it is not valid JSON (so that the body still marshals and the
// Handler's Parse reports what is missing rather than the marshalling failing).
func validJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || !json.Valid(raw) {
		return nil
	}
	return raw
}
