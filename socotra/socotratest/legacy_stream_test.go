package socotratest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/legacyapi"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func TestLegacyEventStreamPaging(t *testing.T) {
	t.Parallel()
	clock := socotratest.NewFakeClock(start)
	s := newServer(t, socotratest.WithClock(clock))
	c := legacyClient(t, s)
	var ids []string
	for range 5 {
		em, err := s.EmitLegacy(t.Context(), events.PolicyCreate, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, em.ID)
		clock.Advance(time.Minute)
	}
	if _, err := s.EmitCore(t.Context(), events.PolicyChangeCreate, nil); err != nil { // not in the Legacy stream
		t.Fatal(err)
	}

	// all pages from first until an empty page, as Socotra's event_test.py does; every page has a token.
	all := func(first legacyapi.ListEventsParams) (got []string, pages int, last string) {
		t.Helper()
		p := &first
		for {
			resp, err := c.ListEventsWithResponse(t.Context(), p)
			if err != nil || resp.JSON200 == nil {
				t.Fatalf("list events: %v %s", err, resp.Body)
			}
			pages++
			if resp.JSON200.PagingToken == "" {
				t.Fatalf("page %d has no paging token: %s", pages, resp.Body)
			}
			if len(resp.JSON200.Events) == 0 {
				return got, pages, resp.JSON200.PagingToken
			}
			for _, e := range resp.JSON200.Events {
				got = append(got, e.Id)
			}
			p = &legacyapi.ListEventsParams{PagingToken: &resp.JSON200.PagingToken}
		}
	}
	got, pages, last := all(legacyapi.ListEventsParams{PageSize: ptr(int32(2))})
	if !slices.Equal(got, ids) || pages != 4 {
		t.Errorf("pageSize 2: %d pages of %v, want 3 full pages and an empty one of %v", pages, got, ids)
	}
	from, to := start.Add(time.Minute).UnixMilli(), start.Add(3*time.Minute).UnixMilli()
	if got, _, _ := all(legacyapi.ListEventsParams{StartTimestamp: &from, EndTimestamp: &to, PageSize: ptr(int32(1))}); !slices.Equal(got, ids[1:3]) {
		t.Errorf("time range [1m, 3m): %v, want %v", got, ids[1:3])
	}

	// The caught-up token stays valid: it returns what was emitted since, and nothing before.
	later, err := s.EmitLegacy(t.Context(), events.ClaimOpen, map[string]string{"claimLocator": "C1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := all(legacyapi.ListEventsParams{PagingToken: &last}); !slices.Equal(got, []string{later.ID}) {
		t.Errorf("after the end: %v, want only %s", got, later.ID)
	}

	// The members of the webhook payload, timestamp in epoch milliseconds.
	resp, err := c.ListEventsWithResponse(t.Context(), &legacyapi.ListEventsParams{PagingToken: &last})
	if err != nil || resp.JSON200 == nil || len(resp.JSON200.Events) != 1 {
		t.Fatalf("list events: %v %s", err, resp.Body)
	}
	var page struct{ Events []map[string]json.RawMessage }
	if err := json.Unmarshal(resp.Body, &page); err != nil {
		t.Fatal(err)
	}
	raw := page.Events[0]
	want := map[string]string{
		"id": `"` + later.ID + `"`, "type": `"claim.open"`, "timestamp": `"` + itoa(later.Time.UnixMilli()) + `"`,
		"transactionId": `"` + later.RequestID + `"`, "username": `"` + later.User + `"`, "data": `{"claimLocator":"C1"}`,
	}
	for k, v := range want {
		if string(raw[k]) != v {
			t.Errorf("%s = %s, want %s", k, raw[k], v)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestLegacyEventStreamRefusals(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := legacyClient(t, s)
	first, err := c.ListEventsWithResponse(t.Context(), &legacyapi.ListEventsParams{PageSize: ptr(int32(1))})
	if err != nil || first.JSON200 == nil {
		t.Fatalf("list events: %v", err)
	}
	tok := first.JSON200.PagingToken
	user, pass, host := s.LegacyCredentials()
	anon, _ := legacyapi.NewClientWithResponses(s.URL())
	auth, err := anon.AuthenticateWithResponse(t.Context(), legacyapi.UserCredentials{Username: user, Password: pass, HostName: host})
	if err != nil || auth.JSON200 == nil {
		t.Fatalf("authenticate: %v", err)
	}
	for _, tt := range []struct {
		name   string
		q      url.Values
		token  string
		status int
	}{
		{"token with pageSize", url.Values{"pagingToken": {tok}, "pageSize": {"5"}}, auth.JSON200.AuthorizationToken, 400},
		{"token with startTimestamp", url.Values{"pagingToken": {tok}, "startTimestamp": {"1"}}, auth.JSON200.AuthorizationToken, 400},
		{"garbage token", url.Values{"pagingToken": {"not-a-token"}}, auth.JSON200.AuthorizationToken, 400},
		{"pageSize zero", url.Values{"pageSize": {"0"}}, auth.JSON200.AuthorizationToken, 400},
		{"pageSize too large", url.Values{"pageSize": {"1001"}}, auth.JSON200.AuthorizationToken, 400},
		{"end before start", url.Values{"startTimestamp": {"2000"}, "endTimestamp": {"1000"}}, auth.JSON200.AuthorizationToken, 400},
		{"timestamp not a number", url.Values{"startTimestamp": {"yesterday"}}, auth.JSON200.AuthorizationToken, 400},
		{"no token", url.Values{}, "", 401},
		{"Bearer prefix", url.Values{}, "Bearer " + auth.JSON200.AuthorizationToken, 401},
		{"user token", url.Values{}, auth.JSON200.AuthorizationToken, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"/eventstream/events?"+tt.q.Encode(), nil)
			if tt.token != "" {
				req.Header.Set("Authorization", tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 400 {
				var e legacyapi.ExceptionResponse
				if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Message == nil || e.HttpErrorCode == nil {
					t.Errorf("error body is not an ExceptionResponse: %v %+v", err, e)
				}
			}
		})
	}
}
