package socotra_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/socotra-go/sdk/socotra"
)

const (
	tenantA = "6f1c2d3e-0a1b-4c5d-8e9f-001122334455"
	tenantB = "0b1c2d3e-0a1b-4c5d-8e9f-aabbccddeeff"
	tenantC = "11111111-2222-4333-8444-555555555555"
)

// tenantRecorder is a Core API that records the tenant locator of each call.
func tenantRecorder(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var tenants []string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/event/")
		tenant, _, _ := strings.Cut(rest, "/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		tenants = append(tenants, tenant)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"listCompleted": true, "items": []}`)
	}))
	t.Cleanup(s.Close)
	return s, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), tenants...)
	}
}

// jwt returns an unsigned JWT with claims, shaped as a real one.
func jwt(claims map[string]any) string {
	enc := base64.RawURLEncoding
	body, _ := json.Marshal(claims)
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(body) + ".c2lnbmF0dXJl"
}

// states serves installation states by key.
func states(t *testing.T, byKey map[string]map[string]any) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, ok := byKey[strings.TrimPrefix(r.URL.Path, "/state/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(st)
	}))
	t.Cleanup(s.Close)
	return s
}

// TestInstallationTenantLocator checks every source of the tenant locator,
// in the documented order, with state shaped as Socotra publishes it
// (socotraApiUrl, tenantHostName, token, settings, mappings; no locator).
func TestInstallationTenantLocator(t *testing.T) {
	t.Parallel()
	type state = map[string]any
	published := func(token string, settings state) state {
		return state{"tenantHostName": "acme.co.sandbox.socotra.com", "token": token, "settings": settings,
			"mappings": []any{state{"productName": "personal-auto", "fields": state{"vin": "vin"}}}}
	}
	withMember := published("pat_plain", state{"tenantLocator": tenantB})
	withMember["tenantLocator"] = tenantA
	fromFunc := socotra.WithTenantLocatorFunc(func(_ context.Context, st socotra.InstallationState) (string, error) {
		if st.TenantHostName != "acme.co.sandbox.socotra.com" {
			return "", fmt.Errorf("no tenant configured for %s", st.TenantHostName)
		}
		return tenantC, nil
	})
	tests := []struct {
		name   string
		state  state
		opts   []socotra.MarketplaceOption
		want   string // the tenant the client calls; "" when CoreClient fails
		errIs  error
		errHas string
	}{
		{name: "state member first", state: withMember, opts: []socotra.MarketplaceOption{fromFunc}, want: tenantA},
		{name: "token claim before setting", state: published(jwt(state{"tenantLocator": tenantA}), state{"tenantLocator": tenantB}), want: tenantA},
		{name: "snake-case token claim", state: published(jwt(state{"tenant_locator": tenantA}), nil), want: tenantA},
		{name: "setting", state: published(jwt(state{"sub": "app"}), state{"tenantLocator": tenantB}), opts: []socotra.MarketplaceOption{fromFunc}, want: tenantB},
		{name: "option last", state: published("pat_plain", state{"region": "eu"}), opts: []socotra.MarketplaceOption{fromFunc}, want: tenantC},
		{name: "none", state: published("pat_plain", nil), errIs: socotra.ErrNoTenantLocator,
			errHas: `declare a "tenantLocator" setting`},
		{name: "option fails", state: published("pat_plain", nil), opts: []socotra.MarketplaceOption{socotra.WithTenantLocatorFunc(
			func(context.Context, socotra.InstallationState) (string, error) { return "", errors.New("lookup down") })},
			errHas: "WithTenantLocatorFunc: lookup down"},
		{name: "setting not a UUID", state: published("pat_plain", state{"tenantLocator": "acme"}),
			errIs: socotra.ErrInvalidInput, errHas: "from settings.tenantLocator is not a UUID"},
		{name: "claim not a UUID", state: published(jwt(state{"tenantLocator": "../x"}), nil),
			errIs: socotra.ErrInvalidInput, errHas: "from the token's tenantLocator claim is not a UUID"},
		{name: "token that only looks like a JWT", state: published("a.!!!.c", nil), errIs: socotra.ErrNoTenantLocator},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api, tenants := tenantRecorder(t)
			tt.state["socotraApiUrl"] = api.URL
			st := states(t, map[string]state{"k1": tt.state})
			m, err := socotra.NewMarketplace(st.URL, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			c, err := m.CoreClient(t.Context(), smpRequest("k1"))
			if tt.want == "" {
				if err == nil || (tt.errIs != nil && !errors.Is(err, tt.errIs)) || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("CoreClient = %v, want an error matching %v and saying %q", err, tt.errIs, tt.errHas)
				}
				if tok, _ := tt.state["token"].(string); strings.Contains(err.Error(), tok) {
					t.Errorf("the error holds the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, err := range c.Webhooks(t.Context(), socotra.WebhookFilter{}) {
				if err != nil {
					t.Fatalf("call through the installation's client: %v", err)
				}
			}
			if got := tenants(); len(got) != 1 || got[0] != tt.want {
				t.Errorf("client called tenants %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMarketplaceMiddleware checks the installation reaches a handler's
// context, with its clients cached per key.
func TestMarketplaceMiddleware(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	st := states(t, map[string]map[string]any{
		"k1": {"socotraApiUrl": srv.URL(), "tenantHostName": "a.example", "token": srv.CoreToken(), "settings": map[string]any{"tenantLocator": srv.TenantLocator()}},
		"k2": {"socotraApiUrl": srv.URL(), "tenantHostName": "b.example", "token": srv.CoreToken(), "settings": map[string]any{"tenantLocator": srv.TenantLocator()}},
	})
	m, err := socotra.NewMarketplace(st.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	clients := map[string]*socotra.CoreClient{}
	var calls atomic.Int32
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, ok := socotra.InstallationFrom(r.Context())
		if !ok {
			http.Error(w, "no installation", 500)
			return
		}
		c, err := in.CoreClient(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		for _, err := range c.Webhooks(r.Context(), socotra.WebhookFilter{}) {
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
		}
		calls.Add(1)
		host := in.State().TenantHostName
		mu.Lock()
		if prev, ok := clients[host]; ok && prev != c {
			t.Errorf("%s: a second client within the TTL", host)
		}
		clients[host] = c
		mu.Unlock()
		io.WriteString(w, host)
	}))
	for _, tt := range []struct {
		key    string
		status int
		body   string
	}{
		{"k1", 200, "a.example"}, {"k2", 200, "b.example"}, {"k1", 200, "a.example"},
		{"", 400, "missing x-smp-key"}, {"unknown", 503, "installation state unavailable"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, smpRequest(tt.key))
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.body) {
			t.Errorf("key %q: %d %q, want %d %q", tt.key, rec.Code, rec.Body, tt.status, tt.body)
		}
	}
	if calls.Load() != 3 || len(clients) != 2 || clients["a.example"] == clients["b.example"] {
		t.Errorf("%d handled, %d clients; want 3 handled by one client per installation", calls.Load(), len(clients))
	}
	if _, ok := socotra.InstallationFrom(t.Context()); ok {
		t.Error("InstallationFrom found an installation in a bare context")
	}
	in, err := m.Installation(t.Context(), smpRequest("k1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{in.String(), fmt.Sprint(in.LogValue()), fmt.Sprintf("%v", in.State())} {
		if strings.Contains(s, srv.CoreToken()) {
			t.Errorf("the installation prints its token: %s", s)
		}
	}
}

func TestMarketplaceAuthenticate(t *testing.T) {
	t.Parallel()
	st := states(t, map[string]map[string]any{"k1": {"socotraApiUrl": "https://api.sandbox.socotra.example", "token": "t"}})
	m, err := socotra.NewMarketplace(st.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Authenticate(smpRequest("k1")); err != nil {
		t.Errorf("known key: %v", err)
	}
	if err := m.Authenticate(smpRequest("")); !errors.Is(err, socotra.ErrNoSMPKey) {
		t.Errorf("no key: %v, want ErrNoSMPKey", err)
	}
	if err := m.Authenticate(smpRequest("guessed-key-99")); err == nil || strings.Contains(err.Error(), "guessed-key-99") {
		t.Errorf("unknown key: %v, want an error without the key", err)
	}
}
