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
	"github.com/socotra-go/sdk/events"
)

// legacyStreamServer serves the Legacy stream as Socotra documents it: pages p0 (first call, with the
// range), p1, … chained by tokens t1, t2, …; every page carries a token, the page after the last is empty
// and carries a token that serves it again. Events alternate policy.create and claim.open, with their
// timestamp as a string of digits or a number.
func legacyStreamServer(t *testing.T, pages [][]string) *recorder {
	rec := newRecorder(t)
	a := &legacyAuth{ttl: time.Hour, now: time.Now}
	a.install(t, rec.Mux)
	rec.Mux.HandleFunc("GET /eventstream/events", a.guard(false, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		i := 0
		if tok := q.Get("pagingToken"); tok != "" {
			if len(q) != 1 {
				reply(400, `{"message":"pagingToken cannot be combined"}`)(w, r)
				return
			}
			fmt.Sscanf(tok, "t%d", &i)
		}
		evs := []string{}
		if i < len(pages) {
			for j, id := range pages[i] {
				typ, ts := "policy.create", `"1767225600000"`
				if j%2 == 1 {
					typ, ts = "claim.open", `1767225601000`
				}
				evs = append(evs, fmt.Sprintf(`{"id":%q,"type":%q,"timestamp":%s,"transactionId":"tx-%s","username":"alice","data":{"n":%d}}`, id, typ, ts, id, j))
			}
		}
		reply(200, fmt.Sprintf(`{"events":[%s],"pagingToken":"t%d"}`, strings.Join(evs, ","), min(i+1, len(pages))))(w, r)
	}))
	return rec
}

