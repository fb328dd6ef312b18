package backfill

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/socotra-go/sdk/socotra"
)

// Stream replays the Core event stream from the position saved in cp (or from [WithStart] when cp is
// empty) up to the present, and saves the new position as it goes.
//
// The position is the paging token of a page, and it is saved only once every event of the pages before it
// was handled: a crash at any point resumes at a page some of whose events were handled already, and dedupe
// turns those into duplicates. When an event fails, the remaining events are still handled but the
// checkpoint stays before the failed one, so the next run retries it (the others are then duplicates).
//
// The platform gives no paging token when everything fits in one page. The checkpoint then records the time
// of the last event instead (as "since:" and an RFC 3339 time), and the next run starts there, reading the
// events of that instant again as duplicates.
func (b *Backfiller) Stream(ctx context.Context, c *socotra.CoreClient, cp Checkpoint) (Report, error) {
	r := b.newRun(ctx, "core event stream")
	if c == nil {
		return r.finish(ctx, errNilClient)
	}
	if cp == nil {
		return r.finish(ctx, fmt.Errorf("backfill: nil Checkpoint; use NewFileCheckpoint or a redisstore.Checkpoint"))
	}
	tok, err := cp.Load(ctx)
	if err != nil {
		return r.finish(ctx, fmt.Errorf("backfill: %w", err))
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
		last = se.Time
		if !b.wanted(se.Type) {
			r.skip(ctx)
			continue
		}
		o, err := b.process(ctx, coreEvent(se))
		if o == failed {
			stuck = true
		}
		r.count(ctx, o, se.Locator, err)
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
