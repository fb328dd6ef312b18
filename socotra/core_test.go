package socotra

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/socotra-go/sdk/events"
)

const whLoc = "01HZX3K7Q8R9S0T1V2W3X4Y5Z6"

var webhookJSON = `{"locator":"` + whLoc + `","name":"orders","enabled":true,"suspended":false,
 "eventTypes":["policy.change.create"],"endpoint":{"url":"https://app.example/hook","headers":{"X-A":["1"]},
 "secureSsl":true,"hmacEnabled":true,"tag":"v1"},
 "failureHandling":{"triggers":["5xx"],"retryStrategy":{"type":"linear","interval":10,"attempts":3},"divert":true,"suspend":false}}`

var wantWebhook = Webhook{
	Locator: whLoc, Name: "orders", Enabled: true, Events: []events.Name{"policy.change.create"},
	Endpoint: Endpoint{URL: "https://app.example/hook", Headers: map[string][]string{"X-A": {"1"}}, HMAC: true, Tag: "v1"},
	Failure:  &FailureHandling{Triggers: []string{"5xx"}, Retry: &RetryStrategy{Type: RetryLinear, Interval: 10, Attempts: 3}, Divert: true},
}

func jsonEqual(t *testing.T, got, want string) {
	t.Helper()
	if got == "" && want == "" {
		return
	}
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q is not JSON: %v", want, err)
	}
	if d := cmp.Diff(w, g); d != "" {
		t.Errorf("request body (-want +got):\n%s", d)
	}
}

