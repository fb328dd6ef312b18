package backfill

import (
	"context"
	"errors"
	"fmt"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/webhooks"
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
		se, err := c.Event(ctx, d.ID)
		if err != nil {
			r.count(ctx, failed, d.ID, fmt.Errorf("fetch diverted event %s: %w", d.ID, err))
			continue
		}
		if !r.b.wanted(se.Type) {
			r.skip(ctx)
			continue
		}
		r.diverted(ctx, d.ID, Event(se), func() error {
			return c.DeleteDivertedEvent(ctx, webhookLocator, d.ID)
		})
	}
	return nil
}

// Diverted replays the diverted events of the webhook registered under name (the [socotra.Registration]
// Name given to a Registrar, which is the webhook's name; a socotra.Lifecycle lists the names it
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
		if d.ID == "" {
			r.count(ctx, failed, d.RequestID, fmt.Errorf("diverted record %s has no event id, so it cannot be deduplicated against live deliveries; resend it with LegacyClient.ResendDivertedEvent instead", d.RequestID))
			continue
		}
		ev := withRaw(&webhooks.Event{Platform: events.Legacy, ID: d.ID, Time: d.Time, RequestID: d.RequestID, Type: d.Type, User: d.User, Data: d.Data})
		r.diverted(ctx, d.ID, ev, func() error {
			return c.DeleteDivertedEvent(ctx, webhookName, d.RequestID)
		})
	}
	return r.finish(ctx, nil)
}

// diverted processes one diverted event, then deletes its record with del.
func (r *run) diverted(ctx context.Context, id string, ev *webhooks.Event, del func() error) {
	o, err := r.b.process(ctx, ev)
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
