package socotra

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// streamServer serves pages p0 (first call, with filters), p1, p2 ... chained
// by tokens t1, t2, ...; the last page has events but the same token as
// before, then an empty page.
func streamServer(t *testing.T, pages [][]string) *recorder {
	rec := newRecorder(t)
	rec.Mux.HandleFunc("GET /event/{t}/events/list", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		i := 0
		if tok := q.Get("pagingToken"); tok != "" {
			if len(q) != 1 {
				http.Error(w, `{"message":"pagingToken cannot be combined"}`, 400)
				return
			}
			fmt.Sscanf(tok, "t%d", &i)
		}
		var evs []string
		if i < len(pages) {
			for _, loc := range pages[i] {
				evs = append(evs, `{"locator":"`+loc+`","type":"policy.change.create","timestamp":"2026-01-01T00:00:00Z"}`)
			}
		}
		reply(200, fmt.Sprintf(`{"pagingToken":"t%d","events":[%s]}`, min(i+1, len(pages)), strings.Join(evs, ",")))(w, r)
	})
	return rec
}

func collect(t *testing.T, s *EventStream, stopAt string) []string {
	t.Helper()
	var got []string
	for e, err := range s.Events(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.ID)
		if e.ID == stopAt {
			break
		}
	}
	return got
}

func TestEventStream(t *testing.T) {
	t.Parallel()
	rec := streamServer(t, [][]string{{"A", "B"}, {"C"}, {"D", "E"}})
	c := newTestCore(t, rec)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := c.EventStream(EventQuery{Start: start, Type: "policy.change.create", PageSize: 2})
	if got := collect(t, s, ""); !cmp.Equal(got, []string{"A", "B", "C", "D", "E"}) {
		t.Errorf("events = %v", got)
	}
	reqs := rec.requests()
	first, _ := url.ParseQuery(reqs[0].RawQuery)
	wantFirst := url.Values{"startTimestamp": {"2026-01-01T00:00:00Z"}, "type": {"policy.change.create"}, "pageSize": {"2"}}
	if d := cmp.Diff(wantFirst, first); d != "" {
		t.Errorf("first query (-want +got):\n%s", d)
	}
	for _, r := range reqs[1:] {
		if q, _ := url.ParseQuery(r.RawQuery); len(q) != 1 || q.Get("pagingToken") == "" {
			t.Errorf("later query %q must carry the paging token alone", r.RawQuery)
		}
	}
	if s.Token() != "t3" {
		t.Errorf("Token = %q after catching up, want t3", s.Token())
	}
	// Caught up: iterating again asks once more from the saved token.
	n := len(rec.requests())
	if got := collect(t, s, ""); len(got) != 0 || len(rec.requests()) != n+1 {
		t.Errorf("second pass got %v with %d requests", got, len(rec.requests())-n)
	}
}

func TestEventStreamResume(t *testing.T) {
	t.Parallel()
	rec := streamServer(t, [][]string{{"A", "B"}, {"C", "D"}, {"E"}})
	c := newTestCore(t, rec)
	s := c.EventStream(EventQuery{})
	if got := collect(t, s, "C"); !cmp.Equal(got, []string{"A", "B", "C"}) {
		t.Fatalf("events = %v", got)
	}
	// Stopped inside page t1: the checkpoint re-fetches that page.
	saved := s.Token()
	if saved != "t1" {
		t.Fatalf("Token = %q, want t1", saved)
	}
	resumed := c.EventStream(EventQuery{PagingToken: saved, Type: "ignored.when.resuming"})
	if got := collect(t, resumed, ""); !cmp.Equal(got, []string{"C", "D", "E"}) {
		t.Errorf("resumed events = %v", got)
	}
	if q := rec.requests()[len(rec.requests())-3].RawQuery; q != "pagingToken=t1" {
		t.Errorf("resume query = %q", q)
	}
}

func TestEventStreamErrorKeepsToken(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	calls := 0
	rec.Mux.HandleFunc("GET /event/{t}/events/list", func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			reply(200, `{"pagingToken":"t1","events":[{"locator":"A","type":"x.y","timestamp":"2026-01-01T00:00:00Z"}]}`)(w, r)
			return
		}
		reply(403, `{"message":"no"}`)(w, r)
	})
	c := newTestCore(t, rec)
	s := c.EventStream(EventQuery{})
	var errs []error
	for _, err := range s.Events(t.Context()) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrForbidden) || s.Token() != "t1" {
		t.Errorf("errs = %v, token = %q", errs, s.Token())
	}
}