func TestCoreOperations(t *testing.T) {
	t.Parallel()
	base := "/event/" + testTenant
	tests := []struct {
		name       string
		route      string
		handler    http.HandlerFunc
		call       func(c *CoreClient) (any, error)
		wantMethod string
		wantPath   string
		wantQuery  url.Values
		wantBody   string
		want       any
	}{
		{
			name: "create", route: "POST " + base + "/webhooks", handler: reply(200, webhookJSON),
			call: func(c *CoreClient) (any, error) {
				return c.CreateWebhook(t.Context(), Webhook{Name: "orders", Enabled: true, Events: []events.Name{"policy.change.create"},
					Endpoint: Endpoint{URL: "https://app.example/hook", HMAC: true, Secret: "s3cret-value", Tag: "v1", InsecureSkipVerify: true},
					Failure:  &FailureHandling{Triggers: []string{"5xx"}, Divert: true, Retry: &RetryStrategy{Type: RetryLinear, Attempts: 3}}})
			},
			wantMethod: "POST", wantPath: base + "/webhooks",
			wantBody: `{"name":"orders","enabled":true,"eventTypes":["policy.change.create"],
			 "endpoint":{"url":"https://app.example/hook","hmacEnabled":true,"secret":"s3cret-value","tag":"v1","secureSsl":false},
			 "failureHandling":{"triggers":["5xx"],"divert":true,"suspend":false,"retryStrategy":{"type":"linear","attempts":3}}}`,
			want: wantWebhook,
		},
		{
			name: "get", route: "GET " + base + "/webhooks/{loc}", handler: reply(200, webhookJSON),
			call:       func(c *CoreClient) (any, error) { return c.Webhook(t.Context(), whLoc) },
			wantMethod: "GET", wantPath: base + "/webhooks/" + whLoc, want: wantWebhook,
		},
		{
			// The GET that reads the current webhook and the PATCH share the route.
			name: "update", route: base + "/webhooks/{loc}", handler: reply(200, webhookJSON),
			call: func(c *CoreClient) (any, error) {
				return c.UpdateWebhook(t.Context(), whLoc, WebhookUpdate{
					AddEvents: []events.Name{"policy.change.issue"}, RemoveEvents: []events.Name{"policy.change.create"},
					Endpoint: &EndpointUpdate{AddHeaders: map[string][]string{"X-B": {"2"}}, RemoveHeaders: []string{"X-A"}},
					Failure:  &FailureUpdate{RemoveRetry: true, AddTriggers: []string{"timeout"}},
				})
			},
			wantMethod: "PATCH", wantPath: base + "/webhooks/" + whLoc,
			wantBody: `{"name":"orders","enabled":true,"removeFailureHandling":false,
			 "addEventTypes":["policy.change.issue"],"removeEventTypes":["policy.change.create"],
			 "endpoint":{"url":"https://app.example/hook","addHeaders":{"X-B":["2"]},"removeHeaders":["X-A"]},
			 "failureHandling":{"addTriggers":["timeout"],"removeTriggers":[],"removeRetryStrategy":true}}`,
			want: wantWebhook,
		},
		{
			name: "delete", route: "DELETE " + base + "/webhooks/{loc}", handler: reply(204, ""),
			call:       func(c *CoreClient) (any, error) { return nil, c.DeleteWebhook(t.Context(), whLoc) },
			wantMethod: "DELETE", wantPath: base + "/webhooks/" + whLoc,
		},
		{
			name: "unsuspend", route: "PATCH " + base + "/webhooks/{loc}/unsuspend", handler: reply(204, ""),
			call:       func(c *CoreClient) (any, error) { return nil, c.UnsuspendWebhook(t.Context(), whLoc) },
			wantMethod: "PATCH", wantPath: base + "/webhooks/" + whLoc + "/unsuspend",
		},
		{
			name: "get diverted", route: "GET " + base + "/webhooks/{loc}/diverted/{ev}",
			handler: reply(200, `{"eventLocator":"01HZX3K7Q8R9S0T1V2W3X4Y5E1","requestLocator":"R1","failureTrigger":"5xx","failureMessage":"boom","failureTimestamp":"2026-01-02T03:04:05Z"}`),
			call: func(c *CoreClient) (any, error) {
				return c.DivertedEvent(t.Context(), whLoc, "01HZX3K7Q8R9S0T1V2W3X4Y5E1")
			},
			wantMethod: "GET", wantPath: base + "/webhooks/" + whLoc + "/diverted/01HZX3K7Q8R9S0T1V2W3X4Y5E1",
			want: DivertedEvent{ID: "01HZX3K7Q8R9S0T1V2W3X4Y5E1", RequestID: "R1", Trigger: "5xx", Message: "boom",
				Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		},
		{
			name: "resend diverted", route: "POST " + base + "/webhooks/{loc}/diverted/{ev}/resend", handler: reply(200, `{}`),
			call: func(c *CoreClient) (any, error) {
				return nil, c.ResendDivertedEvent(t.Context(), whLoc, "01HZX3K7Q8R9S0T1V2W3X4Y5E1")
			},
			wantMethod: "POST", wantPath: base + "/webhooks/" + whLoc + "/diverted/01HZX3K7Q8R9S0T1V2W3X4Y5E1/resend",
		},
		{
			name: "delete diverted", route: "DELETE " + base + "/webhooks/{loc}/diverted/{ev}", handler: reply(200, `{}`),
			call: func(c *CoreClient) (any, error) {
				return nil, c.DeleteDivertedEvent(t.Context(), whLoc, "01HZX3K7Q8R9S0T1V2W3X4Y5E1")
			},
			wantMethod: "DELETE", wantPath: base + "/webhooks/" + whLoc + "/diverted/01HZX3K7Q8R9S0T1V2W3X4Y5E1",
		},
		{
			name: "get event", route: "GET " + base + "/events/{loc}",
			handler:    reply(200, `{"locator":"01HZX3K7Q8R9S0T1V2W3X4Y5EV","requestId":"R1","userLocator":"U1","timestamp":"2026-01-02T03:04:05Z","type":"policy.change.create","data":{"policyLocator":"P1"}}`),
			call:       func(c *CoreClient) (any, error) { return c.Event(t.Context(), "01HZX3K7Q8R9S0T1V2W3X4Y5EV") },
			wantMethod: "GET", wantPath: base + "/events/01HZX3K7Q8R9S0T1V2W3X4Y5EV",
			want: StreamEvent{Platform: events.Core, ID: "01HZX3K7Q8R9S0T1V2W3X4Y5EV", RequestID: "R1", User: "U1", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
				Type: "policy.change.create", Data: json.RawMessage(`{"policyLocator":"P1"}`)},
		},
		{
			name: "events for request", route: "GET " + base + "/events/request/{loc}",
			handler:    reply(200, `[{"locator":"01HZX3K7Q8R9S0T1V2W3X4Y5EV","timestamp":"2026-01-02T03:04:05Z","type":"policy.change.create"}]`),
			call:       func(c *CoreClient) (any, error) { return c.EventsForRequest(t.Context(), "01HZX3K7Q8R9S0T1V2W3X4Y5RQ") },
			wantMethod: "GET", wantPath: base + "/events/request/01HZX3K7Q8R9S0T1V2W3X4Y5RQ",
			want: []StreamEvent{{Platform: events.Core, ID: "01HZX3K7Q8R9S0T1V2W3X4Y5EV", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Type: "policy.change.create"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t)
			rec.Mux.Handle(tt.route, tt.handler)
			c := newTestCore(t, rec, WithUserAgent("test-agent/1"))
			got, err := tt.call(c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			r := rec.last(t)
			if r.Method != tt.wantMethod || r.Path != tt.wantPath {
				t.Errorf("request = %s %s, want %s %s", r.Method, r.Path, tt.wantMethod, tt.wantPath)
			}
			if q, _ := url.ParseQuery(r.RawQuery); len(q) > 0 || tt.wantQuery != nil {
				if d := cmp.Diff(tt.wantQuery, q); d != "" {
					t.Errorf("query (-want +got):\n%s", d)
				}
			}
			if h := r.Header.Get("Authorization"); h != "Bearer "+testToken {
				t.Errorf("Authorization = %q, want Bearer token", h)
			}
			if ua := r.Header.Get("User-Agent"); ua != "test-agent/1" {
				t.Errorf("User-Agent = %q", ua)
			}
			jsonEqual(t, r.Body, tt.wantBody)
			if tt.want != nil {
				if d := cmp.Diff(tt.want, got); d != "" {
					t.Errorf("result (-want +got):\n%s", d)
				}
			}
		})
	}
}

func TestCoreAuthScheme(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ scheme, want string }{
		{"Bearer", "Bearer " + testToken}, {"Token", "Token " + testToken}, {"", testToken},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t)
			rec.Mux.Handle("GET /event/{t}/webhooks/{loc}", reply(200, webhookJSON))
			c := newTestCore(t, rec, WithCoreAuthScheme(tc.scheme))
			if _, err := c.Webhook(t.Context(), whLoc); err != nil {
				t.Fatal(err)
			}
			if got := rec.last(t).Header.Get("Authorization"); got != tc.want {
				t.Errorf("Authorization = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewCoreClientValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, tenant, token string
		opts                     []Option
		want                     string
	}{
		{"relative url", "/api", testTenant, "t", nil, "not an absolute"},
		{"ftp url", "ftp://x", testTenant, "t", nil, "not an absolute"},
		{"query", "https://x/?a=1", testTenant, "t", nil, "without query"},
		{"tenant not uuid", "https://x", "acme", "t", nil, "not a UUID"},
		{"empty token", "https://x", testTenant, "", nil, "empty token"},
		{"zero attempts", "https://x", testTenant, "t", []Option{WithRetry(0, 0, 0)}, "max attempts"},
		{"bad waits", "https://x", testTenant, "t", []Option{WithRetry(2, time.Second, time.Millisecond)}, "not a range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewCoreClient(tt.url, tt.tenant, tt.token, tt.opts...)
			if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalidInput mentioning %q", err, tt.want)
			}
		})
	}
}

