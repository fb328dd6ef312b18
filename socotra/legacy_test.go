package socotra

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/socotra-go/sdk/events"
)

const (
	legacyPassword = "pw-correct-horse"
	adminPassword  = "admin-pw-battery"
)

// legacyAuth serves the two authenticate endpoints, handing out user-N and
// admin-N tokens that expire after ttl, and checks the Authorization header of
// every other request against the live tokens.
type legacyAuth struct {
	ttl           time.Duration
	now           func() time.Time
	mu            sync.Mutex
	users, admins int
	user, admin   string
	expired       map[string]bool // tokens the server refuses
	authDelay     chan struct{}   // when set, authenticate waits for it
	waiting       atomic.Int32    // authentications that reached authDelay
}

func (a *legacyAuth) install(t *testing.T, mux *http.ServeMux) {
	mux.HandleFunc("POST /account/authenticate", func(w http.ResponseWriter, r *http.Request) {
		if a.authDelay != nil {
			a.waiting.Add(1)
			<-a.authDelay
		}
		body := readJSON(t, r)
		if body["username"] != "alice" || body["password"] != legacyPassword || body["hostName"] != "acme.example" {
			reply(401, `{"message":"bad credentials"}`)(w, r)
			return
		}
		a.mu.Lock()
		a.users++
		a.user = fmt.Sprintf("user-%d", a.users)
		tok := a.user
		a.mu.Unlock()
		reply(200, fmt.Sprintf(`{"authorizationToken":%q,"expiresTimestamp":"%d"}`, tok, a.now().Add(a.ttl).UnixMilli()))(w, r)
	})
	mux.HandleFunc("POST /account/authenticateAdmin", func(w http.ResponseWriter, r *http.Request) {
		body := readJSON(t, r)
		if body["username"] != "root" || body["password"] != adminPassword {
			reply(401, `{"message":"bad credentials"}`)(w, r)
			return
		}
		a.mu.Lock()
		a.admins++
		a.admin = fmt.Sprintf("admin-%d", a.admins)
		tok := a.admin
		a.mu.Unlock()
		reply(200, fmt.Sprintf(`{"authorizationToken":%q,"expiresTimestamp":%d}`, tok, a.now().Add(a.ttl).UnixMilli()))(w, r)
	})
}

// check reports whether r carries the live token of its kind.
func (a *legacyAuth) check(r *http.Request, admin bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	got := r.Header.Get("Authorization")
	want := a.user
	if admin {
		want = a.admin
	}
	return got != "" && got == want && !a.expired[got]
}

func (a *legacyAuth) guard(admin bool, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !a.check(r, admin) {
			reply(401, `{"apiErrorCode":"AUTH","message":"token expired"}`)(w, r)
			return
		}
		h(w, r)
	}
}

func readJSON(t *testing.T, r *http.Request) map[string]any {
	var m map[string]any
	if err := jsonDecode(r, &m); err != nil {
		t.Errorf("request body: %v", err)
	}
	return m
}

var legacyCreds = LegacyCredentials{Username: "alice", Password: legacyPassword, HostName: "acme.example",
	AdminUsername: "root", AdminPassword: adminPassword}

