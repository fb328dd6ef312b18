package socotra

import (
	"context"
	"errors"
	"iter"
	"sync"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/coreapi"
	"github.com/socotra-go/sdk/internal/legacyapi"
)

// EventQuery chooses where an event stream starts, on either platform. The
// filters apply to the first request only; later pages are fetched with the
// paging token alone, which both platforms expect. A non-empty PagingToken
// (saved from [EventStream.Token]) resumes there and ignores the filters.
type EventQuery struct {
	Start time.Time // only events at or after Start
	// End keeps only events before End: exclusive on Core (assumption: no
	// source states it).
	End time.Time
	// Type keeps only events of this type. Core filters on the server; the
	// Legacy stream has no such filter, so a Legacy stream reads every event
	// and drops the others itself. Unlike Start and End, it also applies to
	// a stream resumed from a token.
	Type events.Name
	// PageSize is the number of events per page; 0 lets the platform choose.
	// On Core it is 1 to 1000 and 100 when left out (assumption: no source
	// states it).
	PageSize    int
	PagingToken string // resume point from a previous stream
}

// EventStream pages through a tenant's event stream: Core's
// (/event/{tenant}/events/list, [CoreClient.EventStream]) or Legacy's
// (/eventstream/events, [LegacyClient.EventStream]). Use [EventStream.Events]
// to iterate and [EventStream.Token] to checkpoint. Events come in ascending
// time order, at least once: resuming from a saved token may repeat events of
// the page that was in progress, so deduplicate by [StreamEvent.ID].
// Iterate one stream from one goroutine at a time; Token may be called from
// any goroutine.
type EventStream struct {
	platform events.Platform
	// fetch returns the page that tok fetches ("" for the first page of the
	// query), and the token of the page after it ("" when none was given).
	fetch func(ctx context.Context, tok string) (page []StreamEvent, next string, err error)
	typ   events.Name // filter applied to fetched pages; "" keeps every event

	mu    sync.Mutex
	token string // fetches the page in progress (or the next one)
}

// EventStream returns a stream of the Core tenant's events starting where q
// says; nothing is fetched until [EventStream.Events] is iterated.
func (c *CoreClient) EventStream(q EventQuery) *EventStream {
	fetch := func(ctx context.Context, tok string) ([]StreamEvent, string, error) {
		p := &coreapi.ListEventsParams{PagingToken: ptrIf(tok)}
		if tok == "" {
			p = &coreapi.ListEventsParams{
				StartTimestamp: ptrIf(q.Start), EndTimestamp: ptrIf(q.End),
				Type: ptrIf(string(q.Type)), PageSize: ptrIf(int32(q.PageSize)),
			}
		}
		resp, err := c.api.ListEvents(ctx, c.tenant, p)
		if err != nil {
			return nil, "", err
		}
		page, err := decode(resp, c.secrets(), func(r *coreapi.EventStreamResponse) error {
			return checkEvents(deref(r.Events))
		})
		if err != nil {
			return nil, "", err
		}
		out := make([]StreamEvent, len(deref(page.Events)))
		for i, e := range deref(page.Events) {
			out[i] = eventFrom(e)
		}
		return out, deref(page.PagingToken), nil
	}
	// The Core platform filters by type itself, on the first request; the
	// token carries the filter on.
	return &EventStream{platform: events.Core, fetch: fetch, token: q.PagingToken}
}

