package socotra

import (
	"context"
	"iter"
	"sync"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/coreapi"
)

// EventQuery chooses where a Core event stream starts. The filters apply to
// the first request only; later pages are fetched with the paging token alone,
// which the platform requires. A non-empty PagingToken (saved from
// [EventStream.Token]) resumes there and ignores the filters.
type EventQuery struct {
	Start       time.Time   // only events at or after Start
	End         time.Time   // only events before End
	Type        events.Name // only events of this type
	PageSize    int         // events per page; 0 lets the platform choose
	PagingToken string      // resume point from a previous stream
}

// EventStream pages through a Core tenant's event stream. Use
// [EventStream.Events] to iterate and [EventStream.Token] to checkpoint.
// Events come in ascending time order, at least once: resuming from a saved
// token may repeat events of the page that was in progress, so deduplicate by
// [StreamEvent.Locator]. Iterate one stream from one goroutine at a time;
// Token may be called from any goroutine.
type EventStream struct {
	c *CoreClient
	q EventQuery

	mu    sync.Mutex
	token string // fetches the page in progress (or the next one)
}

// EventStream returns a stream starting where q says; nothing is fetched
// until [EventStream.Events] is iterated.
func (c *CoreClient) EventStream(q EventQuery) *EventStream {
	return &EventStream{c: c, q: q, token: q.PagingToken}
}

// Token returns the paging token to save as a checkpoint: a stream created
// with it as [EventQuery.PagingToken] resumes after the last page whose every
// event was consumed. A page left by breaking out of the loop is fetched again,
// and when the platform gave no token for a next page, Token keeps the one
// that fetched the last page, so resuming repeats it: deduplicate by
// [StreamEvent.Locator]. Token is "" until a first page with a next token has
// been consumed, if the stream did not start from a token.
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
			p := &coreapi.ListEventsParams{PagingToken: ptrIf(tok)}
			if tok == "" {
				p = &coreapi.ListEventsParams{
					StartTimestamp: ptrIf(s.q.Start), EndTimestamp: ptrIf(s.q.End),
					Type: ptrIf(string(s.q.Type)), PageSize: ptrIf(int32(s.q.PageSize)),
				}
			}
			resp, err := s.c.api.ListEvents(ctx, s.c.tenant, p)
			var page coreapi.EventStreamResponse
			if err == nil {
				page, err = decode(resp, s.c.secrets(), func(r *coreapi.EventStreamResponse) error {
					return checkEvents(deref(r.Events))
				})
			}
			if err != nil {
				yield(StreamEvent{}, err)
				return
			}
			next := deref(page.PagingToken)
			evs := deref(page.Events)
			for _, e := range evs {
				if !yield(eventFrom(e), nil) {
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