func newTestLegacy(t *testing.T, rec *recorder, creds LegacyCredentials, opts ...Option) *LegacyClient {
	t.Helper()
	c, err := NewLegacyClient(rec.URL, creds, append([]Option{WithRetry(1, 0, 0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const legacyWebhookJSON = `{"name":"orders","displayName":"Orders","integrationName":"orders-int","enabled":true,
 "events":["policy.create","claim.open"],"failureHandling":{"actOnStatusCodes":["5xx"],"actOnTimeout":true,"mode":"divert"},
 "retryStrategy":"three","suspended":true,"suspendedTimestamp":"1767225600000"}`

var wantLegacyWebhook = LegacyWebhook{Name: "orders", DisplayName: "Orders", IntegrationName: "orders-int", Enabled: true,
	Events: []events.Name{"policy.create", "claim.open"}, Retry: LegacyRetryThree, Suspended: true,
	SuspendedAt: time.UnixMilli(1767225600000),
	Failure:     &LegacyFailureHandling{StatusCodes: []string{"5xx"}, OnTimeout: true, Mode: FailureDivert}}

func TestLegacyOperations(t *testing.T) {
	t.Parallel()
	integ := `{"name":"orders-int","type":"webhook","url":"https://app.example/h","headers":{"X-A":"1"},
	 "securitySpec":{"hmacEnabled":true,"secret":"int-secret","secureSSL":true,"tag":"v1"}}`
	wantInteg := Integration{Name: "orders-int", Type: IntegrationWebhook, URL: "https://app.example/h",
		Headers: map[string]string{"X-A": "1"}, Security: &SecuritySpec{HMAC: true, Secret: "int-secret", Tag: "v1"}}
	tests := []struct {
		name, route         string
		admin               bool
		handler             http.HandlerFunc
		call                func(c *LegacyClient) (any, error)
		wantMethod, wantURL string
		wantBody            string
		want                any
	}{
		{name: "put webhook", route: "PUT /webhooks", handler: reply(200, legacyWebhookJSON),
			call: func(c *LegacyClient) (any, error) {
				return c.PutWebhook(t.Context(), LegacyWebhook{Name: "orders", IntegrationName: "orders-int", Enabled: true,
					Events: []events.Name{"policy.create"}, Retry: LegacyRetryOne,
					Failure: &LegacyFailureHandling{StatusCodes: []string{"500"}, Mode: FailureSuspend}})
			},
			wantMethod: "PUT", wantURL: "/webhooks",
			wantBody: `{"name":"orders","integrationName":"orders-int","enabled":true,"events":["policy.create"],"retryStrategy":"one",
			 "failureHandling":{"actOnStatusCodes":["500"],"actOnTimeout":false,"mode":"suspend"}}`,
			want: wantLegacyWebhook},
		{name: "list webhooks", route: "GET /webhooks", handler: reply(200, `{"webhooks":[`+legacyWebhookJSON+`]}`),
			call:       func(c *LegacyClient) (any, error) { return listAll(c.Webhooks(t.Context())) },
			wantMethod: "GET", wantURL: "/webhooks", want: []LegacyWebhook{wantLegacyWebhook}},
		{name: "get webhook", route: "GET /webhooks/{name}", handler: reply(200, legacyWebhookJSON),
			call:       func(c *LegacyClient) (any, error) { return c.Webhook(t.Context(), "orders") },
			wantMethod: "GET", wantURL: "/webhooks/orders", want: wantLegacyWebhook},
		{name: "delete webhook", route: "DELETE /webhooks/{name}", handler: reply(204, ""),
			call:       func(c *LegacyClient) (any, error) { return nil, c.DeleteWebhook(t.Context(), "a b") },
			wantMethod: "DELETE", wantURL: "/webhooks/a%20b"},
		{name: "unsuspend", route: "PATCH /webhooks/{name}/unsuspend", handler: reply(200, ""),
			call:       func(c *LegacyClient) (any, error) { return nil, c.UnsuspendWebhook(t.Context(), "orders") },
			wantMethod: "PATCH", wantURL: "/webhooks/orders/unsuspend"},
		{name: "delete diverted", route: "DELETE /webhooks/{name}/diverted/{tx}", handler: reply(204, ""),
			call:       func(c *LegacyClient) (any, error) { return nil, c.DeleteDivertedEvent(t.Context(), "orders", "tx1") },
			wantMethod: "DELETE", wantURL: "/webhooks/orders/diverted/tx1"},
		{name: "resend diverted", route: "POST /webhooks/{name}/diverted/{tx}/resend", handler: reply(200, ""),
			call:       func(c *LegacyClient) (any, error) { return nil, c.ResendDivertedEvent(t.Context(), "orders", "tx1") },
			wantMethod: "POST", wantURL: "/webhooks/orders/diverted/tx1/resend"},
		{name: "list integrations", route: "GET /integrations", admin: true,
			handler:    reply(200, `{"externalServiceIntegrations":[`+integ+`]}`),
			call:       func(c *LegacyClient) (any, error) { return c.Integrations(t.Context()) },
			wantMethod: "GET", wantURL: "/integrations", want: []Integration{wantInteg}},
		{name: "create integration", route: "POST /integrations", admin: true, handler: reply(201, integ),
			call: func(c *LegacyClient) (any, error) {
				return c.CreateIntegration(t.Context(), Integration{Name: "orders-int", URL: "https://app.example/h",
					Headers: map[string]string{"X-A": "1"}, Security: &SecuritySpec{HMAC: true, Secret: "int-secret", Tag: "v1"}})
			},
			wantMethod: "POST", wantURL: "/integrations",
			wantBody: `{"name":"orders-int","type":"webhook","url":"https://app.example/h","headers":{"X-A":"1"},
			 "securitySpec":{"hmacEnabled":true,"secret":"int-secret","secureSSL":true,"tag":"v1"}}`,
			want: wantInteg},
		{name: "replace integration", route: "PUT /integrations/{name}", admin: true, handler: reply(200, integ),
			call: func(c *LegacyClient) (any, error) {
				return c.ReplaceIntegration(t.Context(), Integration{Name: "orders-int", URL: "http://plain.example/h"})
			},
			wantMethod: "PUT", wantURL: "/integrations/orders-int", wantBody: `{"url":"http://plain.example/h"}`, want: wantInteg},
		{name: "delete integration", route: "DELETE /integrations/{name}", admin: true, handler: reply(200, ""),
			call:       func(c *LegacyClient) (any, error) { return nil, c.DeleteIntegration(t.Context(), "orders-int") },
			wantMethod: "DELETE", wantURL: "/integrations/orders-int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t)
			auth := &legacyAuth{ttl: time.Hour, now: time.Now}
			auth.install(t, rec.Mux)
			rec.Mux.Handle(tt.route, auth.guard(tt.admin, tt.handler))
			c := newTestLegacy(t, rec, legacyCreds)
			got, err := tt.call(c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			r := rec.last(t)
			u := &url.URL{Path: r.Path, RawPath: ""}
			if r.Method != tt.wantMethod || u.EscapedPath() != tt.wantURL {
				t.Errorf("request = %s %s, want %s %s", r.Method, u.EscapedPath(), tt.wantMethod, tt.wantURL)
			}
			wantTok := "user-1"
			if tt.admin {
				wantTok = "admin-1"
			}
			if h := r.Header.Get("Authorization"); h != wantTok {
				t.Errorf("Authorization = %q, want the bare token %q", h, wantTok)
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

func TestLegacyDivertedPagination(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	auth := &legacyAuth{ttl: time.Hour, now: time.Now}
	auth.install(t, rec.Mux)
	rec.Mux.Handle("GET /webhooks/{name}/diverted", auth.guard(false, func(w http.ResponseWriter, r *http.Request) {
		n := 100
		if r.URL.Query().Get("offset") != "0" {
			n = 1
		}
		var evs []string
		for i := range n {
			evs = append(evs, fmt.Sprintf(`{"transactionId":"tx%d","eventId":"e%d","eventType":"policy.create","timestamp":1767225600000,"username":"bob","data":{"a":1}}`, i, i))
		}
		reply(200, `{"webhookName":"orders","events":[`+strings.Join(evs, ",")+`]}`)(w, r)
	}))
	c := newTestLegacy(t, rec, legacyCreds)
	var got []DivertedEvent
	for d, err := range c.DivertedEvents(t.Context(), "orders") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d)
	}
	if len(got) != 101 {
		t.Fatalf("got %d diverted events, want 101", len(got))
	}
	want := DivertedEvent{ID: "e0", RequestID: "tx0", Type: "policy.create", User: "bob", Time: time.UnixMilli(1767225600000), Data: []byte(`{"a":1}`)}
	if d := cmp.Diff(want, got[0]); d != "" {
		t.Errorf("first (-want +got):\n%s", d)
	}
	if q := rec.last(t).RawQuery; !strings.Contains(q, "offset=100") || !strings.Contains(q, "limit=100") {
		t.Errorf("second page query = %q", q)
	}
}

func TestNewLegacyClientValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		creds LegacyCredentials
		want  string
	}{
		{"nothing", LegacyCredentials{}, "or a Token"},
		{"no host", LegacyCredentials{Username: "a", Password: "b"}, "HostName"},
		{"half admin", LegacyCredentials{Token: "t", AdminUsername: "root"}, "AdminPassword"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewLegacyClient("https://x", tt.creds)
			if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrInvalidInput mentioning %q", err, tt.want)
			}
		})
	}
}

// TestLegacyTokenRenewal covers renewal before expiry, once on 401, and a
// failing renewal.
func TestLegacyTokenRenewal(t *testing.T) {
	t.Parallel()
	t.Run("before expiry", func(t *testing.T) {
		t.Parallel()
		var clock atomic.Int64
		clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
		now := func() time.Time { return time.Unix(0, clock.Load()) }
		rec := newRecorder(t)
		auth := &legacyAuth{ttl: 10 * time.Minute, now: now}
		auth.install(t, rec.Mux)
		rec.Mux.Handle("GET /webhooks", auth.guard(false, reply(200, `{"webhooks":[]}`)))
		c := newTestLegacy(t, rec, legacyCreds, WithClock(now))
		for range 3 {
			if _, err := listAll(c.Webhooks(t.Context())); err != nil {
				t.Fatal(err)
			}
		}
		if auth.users != 1 {
			t.Fatalf("authenticated %d times for 3 calls, want 1", auth.users)
		}
		clock.Add(int64(9*time.Minute + 30*time.Second)) // inside the last minute
		if _, err := listAll(c.Webhooks(t.Context())); err != nil {
			t.Fatal(err)
		}
		if auth.users != 2 || rec.last(t).Header.Get("Authorization") != "user-2" {
			t.Errorf("after nearing expiry: %d authentications, sent %q", auth.users, rec.last(t).Header.Get("Authorization"))
		}
	})
	t.Run("once on 401", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(t)
		auth := &legacyAuth{ttl: time.Hour, now: time.Now, expired: map[string]bool{}}
		auth.install(t, rec.Mux)
		rec.Mux.Handle("PUT /webhooks", auth.guard(false, reply(200, legacyWebhookJSON)))
		c := newTestLegacy(t, rec, legacyCreds)
		if _, err := listAll(c.Webhooks(t.Context())); err == nil {
			// GET /webhooks is not routed: a 405/404 is expected; it primes the token.
		}
		auth.mu.Lock()
		auth.expired["user-1"] = true // the server revokes it early
		auth.mu.Unlock()
		w := LegacyWebhook{Name: "orders", IntegrationName: "i", Events: []events.Name{"policy.create"}}
		if _, err := c.PutWebhook(t.Context(), w); err != nil {
			t.Fatalf("PutWebhook after revocation: %v", err)
		}
		var puts []recorded
		for _, r := range rec.requests() {
			if r.Method == "PUT" {
				puts = append(puts, r)
			}
		}
		if len(puts) != 2 || puts[0].Header.Get("Authorization") != "user-1" || puts[1].Header.Get("Authorization") != "user-2" ||
			puts[0].Body != puts[1].Body || puts[1].Body == "" {
			t.Errorf("PUTs = %d; want the refused one and one retry with the new token and the same body", len(puts))
		}
	})
	t.Run("401 twice is returned", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(t)
		auth := &legacyAuth{ttl: time.Hour, now: time.Now}
		auth.install(t, rec.Mux)
		rec.Mux.Handle("GET /webhooks", reply(401, `{"message":"nope"}`))
		c := newTestLegacy(t, rec, legacyCreds)
		_, err := listAll(c.Webhooks(t.Context()))
		if !errors.Is(err, ErrUnauthorized) || auth.users != 2 {
			t.Errorf("err = %v after %d authentications; want ErrUnauthorized after 2", err, auth.users)
		}
	})
	t.Run("fixed token is not renewed", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(t)
		auth := &legacyAuth{ttl: time.Hour, now: time.Now}
		auth.install(t, rec.Mux)
		rec.Mux.Handle("GET /webhooks", reply(401, `{"message":"nope"}`))
		c := newTestLegacy(t, rec, LegacyCredentials{Token: "ready-token"})
		_, err := listAll(c.Webhooks(t.Context()))
		if !errors.Is(err, ErrUnauthorized) || auth.users != 0 || rec.last(t).Header.Get("Authorization") != "ready-token" {
			t.Errorf("err = %v, %d authentications", err, auth.users)
		}
	})
	t.Run("bad credentials", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(t)
		auth := &legacyAuth{ttl: time.Hour, now: time.Now}
		auth.install(t, rec.Mux)
		creds := legacyCreds
		creds.Password = "wrong-password"
		c := newTestLegacy(t, rec, creds)
		_, err := listAll(c.Webhooks(t.Context()))
		if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "authenticate") || strings.Contains(err.Error(), "wrong-password") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestLegacyConcurrentRenewal sends many callers into an expired token at
// once, inside a synctest bubble so that every one of them is known to be
// waiting before the one renewal is answered.
func TestLegacyConcurrentRenewal(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		mux := http.NewServeMux()
		auth := &legacyAuth{ttl: time.Hour, now: time.Now, authDelay: make(chan struct{})}
		auth.install(t, mux)
		var served atomic.Int32
		mux.Handle("GET /webhooks", auth.guard(false, func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			reply(200, `{"webhooks":[]}`)(w, r)
		}))
		hc, _, stop := serve(mux)
		defer stop()
		c, err := NewLegacyClient("http://legacy.test", legacyCreds, WithHTTPClient(hc))
		if err != nil {
			t.Fatal(err)
		}
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				_, err := listAll(c.Webhooks(t.Context()))
				errs <- err
			})
		}
		synctest.Wait() // every caller is blocked: one in authenticate, the rest waiting for it
		if w := auth.waiting.Load(); w != 1 || served.Load() != 0 {
			t.Fatalf("%d authentications in flight, %d calls served; want 1 and 0", w, served.Load())
		}
		close(auth.authDelay)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if auth.users != 1 || served.Load() != n {
			t.Errorf("%d authentications and %d calls served for %d callers, want 1 and %d", auth.users, served.Load(), n, n)
		}
	})
}