func TestCoreWebhooksPagination(t *testing.T) {
	t.Parallel()
	item := func(i int) string {
		return `{"locator":"L` + string(rune('A'+i)) + `","name":"w` + string(rune('A'+i)) + `"}`
	}
	page := func(lo, hi int) []string {
		var s []string
		for i := lo; i < hi; i++ {
			s = append(s, item(i))
		}
		return s
	}
	tests := []struct {
		name  string
		pages map[string]string // offset -> body
		want  int
		calls int
	}{
		{"envelope", map[string]string{
			"0": `{"listCompleted":false,"items":[` + strings.Join(page(0, 2), ",") + `]}`,
			"2": `{"listCompleted":false,"items":[` + strings.Join(page(2, 4), ",") + `]}`,
			"4": `{"listCompleted":true,"items":[` + strings.Join(page(4, 5), ",") + `]}`,
		}, 5, 3},
		{"bare array", map[string]string{
			"0": `[` + strings.Join(page(0, 2), ",") + `]`,
			"2": `[` + strings.Join(page(2, 3), ",") + `]`,
		}, 3, 2},
		{"incomplete but empty page stops", map[string]string{
			"0": `{"listCompleted":false,"items":[` + item(0) + `]}`,
			"1": `{"listCompleted":false,"items":[]}`,
		}, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t)
			rec.Mux.HandleFunc("GET /event/{t}/webhooks/list", func(w http.ResponseWriter, r *http.Request) {
				body, ok := tt.pages[r.URL.Query().Get("offset")]
				if !ok {
					http.Error(w, "unexpected offset", 400)
					return
				}
				reply(200, body)(w, r)
			})
			c := newTestCore(t, rec)
			var got []string
			yes := true
			for w, err := range c.Webhooks(t.Context(), WebhookFilter{PageSize: 2, Name: "n", Enabled: &yes,
				Events: []events.Name{"a.b", "c.d"}, Extended: true}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, w.Locator)
			}
			if len(got) != tt.want || len(rec.requests()) != tt.calls {
				t.Errorf("got %d webhooks in %d calls, want %d in %d", len(got), len(rec.requests()), tt.want, tt.calls)
			}
			q, _ := url.ParseQuery(rec.requests()[0].RawQuery)
			want := url.Values{"offset": {"0"}, "count": {"2"}, "name": {"n"}, "enabled": {"true"},
				"eventTypes": {"a.b", "c.d"}, "extended": {"true"}}
			if d := cmp.Diff(want, q); d != "" {
				t.Errorf("first query (-want +got):\n%s", d)
			}
		})
	}
}

