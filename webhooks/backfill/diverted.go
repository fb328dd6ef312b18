package backfill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/socotra-go/sdk/socotra"
)

// CoreDiverted replays the diverted events of the Core webhook webhookLocator: for each diverted record it
// fetches the event from the event stream by its locator, gives it to the Handler, and deletes the record
// only once the Handler succeeded or reported a duplicate. A record whose event fails stays for the next
// run. The list is read in full before the first delete, so that deleting does not shift the pages.
func (b *Backfiller) CoreDiverted(ctx context.Context, c *socotra.CoreClient, webhookLocator string) (Report, error) {
	r := b.newRun(ctx, "core diverted events of webhook "+webhookLocator)
	if c == nil {
		return r.finish(ctx, errNilClient)
	}
	recs, err := collect(c.DivertedEvents(ctx, webhookLocator))
	if err != nil {
		return r.finish(ctx, fmt.Errorf("backfill: list the diverted events of webhook %s: %w", webhookLocator, err))
	}
	for _, d := range recs {
		if err := ctx.Err(); err != nil {
			return r.finish(ctx, fmt.Errorf("backfill: stopped: %w", context.Cause(ctx)))
		}
		se, err := c.Event(ctx, d.EventID)
		if err != nil {
			r.count(ctx, failed, d.EventID, fmt.Errorf("fetch diverted event %s: %w", d.EventID, err))
			continue
		}
		if !b.wanted(se.Type) {
			r.skip(ctx)
			continue
		}
		r.diverted(ctx, d.EventID, coreEvent(se), func() error {
			return c.DeleteDivertedEvent(ctx, webhookLocator, d.ID)
		})
	}
	return r.finish(ctx, nil)
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
		r.diverted(ctx, d.EventID, legacyEvent(d), func() error {
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

// legacyEvent rebuilds the delivery body of a Legacy diverted event.
func legacyEvent(d socotra.DivertedEvent) []byte {
	body, _ := json.Marshal(struct {
		ID            string          `json:"id"`
		Timestamp     int64           `json:"timestamp"`
		TransactionID string          `json:"transactionId,omitempty"`
		Type          string          `json:"type"`
		Username      string          `json:"username,omitempty"`
		Data          json.RawMessage `json:"data,omitempty"`
	}{d.EventID, d.Time.UnixMilli(), d.ID, string(d.Type), d.User, validJSON(d.Data)})
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