// EventStream returns a stream of the Legacy tenant's events starting where q
// says; nothing is fetched until [EventStream.Events] is iterated. Start and
// End are sent in epoch milliseconds.
//
// The calls follow Socotra's own tools (socotra/public,
// socotratools/socotratools/client.py get_events and event_test.py): the
// first request sends startTimestamp, endTimestamp and pageSize, each later
// one only the pagingToken of the previous page, and an empty page means the
// stream is caught up. Socotra documents that a token comes with every page
// and stays valid after the end, so [EventStream.Token] is a checkpoint that
// later picks up new events without repeating any.
//
// Events are emitted independently of the entities they name being stored:
// Socotra advises waiting a few seconds after an event before fetching the
// policy or claim it names.
func (c *LegacyClient) EventStream(q EventQuery) *EventStream {
	fetch := func(ctx context.Context, tok string) ([]StreamEvent, string, error) {
		p := &legacyapi.ListEventsParams{PagingToken: ptrIf(tok)}
		if tok == "" {
			p = &legacyapi.ListEventsParams{PageSize: ptrIf(int32(q.PageSize))}
			if !q.Start.IsZero() {
				p.StartTimestamp = ptr(q.Start.UnixMilli())
			}
			if !q.End.IsZero() {
				p.EndTimestamp = ptr(q.End.UnixMilli())
			}
		}
		resp, err := c.api.ListEvents(ctx, p)
		if err != nil {
			return nil, "", err
		}
		page, err := decode(resp, c.secrets(), func(r *legacyapi.EventStreamResponse) error {
			if r.Events == nil {
				return errors.New("no events member in the answer")
			}
			for _, e := range r.Events {
				if e.Id == "" || e.Type == "" {
					return errors.New("event without an id or type")
				}
				if ms, err := e.Timestamp.Int64(); err != nil || ms <= 0 {
					return errors.New("event " + e.Id + " without a timestamp in epoch milliseconds")
				}
			}
			return nil
		})
		if err != nil {
			return nil, "", err
		}
		out := make([]StreamEvent, len(page.Events))
		for i, e := range page.Events {
			out[i] = legacyEventFrom(e)
		}
		return out, page.PagingToken, nil
	}
	return &EventStream{platform: events.Legacy, fetch: fetch, typ: q.Type, token: q.PagingToken}
}

// legacyEventFrom maps a Legacy stream event onto a [StreamEvent].
func legacyEventFrom(e legacyapi.EventStreamEvent) StreamEvent {
	return StreamEvent{
		Platform:  events.Legacy,
		ID:        e.Id,
		RequestID: deref(e.TransactionId),
		User:      deref(e.Username),
		Time:      epochMillis(e.Timestamp).UTC(),
		Type:      events.Name(e.Type),
		Data:      e.Data,
	}
}

// Platform returns the platform whose stream this is: events.Core or events.Legacy.
func (s *EventStream) Platform() events.Platform { return s.platform }

// Token returns the paging token to save as a checkpoint: a stream created
// with it as [EventQuery.PagingToken] resumes after the last page whose every
// event was consumed. A page left by breaking out of the loop is fetched
// again. When the platform gave no token for a next page (Core may not),
// Token keeps the one that fetched the last page, so resuming repeats it:
// deduplicate by [StreamEvent.ID]. Token is "" until a first page with a
// next token has been consumed, if the stream did not start from a token.
func (s *EventStream) Token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// Events iterates over the stream until it is caught up: a page with no
// events or no next token ends the iteration (the stream is not closed;
// iterate again later to continue from [EventStream.Token]). The first error
// is yielded and ends the iteration; iterating again retries from the same
// token.
func (s *EventStream) Events(ctx context.Context) iter.Seq2[StreamEvent, error] {
	return func(yield func(StreamEvent, error) bool) {
		for {
			tok := s.Token()
			evs, next, err := s.fetch(ctx, tok)
			if err != nil {
				yield(StreamEvent{}, err)
				return
			}
			for _, e := range evs {
				if s.typ != "" && e.Type != s.typ {
					continue
				}
				if !yield(e, nil) {
					return // the page is not done: Token still fetches it
				}
			}
			if next != "" {
				s.setToken(next)
			}
			if len(evs) == 0 || next == "" || next == tok {
				return
			}
		}
	}
}

func (s *EventStream) setToken(t string) {
	s.mu.Lock()
	s.token = t
	s.mu.Unlock()
}