func TestCoreWebhooksStopsAtBreakAndError(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	rec.Mux.HandleFunc("GET /event/{t}/webhooks/list", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("offset") == "0" {
			reply(200, `[{"locator":"A"},{"locator":"B"}]`)(w, r)
			return
		}
		reply(500, `{"message":"down"}`)(w, r)
	})
	c := newTestCore(t, rec)
	n := 0
	for range c.Webhooks(t.Context(), WebhookFilter{PageSize: 2}) {
		n++
		break
	}
	if n != 1 || len(rec.requests()) != 1 {
		t.Fatalf("break: yielded %d, %d requests", n, len(rec.requests()))
	}
	var errs []error
	for _, err := range c.Webhooks(t.Context(), WebhookFilter{PageSize: 2}) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrServer) {
		t.Fatalf("errors = %v, want one ErrServer", errs)
	}
}

func TestCoreDivertedPagination(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	rec.Mux.HandleFunc("GET /event/{t}/webhooks/{loc}/diverted", func(w http.ResponseWriter, r *http.Request) {
		var items []string
		n := 100
		if r.URL.Query().Get("offset") == "100" {
			n = 3
		}
		for i := range n {
			items = append(items, `{"eventLocator":"E`+r.URL.Query().Get("offset")+"-"+string(rune('a'+i%26))+`"}`)
		}
		reply(200, "["+strings.Join(items, ",")+"]")(w, r)
	})
	c := newTestCore(t, rec)
	n := 0
	for _, err := range c.DivertedEvents(t.Context(), whLoc) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	reqs := rec.requests()
	if n != 103 || len(reqs) != 2 || reqs[1].RawQuery != "count=100&offset=100" && reqs[1].RawQuery != "offset=100&count=100" {
		t.Errorf("got %d events in %d requests (%v)", n, len(reqs), reqs[len(reqs)-1].RawQuery)
	}
}

func TestCoreUnexpectedBodies(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body string }{
		{"not json", `<html>oops</html>`},
		{"empty", ``},
		{"no locator", `{"name":"x"}`},
		{"null", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t)
			rec.Mux.Handle("GET /event/{t}/webhooks/{loc}", reply(200, tt.body))
			c := newTestCore(t, rec)
			w, err := c.Webhook(t.Context(), whLoc)
			var ae *APIError
			if !errors.Is(err, ErrUnexpectedResponse) || !errors.As(err, &ae) || ae.StatusCode != 200 {
				t.Fatalf("Webhook = %+v, %v; want an APIError matching ErrUnexpectedResponse", w, err)
			}
		})
	}
	t.Run("list neither shape", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(t)
		rec.Mux.Handle("GET /event/{t}/webhooks/list", reply(200, `"surprise"`))
		c := newTestCore(t, rec)
		for _, err := range c.Webhooks(t.Context(), WebhookFilter{}) {
			if !errors.Is(err, ErrUnexpectedResponse) {
				t.Fatalf("err = %v", err)
			}
		}
	})
}

func TestCoreEmptyArgumentsFailBeforeSending(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := newTestCore(t, rec)
	ctx := t.Context()
	errs := []error{
		func() error { _, err := c.Webhook(ctx, ""); return err }(),
		c.DeleteWebhook(ctx, ""),
		c.UnsuspendWebhook(ctx, ""),
		c.ResendDivertedEvent(ctx, whLoc, ""),
		func() error { _, err := c.CreateWebhook(ctx, Webhook{}); return err }(),
		func() error { _, err := c.Event(ctx, ""); return err }(),
	}
	for i, err := range errs {
		if !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%d: err = %v, want ErrInvalidInput", i, err)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
