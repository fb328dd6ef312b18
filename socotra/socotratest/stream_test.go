package socotratest_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/coreapi"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func TestEventStreamPaging(t *testing.T) {
	t.Parallel()
	clock := socotratest.NewFakeClock(start)
	s := newServer(t, socotratest.WithClock(clock))
	c := coreClient(t, s)
	var ids []string
	for i := range 5 {
		typ := events.PolicyChangeCreate
		if i%2 == 1 {
			typ = events.PolicyChangeIssue
		}
		em, err := s.EmitCore(t.Context(), typ, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, em.ID)
		clock.Advance(time.Minute)
	}
	if _, err := s.EmitLegacy(t.Context(), events.PolicyCreate, nil); err != nil { // not in the Core stream
		t.Fatal(err)
	}
	// An event dated in the past sorts before the ones already there.
	late, err := s.Emit(t.Context(), events.Core, socotratest.Event{Type: events.PolicyChangeCreate, Time: start.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	all := func(first coreapi.ListEventsParams) (got []string, pages int) {
		t.Helper()
		p := &first
		for {
			resp, err := c.ListEventsWithResponse(t.Context(), s.TenantLocator(), p)
			if err != nil || resp.JSON200 == nil {
				t.Fatalf("list events: %v %s", err, resp.Body)
			}
			tok := deref(resp.JSON200.PagingToken)
			if tok == "" {
				t.Fatalf("page %d has no paging token; every page carries one, the last too", pages+1)
			}
			evs := deref(resp.JSON200.Events)
			if len(evs) == 0 { // caught up; the token stays valid for later polls
				return got, pages
			}
			pages++
			for _, e := range evs {
				got = append(got, e.Locator)
			}
			p = &coreapi.ListEventsParams{PagingToken: &tok}
		}
	}
	want := append([]string{late.ID}, ids...)
	// After the end, the last token picks up events emitted later, and only those.
	last := func() string {
		t.Helper()
		p := &coreapi.ListEventsParams{PageSize: ptr(int32(100))}
		for {
			resp, err := c.ListEventsWithResponse(t.Context(), s.TenantLocator(), p)
			if err != nil || resp.JSON200 == nil {
				t.Fatalf("list events: %v", err)
			}
			tok := deref(resp.JSON200.PagingToken)
			if len(deref(resp.JSON200.Events)) == 0 {
				return tok
			}
			p = &coreapi.ListEventsParams{PagingToken: &tok}
		}
	}()
	if got, pages := all(coreapi.ListEventsParams{PageSize: ptr(int32(2))}); !slices.Equal(got, want) || pages != 3 {
		t.Errorf("pageSize 2: %d pages of %v, want 3 pages of %v", pages, got, want)
	}
	if got, _ := all(coreapi.ListEventsParams{Type: ptr("policy.change.issue"), PageSize: ptr(int32(1))}); !slices.Equal(got, []string{ids[1], ids[3]}) {
		t.Errorf("type filter kept across pages: %v", got)
	}
	from, to := start.Add(time.Minute), start.Add(3*time.Minute)
	if got, _ := all(coreapi.ListEventsParams{StartTimestamp: &from, EndTimestamp: &to, PageSize: ptr(int32(1))}); !slices.Equal(got, ids[1:3]) {
		t.Errorf("time range [1m, 3m): %v, want %v", got, ids[1:3])
	}

	first, _ := c.ListEventsWithResponse(t.Context(), s.TenantLocator(), &coreapi.ListEventsParams{PageSize: ptr(int32(1))})
	tok := deref(first.JSON200.PagingToken)
	for name, q := range map[string]url.Values{
		"token with pageSize": {"pagingToken": {tok}, "pageSize": {"5"}},
		"token with type":     {"pagingToken": {tok}, "type": {"policy.change.create"}},
		"garbage token":       {"pagingToken": {"not-a-token"}},
		"pageSize zero":       {"pageSize": {"0"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet,
				s.URL()+"/event/"+s.TenantLocator()+"/events/list?"+q.Encode(), nil)
			req.Header.Set("Authorization", "Bearer "+s.CoreToken())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
	newer, err := s.EmitCore(t.Context(), events.PolicyChangeIssue, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := all(coreapi.ListEventsParams{PagingToken: &last}); !slices.Equal(got, []string{newer.ID}) {
		t.Errorf("polling the last token again: %v, want only the newer event %s", got, newer.ID)
	}
}

func TestEventLookups(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := coreClient(t, s)
	a, _ := s.Emit(t.Context(), events.Core, socotratest.Event{Type: events.PolicyChangeCreate, RequestID: "01JREQ0000000000000000000A"})
	b, _ := s.Emit(t.Context(), events.Core, socotratest.Event{Type: events.PolicyChangeIssue, RequestID: "01JREQ0000000000000000000A"})
	s.EmitCore(t.Context(), events.PolicyCancellationIssue, nil)

	got, _ := c.GetEventWithResponse(t.Context(), s.TenantLocator(), b.ID)
	if got.JSON200 == nil || got.JSON200.Locator != b.ID || got.JSON200.Type != "policy.change.issue" {
		t.Errorf("get event: %s", got.Body)
	}
	req, _ := c.ListEventsForRequestWithResponse(t.Context(), s.TenantLocator(), "01JREQ0000000000000000000A")
	var ids []string
	for _, e := range deref(req.JSON200) {
		ids = append(ids, e.Locator)
	}
	if !slices.Equal(ids, []string{a.ID, b.ID}) {
		t.Errorf("events of the request: %v, want %v", ids, []string{a.ID, b.ID})
	}
	bad, _ := c.ListEventsForRequestWithResponse(t.Context(), s.TenantLocator(), "REQ-1")
	if bad.StatusCode() != http.StatusBadRequest || !strings.Contains(string(bad.Body), `"field":"locator"`) {
		t.Errorf("events of a request that is not a ULID: %d %s, want 400", bad.StatusCode(), bad.Body)
	}
}

func TestEmitErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for name, call := range map[string]func() error{
		"malformed type":  func() error { _, err := s.EmitCore(t.Context(), "policy..create", nil); return err },
		"data not object": func() error { _, err := s.EmitCore(t.Context(), events.PolicyChangeCreate, []int{1}); return err },
		"bad raw data":    func() error { _, err := s.EmitCore(t.Context(), events.PolicyChangeCreate, []byte("{")); return err },
		"no platform": func() error {
			_, err := s.Emit(t.Context(), 0, socotratest.Event{Type: events.PolicyChangeCreate})
			return err
		},
	} {
		if call() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	closed := socotratest.NewServer()
	closed.Close()
	if _, err := closed.EmitCore(t.Context(), events.PolicyChangeCreate, nil); !errors.Is(err, socotratest.ErrClosed) {
		t.Errorf("emit after Close: %v, want ErrClosed", err)
	}
}
