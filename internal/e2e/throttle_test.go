package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// refusal makes the throttle answer the next times requests whose method is method and whose path
// contains path with status and a Retry-After of retryAfter seconds ("" for none).
type refusal struct {
	method, path string
	status       int
	retryAfter   string
	times        int
}

// throttle is a proxy in front of the fake tenant that refuses requests as its refusals say, the way a
// rate-limited or overloaded tenant does.
type throttle struct {
	URL      string
	mu       sync.Mutex
	refusals []refusal
}

// unused counts the refusals not made yet.
func (th *throttle) unused() int {
	th.mu.Lock()
	defer th.mu.Unlock()
	n := 0
	for _, rf := range th.refusals {
		n += rf.times
	}
	return n
}

func newThrottle(t *testing.T, tenant *socotratest.Server, refusals ...refusal) *throttle {
	t.Helper()
	target, err := url.Parse(tenant.URL())
	if err != nil {
		t.Fatal(err)
	}
	th := &throttle{refusals: refusals}
	proxy := httputil.NewSingleHostReverseProxy(target)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		th.mu.Lock()
		for i := range th.refusals {
			rf := &th.refusals[i]
			if rf.times > 0 && r.Method == rf.method && strings.Contains(r.URL.Path, rf.path) {
				rf.times--
				th.mu.Unlock()
				if rf.retryAfter != "" {
					w.Header().Set("Retry-After", rf.retryAfter)
				}
				http.Error(w, `{"message":"try again later"}`, rf.status)
				return
			}
		}
		th.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	th.URL = hs.URL
	return th
}

// bubbleClient is an HTTP client usable inside a synctest bubble: without keep-alive no connection
// goroutine outlives its request, so the bubble's clock moves as soon as the client waits.
func bubbleClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

// The tenant answers the management client 429 and 503 with Retry-After: the client waits exactly as
// long as asked (the bubble's clock measures it) and then succeeds; a Retry-After beyond the client's
// limit is returned at once as an error that says how long to wait.
func TestManagementClientHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	hook := socotra.Webhook{Name: "throttled", Enabled: true, Events: types[:1],
		Endpoint: socotra.Endpoint{URL: "https://receiver.example/hook"}}
	for _, tc := range []struct {
		name     string
		refusals []refusal
		maxRA    time.Duration
		call     func(ctx context.Context, c *socotra.CoreClient) error
		wait     time.Duration // exact time the call must take on the bubble's clock
		wantErr  error
	}{
		{
			name:     "list: 429 then 503",
			refusals: []refusal{{"GET", "/webhooks/list", 429, "3", 1}, {"GET", "/webhooks/list", 503, "2", 1}},
			call: func(ctx context.Context, c *socotra.CoreClient) error {
				for _, err := range c.Webhooks(ctx, socotra.WebhookFilter{}) {
					return err
				}
				return nil
			},
			wait: 5 * time.Second,
		},
		{
			name:     "register: 429 on the lookup",
			refusals: []refusal{{"GET", "/webhooks/list", 429, "4", 1}},
			call: func(ctx context.Context, c *socotra.CoreClient) error {
				return c.Registrar().Register(ctx, socotra.Registration{Name: "throttled", URL: "https://receiver.example/hook", Events: types[:1]})
			},
			wait: 4 * time.Second,
		},
		{
			name:     "fetch an event: 503 twice",
			refusals: []refusal{{"GET", "/events/", 503, "1", 2}},
			call: func(ctx context.Context, c *socotra.CoreClient) error {
				_, err := c.Event(ctx, "01JDAAAAAAAAAAAAAAAAAAAAAA")
				if errors.Is(err, socotra.ErrNotFound) {
					return nil // reached the tenant, which does not know the event
				}
				return err
			},
			wait: 2 * time.Second,
		},
		{
			name:     "Retry-After beyond the limit",
			refusals: []refusal{{"GET", "/webhooks/list", 429, "3600", 1}},
			maxRA:    time.Minute,
			call: func(ctx context.Context, c *socotra.CoreClient) error {
				_, err := c.CreateWebhook(ctx, hook)
				if err != nil {
					return err
				}
				for _, err := range c.Webhooks(ctx, socotra.WebhookFilter{}) {
					return err
				}
				return nil
			},
			wantErr: socotra.ErrRateLimited,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tenant := socotratest.NewServer()
			t.Cleanup(tenant.Close)
			proxy := newThrottle(t, tenant, tc.refusals...)
			synctest.Test(t, func(t *testing.T) {
				opts := []socotra.Option{socotra.WithHTTPClient(bubbleClient()), socotra.WithRetry(5, time.Second, 10*time.Second)}
				if tc.maxRA > 0 {
					opts = append(opts, socotra.WithMaxRetryAfter(tc.maxRA))
				}
				c, err := socotra.NewCoreClient(proxy.URL, tenant.TenantLocator(), tenant.CoreToken(), opts...)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				err = tc.call(t.Context(), c)
				took := time.Since(start)
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("call: %v, want %v", err, tc.wantErr)
				}
				if n := proxy.unused(); n != 0 {
					t.Errorf("%d refusals never made: the call did not go through the throttle as planned", n)
				}
				if took != tc.wait {
					t.Errorf("the call took %s on the bubble's clock, want exactly %s", took, tc.wait)
				}
				var ae *socotra.APIError
				if tc.wantErr != nil && (!errors.As(err, &ae) || ae.RetryAfter != time.Hour) {
					t.Errorf("error %v does not carry the server's Retry-After of 1h", err)
				}
			})
		})
	}
}

// A create answered 503 may or may not have reached the tenant; whatever the client does about it, a
// second Register leaves exactly one webhook (the Registrar keeps one per name).
func TestRegisterAfterA503LeavesOneWebhook(t *testing.T) {
	t.Parallel()
	tenant := socotratest.NewServer()
	t.Cleanup(tenant.Close)
	proxy := newThrottle(t, tenant, refusal{"POST", "/webhooks", 503, "1", 1})
	synctest.Test(t, func(t *testing.T) {
		c, err := socotra.NewCoreClient(proxy.URL, tenant.TenantLocator(), tenant.CoreToken(),
			socotra.WithHTTPClient(bubbleClient()), socotra.WithRetry(3, time.Second, 5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		reg := socotra.Registration{Name: "once", URL: "https://receiver.example/hook", Events: []events.Name{events.PolicyQuoteIssue}}
		first := c.Registrar().Register(t.Context(), reg)
		if err := c.Registrar().Register(t.Context(), reg); err != nil {
			t.Fatalf("second Register (the first returned %v): %v", first, err)
		}
	})
	if n := proxy.unused(); n != 0 {
		t.Error("the create was never refused")
	}
	if hooks := tenant.Webhooks(); len(hooks) != 1 || hooks[0].Name != "once" {
		t.Errorf("webhooks after a 503 and a second Register: %+v, want exactly one named once", hooks)
	}
}
