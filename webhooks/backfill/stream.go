package backfill

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/webhooks"
)

// Client is a tenant's API client whose event stream [Backfiller.Stream] reads: a *socotra.CoreClient or a
// *socotra.LegacyClient. [Backfiller.Diverted] accepts the same two.
type Client interface {
	EventStream(q socotra.EventQuery) *socotra.EventStream
}

var (
	_ Client = (*socotra.CoreClient)(nil)
	_ Client = (*socotra.LegacyClient)(nil)
)

// Stream replays the event stream of c, a Core or a Legacy tenant, from the position saved in cp up to the
// present, and saves the new position as it goes. When cp is empty (a first run, or a lost checkpoint), it
// begins where [WithStart] or [WithFromBeginning] says, and fails with [ErrNoStart] when neither was given.
//
// The position is the paging token of a page, and it is saved only once every event of the pages before it
// was handled: a crash at any point resumes at a page some of whose events were handled already, and dedupe
// turns those into duplicates. When an event fails, the remaining events are still handled but the
// checkpoint stays before the failed one, so the next run retries it (the others are then duplicates).
//
// [WithMinAge] stops the run at the first event younger than the given age, for the next run to read.
//
// The Legacy platform returns a token with every page, also once caught up, and that token later returns
// the events that happened since (reference/socotra-facts.md, section 6), so a Legacy checkpoint resumes
// without repeating any event. Core may give no paging token when everything fits in one page. The
// checkpoint then records the time of the last event instead (as "since:" and an RFC 3339 time), and the
// next run starts there, reading the events of that instant again as duplicates.
func (b *Backfiller) Stream(ctx context.Context, c Client, cp Checkpoint) (Report, error) {
	r := b.newRun(ctx, streamName(c))
	if isNil(c) {
		return r.finish(ctx, errNilClient)
	}
	if cp == nil {
		return r.finish(ctx, errors.New("backfill: nil Checkpoint; use NewFileCheckpoint or a redisstore.Checkpoint"))
	}
	tok, err := cp.Load(ctx)
	if err != nil {
		return r.finish(ctx, fmt.Errorf("backfill: %w", err))
	}
	if tok == "" && len(b.starts) == 0 {
		return r.finish(ctx, ErrNoStart)
	}
	r.rep.Checkpoint = tok
	q := socotra.EventQuery{PagingToken: tok, Start: b.start, PageSize: b.pageSize}
	if since, ok := strings.CutPrefix(tok, sincePrefix); ok {
		if q.Start, err = time.Parse(time.RFC3339Nano, since); err != nil {
			return r.finish(ctx, fmt.Errorf("backfill: checkpoint %q is neither a paging token nor a time: %w", tok, err))
		}
		q.PagingToken = ""
	}
	s := c.EventStream(q)
	if s == nil {
		return r.finish(ctx, fmt.Errorf("backfill: %T.EventStream returned nil; pass a *socotra.CoreClient or a *socotra.LegacyClient", c))
	}
	stuck := false // an event failed: the checkpoint must not move past it
	save := func(t string) error {
		if stuck || t == "" || t == r.rep.Checkpoint {
			return nil
		}
		if err := cp.Save(ctx, t); err != nil {
			return fmt.Errorf("backfill: %w", err)
		}
		r.rep.Checkpoint = t
		return nil
	}
	var last time.Time // of the last event read
	for se, err := range s.Events(ctx) {
		if err != nil {
			return r.finish(ctx, fmt.Errorf("backfill: read the event stream: %w", err))
		}
		// The token moves once a page has been consumed, so here it covers only handled events.
		if err := save(s.Token()); err != nil {
			return r.finish(ctx, err)
		}
		if b.minAge > 0 && time.Since(se.Time) < b.minAge {
			break // too young: this page stays in progress, so the token stays before it
		}
		last = se.Time
		if !b.wanted(se.Type) {
			r.skip(ctx)
			continue
		}
		o, err := b.process(ctx, Event(se))
		if o == failed {
			stuck = true
		}
		r.count(ctx, o, se.ID, err)
		if ctx.Err() != nil {
			return r.finish(ctx, fmt.Errorf("backfill: stopped: %w", context.Cause(ctx)))
		}
	}
	end := s.Token()
	if end == "" && !last.IsZero() { // one page and no token: remember the time instead
		end = sincePrefix + last.UTC().Format(time.RFC3339Nano)
	}
	if err := save(end); err != nil {
		return r.finish(ctx, err)
	}
	return r.finish(ctx, nil)
}

// sincePrefix starts a checkpoint that holds a start time rather than a paging token.
const sincePrefix = "since:"

// streamName names the source of a Stream run in logs.
func streamName(c Client) string {
	switch c.(type) {
	case *socotra.CoreClient:
		return "core event stream"
	case *socotra.LegacyClient:
		return "legacy event stream"
	}
	return "event stream"
}

// isNil reports whether c is nil or a nil pointer to one of the two clients.
func isNil(c Client) bool {
	switch c := c.(type) {
	case nil:
		return true
	case *socotra.CoreClient:
		return c == nil
	case *socotra.LegacyClient:
		return c == nil
	}
	return false
}

// Event returns the event that a webhook delivery of se carries, as [webhooks.Parse] would return it from
// the delivery: the same members, Raw holding the delivery body in se's platform's format (see
// webhooks.Event.MarshalJSON; nil when se.Data is not JSON), and no Header. The backfill hands these to the
// Handler directly, parsing nothing.
func Event(se socotra.StreamEvent) *webhooks.Event {
	return withRaw(&webhooks.Event{
		Platform: se.Platform, ID: se.ID, Time: se.Time, RequestID: se.RequestID, User: se.User, Type: se.Type, Data: se.Data,
	})
}

// withRaw sets ev.Raw to ev's delivery body, so that a handler forwarding Raw has a body in the platform's
// delivery format for a backfilled event too.
func withRaw(ev *webhooks.Event) *webhooks.Event {
	ev.Raw, _ = ev.MarshalJSON() // nil for data that is not JSON
	return ev
}
