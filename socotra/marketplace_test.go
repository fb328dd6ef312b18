package socotra_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// stateAPI serves installation state for key "inst/1" pointing at the fake.
func stateAPI(t *testing.T, srv *socotratest.Server, token string) (*httptest.Server, *atomic.Int32) {
	var fetches atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if r.URL.EscapedPath() != "/state/inst%2F1" {
			http.Error(w, `{"message":"unknown installation"}`, http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"socotraApiUrl": srv.URL(), "tenantHostName": "acme.example", "token": token,
			"settings": map[string]any{"tenantLocator": srv.TenantLocator(), "region": "eu"},
			"mappings": []any{map[string]any{"from": "a", "to": "b"}},
		})
	}))
	t.Cleanup(s.Close)
	return s, &fetches
}

func smpRequest(key string) *http.Request {
	r := httptest.NewRequest("POST", "/hook", nil)
	if key != "" {
		r.Header.Set(socotra.SMPKeyHeader, key)
	}
	return r
}

func TestMarketplace(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	state, fetches := stateAPI(t, srv, srv.CoreToken())
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	m, err := socotra.NewMarketplace(state.URL, socotra.WithStateTTL(time.Minute),
		socotra.WithClock(func() time.Time { return time.Unix(0, clock.Load()).UTC() }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	st, err := m.State(ctx, smpRequest("inst/1"))
	if err != nil {
		t.Fatal(err)
	}
	if st.TenantHostName != "acme.example" || st.TenantLocator != srv.TenantLocator() || st.Settings["region"] != "eu" || len(st.Mappings) != 1 {
		t.Errorf("state = %+v", st)
	}
	if strings.Contains(st.String(), srv.CoreToken()) {
		t.Errorf("String shows the token: %s", st)
	}
	c, err := m.CoreClient(ctx, smpRequest("inst/1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range c.Webhooks(ctx, socotra.WebhookFilter{}) {
		if err != nil {
			t.Fatalf("client from state: %v", err)
		}
	}
	if c2, _ := m.CoreClient(ctx, smpRequest("inst/1")); c2 != c || fetches.Load() != 1 {
		t.Errorf("within the TTL: same client %v, %d fetches; want the cached client and 1 fetch", c2 == c, fetches.Load())
	}
	clock.Add(int64(2 * time.Minute))
	if _, err := m.State(ctx, smpRequest("inst/1")); err != nil || fetches.Load() != 2 {
		t.Errorf("after the TTL: %v, %d fetches; want 2", err, fetches.Load())
	}
	if _, err := m.State(ctx, smpRequest("")); !errors.Is(err, socotra.ErrNoSMPKey) {
		t.Errorf("no key: %v", err)
	}
	_, err = m.State(ctx, smpRequest("secret-key-777"))
	if !errors.Is(err, socotra.ErrNotFound) || strings.Contains(err.Error(), "secret-key-777") {
		t.Errorf("unknown key: %v; want ErrNotFound without the key", err)
	}
}

func TestMarketplaceLegacy(t *testing.T) { // not parallel: sets SMP_STATE_API
	srv := newFake(t)
	// A Legacy installation token: get one the way the platform would.
	u, p, h := srv.LegacyCredentials()
	tok := legacyToken(t, srv.URL(), u, p, h)
	state, _ := stateAPI(t, srv, tok)
	t.Setenv("SMP_STATE_API", state.URL)
	// A Core-only option given to the Marketplace must not stop its Legacy clients.
	m, err := socotra.NewMarketplace("", socotra.WithCoreAuthScheme("Bearer"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.LegacyClient(t.Context(), smpRequest("inst/1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range c.Webhooks(t.Context()) {
		if err == nil {
			continue
		}
		t.Errorf("legacy client from state: %v", err)
	}
}

func legacyToken(t *testing.T, base, user, pass, host string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass, "hostName": host})
	resp, err := http.Post(base+"/account/authenticate", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ AuthorizationToken string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AuthorizationToken == "" {
		t.Fatalf("authenticate: %v", err)
	}
	return out.AuthorizationToken
}

func TestNewMarketplaceValidates(t *testing.T) {
	t.Setenv("SMP_STATE_API", "")
	if _, err := socotra.NewMarketplace(""); !errors.Is(err, socotra.ErrInvalidInput) || !strings.Contains(err.Error(), "SMP_STATE_API") {
		t.Errorf("no URL: %v", err)
	}
	if _, err := socotra.NewMarketplace("state.local"); !errors.Is(err, socotra.ErrInvalidInput) {
		t.Errorf("relative URL: %v", err)
	}
}

// gatedStateAPI serves the state of "inst/1" like stateAPI, but each answer
// waits until gate is closed or the request is cancelled.
func gatedStateAPI(t *testing.T, srv *socotratest.Server, gate <-chan struct{}) (*httptest.Server, *atomic.Int32) {
	inner, _ := stateAPI(t, srv, srv.CoreToken())
	var fetches atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		inner.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s, &fetches
}

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestMarketplaceSharesOneFetch(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	gate := make(chan struct{})
	state, fetches := gatedStateAPI(t, srv, gate)
	m, err := socotra.NewMarketplace(state.URL)
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := m.State(t.Context(), smpRequest("inst/1"))
			errs <- err
		}()
	}
	waitFor(t, "the first fetch", func() bool { return fetches.Load() >= 1 })
	time.Sleep(50 * time.Millisecond) // the others reach the fetch under way
	close(gate)
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := fetches.Load(); got != 1 {
		t.Errorf("%d concurrent requests for one installation made %d state fetches, want 1", n, got)
	}
}

func TestMarketplaceWaiterOutlivesCancelledFetch(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	gate := make(chan struct{})
	state, fetches := gatedStateAPI(t, srv, gate)
	m, err := socotra.NewMarketplace(state.URL, socotra.WithRetry(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	first, cancel := context.WithCancelCause(t.Context()) // as webhooks.WithTimeout and errgroup do
	firstErr := make(chan error, 1)
	go func() {
		_, err := m.State(first, smpRequest("inst/1"))
		firstErr <- err
	}()
	waitFor(t, "the first fetch", func() bool { return fetches.Load() == 1 })
	second := make(chan error, 1)
	go func() {
		_, err := m.State(t.Context(), smpRequest("inst/1"))
		second <- err
	}()
	time.Sleep(50 * time.Millisecond) // the second request waits on the first fetch
	cancel(errors.New("the handler gave up"))
	if err := <-firstErr; err == nil {
		t.Error("cancelled request succeeded")
	}
	close(gate)
	if err := <-second; err != nil {
		t.Errorf("a request waiting on a fetch its caller cancelled failed: %v", err)
	}
	if got := fetches.Load(); got != 2 {
		t.Errorf("%d fetches, want 2 (the cancelled one and the waiter's own)", got)
	}
}

func TestMarketplaceStateTimeoutFailsWaitersOnce(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	state, fetches := gatedStateAPI(t, srv, make(chan struct{})) // never answers
	m, err := socotra.NewMarketplace(state.URL, socotra.WithRetry(1, 0, 0),
		socotra.WithHTTPClient(&http.Client{Timeout: 200 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	errs := make(chan error, n)
	start := time.Now()
	for range n {
		go func() {
			_, err := m.State(t.Context(), smpRequest("inst/1"))
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err == nil {
			t.Error("a request succeeded against a state API that never answers")
		}
	}
	// Each waiter fetching in turn after the one before timed out would take n timeouts.
	if got, took := fetches.Load(), time.Since(start); got != 1 || took > 2*time.Second {
		t.Errorf("a state API timeout: %d fetches in %v for %d concurrent requests; want 1 fetch, all failed together", got, took, n)
	}
}

// TestMarketplaceHidesInstallationKeys: neither the Marketplace printed or logged (its cache is keyed
// by installation keys) nor an error from an unreachable state API (a *url.Error holds the URL) gives
// a key away.
func TestMarketplaceHidesInstallationKeys(t *testing.T) {
	t.Parallel()
	const key = "inst-LEAK-4242"
	srv := newFake(t)
	state, _ := stateAPI(t, srv, srv.CoreToken())
	m, err := socotra.NewMarketplace(state.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.State(t.Context(), smpRequest("inst/1")); err != nil { // cached under its key
		t.Fatal(err)
	}
	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("m", "marketplace", m)
	outputs := []string{fmt.Sprintf("%v %+v %#v", m, m, m), fmt.Sprint(m), log.String()}

	down, err := socotra.NewMarketplace("http://127.0.0.1:1", socotra.WithRetry(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = down.State(t.Context(), smpRequest(key))
	if err == nil {
		t.Fatal("a state API that is down answered")
	}
	outputs = append(outputs, err.Error(), fmt.Sprintf("%+v", err))
	var ue *url.Error
	if errors.As(err, &ue) {
		outputs = append(outputs, ue.URL)
	}
	for _, out := range outputs {
		if strings.Contains(out, "LEAK") || strings.Contains(out, "inst/1") || strings.Contains(out, "inst%2F1") {
			t.Errorf("an installation key shows: %s", out)
		}
	}
}