func TestLegacyEventStream(t *testing.T) {
	t.Parallel()
	rec := legacyStreamServer(t, [][]string{{"A", "B"}, {"C"}, {"D", "E"}})
	c := newTestLegacy(t, rec, legacyCreds)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := c.EventStream(EventQuery{Start: start, End: start.Add(time.Hour), PageSize: 2})
	if s.Platform() != events.Legacy {
		t.Errorf("Platform = %v", s.Platform())
	}
	var got []StreamEvent
	for e, err := range s.Events(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if len(got) != 5 {
		t.Fatalf("got %d events: %+v", len(got), got)
	}
	want0 := StreamEvent{Platform: events.Legacy, ID: "A", RequestID: "tx-A", User: "alice",
		Time: time.UnixMilli(1767225600000).UTC(), Type: events.PolicyCreate, Data: []byte(`{"n":0}`)}
	if d := cmp.Diff(want0, got[0]); d != "" {
		t.Errorf("first event (-want +got):\n%s", d)
	}
	if got[1].Time != time.UnixMilli(1767225601000).UTC() || got[1].Type != events.ClaimOpen {
		t.Errorf("numeric timestamp: %+v", got[1])
	}
	var streams []recorded
	for _, r := range rec.requests() {
		if r.Path == "/eventstream/events" {
			streams = append(streams, r)
		}
	}
	first, _ := url.ParseQuery(streams[0].RawQuery)
	wantFirst := url.Values{"startTimestamp": {"1767225600000"}, "endTimestamp": {"1767229200000"}, "pageSize": {"2"}}
	if d := cmp.Diff(wantFirst, first); d != "" {
		t.Errorf("first query (-want +got):\n%s", d)
	}
	if streams[0].Header.Get("Authorization") != "user-1" {
		t.Errorf("Authorization = %q, want the bare token", streams[0].Header.Get("Authorization"))
	}
	for _, r := range streams[1:] {
		if q, _ := url.ParseQuery(r.RawQuery); len(q) != 1 || q.Get("pagingToken") == "" {
			t.Errorf("later query %q must carry the paging token alone", r.RawQuery)
		}
	}
	// Pages t0, t1, t2, then the empty page t3 that ends the iteration.
	if len(streams) != 4 || s.Token() != "t3" {
		t.Errorf("%d requests, Token = %q; want 4 and t3", len(streams), s.Token())
	}
}

// The token advances only past consumed pages; the token of the caught-up page stays the checkpoint.
func TestLegacyEventStreamTokenAdvancesPastConsumedPages(t *testing.T) {
	t.Parallel()
	rec := legacyStreamServer(t, [][]string{{"A", "B"}, {"C", "D"}, {"E"}})
	c := newTestLegacy(t, rec, legacyCreds)
	s := c.EventStream(EventQuery{PageSize: 2})
	if got := collect(t, s, "C"); !cmp.Equal(got, []string{"A", "B", "C"}) {
		t.Fatalf("events = %v", got)
	}
	if s.Token() != "t1" {
		t.Fatalf("Token = %q after stopping inside page t1, want t1", s.Token())
	}
	resumed := c.EventStream(EventQuery{PagingToken: s.Token(), Start: time.Now()})
	if got := collect(t, resumed, ""); !cmp.Equal(got, []string{"C", "D", "E"}) {
		t.Errorf("resumed events = %v", got)
	}
	if resumed.Token() != "t3" {
		t.Errorf("Token = %q when caught up, want the empty page's t3", resumed.Token())
	}
	// Caught up: polling the same token again finds nothing and keeps it.
	if got := collect(t, resumed, ""); len(got) != 0 || resumed.Token() != "t3" {
		t.Errorf("poll after the end: %v, token %q", got, resumed.Token())
	}
}

// The Legacy stream has no type filter: the client drops other events itself, and still moves the token
// past pages whose every event was dropped.
func TestLegacyEventStreamTypeFilter(t *testing.T) {
	t.Parallel()
	rec := legacyStreamServer(t, [][]string{{"A", "B"}, {"C"}, {"D", "E"}})
	c := newTestLegacy(t, rec, legacyCreds)
	s := c.EventStream(EventQuery{Type: events.ClaimOpen})
	if got := collect(t, s, ""); !cmp.Equal(got, []string{"B", "E"}) {
		t.Errorf("events = %v, want the claim.open ones", got)
	}
	if q := rec.requests()[1].RawQuery; q != "" {
		t.Errorf("first query %q: the type must not be sent", q)
	}
	if s.Token() != "t3" {
		t.Errorf("Token = %q", s.Token())
	}
}

func TestLegacyEventStreamBadAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		status     int
		want       error
	}{
		{"no events member", `{"pagingToken":"t1"}`, 200, ErrUnexpectedResponse},
		{"event without id", `{"events":[{"type":"policy.create","timestamp":"1"}],"pagingToken":"t1"}`, 200, ErrUnexpectedResponse},
		{"event without type", `{"events":[{"id":"A","timestamp":"1"}],"pagingToken":"t1"}`, 200, ErrUnexpectedResponse},
		{"event without timestamp", `{"events":[{"id":"A","type":"policy.create"}],"pagingToken":"t1"}`, 200, ErrUnexpectedResponse},
		{"timestamp not in milliseconds", `{"events":[{"id":"A","type":"policy.create","timestamp":"2026-01-01T00:00:00Z"}],"pagingToken":"t1"}`, 200, ErrUnexpectedResponse},
		{"not JSON", `<html>`, 200, ErrUnexpectedResponse},
		{"refused", `{"httpErrorCode":403,"message":"no"}`, 403, ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t)
			rec.Mux.HandleFunc("GET /eventstream/events", reply(tt.status, tt.body))
			c := newTestLegacy(t, rec, LegacyCredentials{Token: "tok"})
			s := c.EventStream(EventQuery{PagingToken: "t0"})
			var errs []error
			for _, err := range s.Events(t.Context()) {
				if err != nil {
					errs = append(errs, err)
				}
			}
			if len(errs) != 1 || !errors.Is(errs[0], tt.want) {
				t.Errorf("errors = %v, want one matching %v", errs, tt.want)
			}
			if s.Token() != "t0" {
				t.Errorf("Token = %q after a failed page, want t0 kept", s.Token())
			}
		})
	}
}
