package socotra_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// get fetches url with c and returns the status and body.
func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHTTPClientOnFake fetches a policy and a claim from the fake tenant with each client's HTTPClient,
// by a path and by a whole URL; an unknown locator is a 404 response, not an error.
func TestHTTPClientOnFake(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	tenant := srv.TenantLocator()
	for _, put := range []error{
		srv.PutPolicy(events.Core, "01JD7Y3Q8Z5X2W9V4T6R1M0KQB", map[string]string{"locator": "01JD7Y3Q8Z5X2W9V4T6R1M0KQB", "productName": "auto"}),
		srv.PutClaim(events.Core, "01JD7Y3Q8Z5X2W9V4T6R1M0KQC", map[string]string{"locator": "01JD7Y3Q8Z5X2W9V4T6R1M0KQC"}),
		srv.PutPolicy(events.Legacy, "100000001", map[string]string{"locator": "100000001", "productName": "home"}),
		srv.PutClaim(events.Legacy, "200000002", map[string]string{"locator": "200000002"}),
	} {
		if put != nil {
			t.Fatal(put)
		}
	}
	core := coreClient(t, srv).HTTPClient()
	legacy := legacyClient(t, srv).HTTPClient()
	tests := []struct {
		name   string
		c      *http.Client
		url    string
		status int
		has    string
	}{
		{"core policy by path", core, "/policy/" + tenant + "/policies/01JD7Y3Q8Z5X2W9V4T6R1M0KQB", 200, `"productName":"auto"`},
		{"core policy by URL", core, srv.URL() + "/policy/" + tenant + "/policies/01JD7Y3Q8Z5X2W9V4T6R1M0KQB", 200, `"productName":"auto"`},
		{"core claim", core, "/claim/" + tenant + "/claims/01JD7Y3Q8Z5X2W9V4T6R1M0KQC", 200, `01JD7Y3Q8Z5X2W9V4T6R1M0KQC`},
		{"core unknown policy", core, "/policy/" + tenant + "/policies/01JD7Y3Q8Z5X2W9V4T6R1M0KQZ", 404, "not found"},
		{"legacy policy", legacy, "/policy/100000001", 200, `"productName":"home"`},
		{"legacy claim", legacy, "/claim/200000002", 200, `200000002`},
		{"legacy policy of Core", legacy, "/policy/01JD7Y3Q8Z5X2W9V4T6R1M0KQB", 404, "not found"},
	}
	for _, tt := range tests {
		status, body := get(t, tt.c, tt.url)
		if status != tt.status || !strings.Contains(body, tt.has) {
			t.Errorf("%s: %d %s; want %d and %s", tt.name, status, body, tt.status, tt.has)
		}
	}
	// Without the client's authorisation the fake refuses the same reads.
	if status, _ := get(t, http.DefaultClient, srv.URL()+"/policy/100000001"); status != http.StatusUnauthorized {
		t.Errorf("unauthorised Legacy read: %d, want 401", status)
	}
	if status, _ := get(t, http.DefaultClient, srv.URL()+"/policy/"+tenant+"/policies/01JD7Y3Q8Z5X2W9V4T6R1M0KQB"); status != http.StatusUnauthorized {
		t.Errorf("unauthorised Core read: %d, want 401", status)
	}
}

// TestHTTPClientRequests checks what the tenant sees: the token with the auth scheme, the user agent, a
// retry after a 503, a same-origin redirect followed, and nothing sent to another host.
func TestHTTPClientRequests(t *testing.T) {
	t.Parallel()
	var hits, elsewhere atomic.Int32
	type seen struct{ auth, ua string }
	got := make(chan seen, 10)
	tenantSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{r.Header.Get("Authorization"), r.Header.Get("User-Agent")}
		switch {
		case r.URL.Path == "/redirect":
			http.Redirect(w, r, "/policy/x", http.StatusFound)
		case hits.Add(1) == 1:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			_, _ = io.WriteString(w, `{"ok":true}`)
		}
	}))
	defer tenantSrv.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()

	c, err := socotra.NewCoreClient(tenantSrv.URL, "6f1c2d3e-0a1b-4c5d-8e9f-001122334455", "pat-123",
		socotra.WithUserAgent("claims-adapter/1.0"), socotra.WithRetry(3, time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	hc := c.HTTPClient()
	if status, body := get(t, hc, "/policy/x"); status != 200 || body != `{"ok":true}` {
		t.Errorf("after a 503: %d %s; want the retry's 200", status, body)
	}
	for range 2 {
		if s := <-got; s.auth != "Bearer pat-123" || !strings.HasPrefix(s.ua, "claims-adapter/1.0") {
			t.Errorf("the tenant saw Authorization %q, User-Agent %q", s.auth, s.ua)
		}
	}
	if status, body := get(t, hc, "/redirect"); status != http.StatusOK || body != `{"ok":true}` {
		t.Errorf("same-origin redirect: %d %s; want it followed", status, body)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, other.URL+"/policy/x", nil)
	if resp, err := hc.Do(req); err == nil || !strings.Contains(err.Error(), "only to") {
		if resp != nil {
			resp.Body.Close()
		}
		t.Errorf("request to another host: %v; want an error", err)
	} else if strings.Contains(err.Error(), "pat-123") {
		t.Errorf("the error shows the token: %v", err)
	}
	if elsewhere.Load() != 0 {
		t.Error("a request reached another host")
	}
}

// TestHTTPClientLegacyRenewal has the fake's clock pass the token's expiry while the client's clock lags:
// the HTTPClient's read gets a 401, renews the token once and succeeds.
func TestHTTPClientLegacyRenewal(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := socotratest.NewFakeClock(start)
	srv := newFake(t, socotratest.WithClock(clock), socotratest.WithTokenTTL(10*time.Minute))
	if err := srv.PutPolicy(events.Legacy, "100000001", map[string]string{"locator": "100000001"}); err != nil {
		t.Fatal(err)
	}
	hc := legacyClient(t, srv, socotra.WithClock(func() time.Time { return start })).HTTPClient()
	for range 3 {
		status, body := get(t, hc, "/policy/100000001")
		var doc map[string]string
		if status != 200 || json.Unmarshal([]byte(body), &doc) != nil || doc["locator"] != "100000001" {
			t.Fatalf("read: %d %s", status, body)
		}
		clock.Advance(11 * time.Minute)
	}
}

func TestPutEntityRefusals(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	for name, err := range map[string]error{
		"no platform":  srv.PutPolicy(0, "p", map[string]string{}),
		"empty":        srv.PutClaim(events.Core, "", map[string]string{}),
		"slash":        srv.PutPolicy(events.Legacy, "a/b", map[string]string{}),
		"not object":   srv.PutPolicy(events.Legacy, "p", []int{1}),
		"not encoding": srv.PutClaim(events.Legacy, "p", func() {}),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestHTTPClientKeepsEscapes resolves a host-less URL against the base URL's path without decoding it:
// an escaped '/' in a path segment stays one segment.
func TestHTTPClientKeepsEscapes(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.EscapedPath() + "?" + r.URL.RawQuery
	}))
	defer srv.Close()
	c, err := socotra.NewCoreClient(srv.URL+"/api/", "6f1c2d3e-0a1b-4c5d-8e9f-001122334455", "pat-123")
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := get(t, c.HTTPClient(), "/policy/a%2Fb/c%20d?x=1"); status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if saw, want := <-got, "/api/policy/a%2Fb/c%20d?x=1"; saw != want {
		t.Errorf("the tenant saw %s, want %s", saw, want)
	}
}