// TestLegacyConcurrent401 refuses a token that many callers share: they
// renew it once between them.
func TestLegacyConcurrent401(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	auth := &legacyAuth{ttl: time.Hour, now: time.Now, expired: map[string]bool{}}
	auth.install(t, rec.Mux)
	rec.Mux.Handle("GET /webhooks", auth.guard(false, reply(200, `{"webhooks":[]}`)))
	c := newTestLegacy(t, rec, legacyCreds)
	if _, err := listAll(c.Webhooks(t.Context())); err != nil {
		t.Fatal(err)
	}
	auth.mu.Lock()
	auth.expired["user-1"] = true
	auth.mu.Unlock()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := listAll(c.Webhooks(t.Context())); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if auth.users != 2 {
		t.Errorf("%d authentications, want 2 (the first and one renewal)", auth.users)
	}
}

func TestLegacyLogsRenewalWithoutToken(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := newRecorder(t)
	auth := &legacyAuth{ttl: time.Hour, now: time.Now, expired: map[string]bool{}}
	auth.install(t, rec.Mux)
	rec.Mux.Handle("GET /webhooks", auth.guard(false, reply(200, `{"webhooks":[]}`)))
	c := newTestLegacy(t, rec, legacyCreds, WithLogger(logger))
	listAll(c.Webhooks(t.Context()))
	auth.mu.Lock()
	auth.expired["user-1"] = true
	auth.mu.Unlock()
	if _, err := listAll(c.Webhooks(t.Context())); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	out := logs.String()
	if !strings.Contains(out, "token refused; renewed it") || !strings.Contains(out, "status=401") {
		t.Errorf("log lacks the renewal:\n%s", out)
	}
	for _, s := range []string{"user-1", "user-2", legacyPassword} {
		if strings.Contains(out, s) {
			t.Errorf("log contains %q:\n%s", s, out)
		}
	}
	if rec.requests()[0].Header.Get("User-Agent") != DefaultUserAgent {
		t.Errorf("default User-Agent = %q", rec.requests()[0].Header.Get("User-Agent"))
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestLegacyWebhooksIterates(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	rec.Mux.Handle("GET /webhooks", reply(200, `{"webhooks":[{"name":"a","events":["policy.create"]},{"name":"b"},{"name":"c"}]}`))
	c := newTestLegacy(t, rec, LegacyCredentials{Token: "tok"})
	var got []string
	for w, err := range c.Webhooks(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, w.Name)
		if w.Name == "b" {
			break // stopping early must not panic or fetch again
		}
	}
	if !slices.Equal(got, []string{"a", "b"}) || len(rec.requests()) != 1 {
		t.Errorf("got %v after %d requests, want [a b] after 1", got, len(rec.requests()))
	}
	empty := newRecorder(t)
	empty.Mux.Handle("GET /webhooks", reply(200, `{}`)) // no webhooks member
	errs := 0
	for w, err := range newTestLegacy(t, empty, LegacyCredentials{Token: "tok"}).Webhooks(t.Context()) {
		if err == nil || w.Name != "" {
			t.Fatalf("yielded %+v, %v; want only an error", w, err)
		}
		errs++
	}
	if errs != 1 {
		t.Errorf("yielded %d errors, want 1", errs)
	}
}
