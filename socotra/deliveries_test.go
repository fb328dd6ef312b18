package socotra

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/webhooks"
)

const deliverySecret = "delivery-secret-0123456789"

// legacyDelivery is a Connected Core delivery body with event id id.
func legacyDelivery(id string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":"policy.create","timestamp":1767225600000,"transactionId":"t-1","username":"u","data":{"policyLocator":"100"}}`, id)
}

// post sends body to srv at path, signed with secret when it is not empty,
// with an x-smp-key when key is not empty.
func post(t *testing.T, srv *httptest.Server, path string, body []byte, secret, key string) (int, string) {
	t.Helper()
	var req *http.Request
	var err error
	if secret != "" {
		req, err = hmac.NewSignedRequest(http.MethodPost, srv.URL+path, body, []byte(secret))
	} else {
		req, err = http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
	}
	if err != nil {
		t.Fatal(err)
	}
	req = req.WithContext(t.Context())
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(SMPKeyHeader, key)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// counting returns a Handler that counts the events it handles.
func counting() (*webhooks.Handler, *atomic.Int32) {
	var n atomic.Int32
	h := webhooks.NewHandler(webhooks.WithFallback(func(context.Context, *webhooks.Event) error {
		n.Add(1)
		return nil
	}))
	return h, &n
}

func TestRuntimeDeliveriesNeedASecretOrAChoice(t *testing.T) {
	t.Parallel()
	h, _ := counting()
	tests := []struct {
		name string
		opts []RuntimeOption
		want string // "" when NewRuntime succeeds
	}{
		{"neither", []RuntimeOption{WithDeliveries(h)}, `no secret to verify deliveries to ["/a" "/b"]`},
		{"one path without", []RuntimeOption{WithDeliveries(h), WithWebhookSettings("/a", WebhookSettings{Secret: deliverySecret})}, `deliveries to ["/b"]`},
		{"secret", []RuntimeOption{WithDeliveries(h), WithDefaultSettings(WebhookSettings{Secret: deliverySecret})}, ""},
		{"unsigned by choice", []RuntimeOption{WithDeliveries(h), WithUnsignedDeliveries()}, ""},
		{"nil handler", []RuntimeOption{WithDeliveries(nil), WithUnsignedDeliveries()}, "WithDeliveries(nil)"},
		{"unsigned alone", []RuntimeOption{WithUnsignedDeliveries()}, "WithUnsignedDeliveries needs WithDeliveries"},
		{"marketplace alone", []RuntimeOption{WithMarketplace(&Marketplace{})}, "WithMarketplace needs WithDeliveries"},
		{"nil marketplace", []RuntimeOption{WithDeliveries(h), WithUnsignedDeliveries(), WithMarketplace(nil)}, "WithMarketplace(nil)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewRuntime(testManifest(t, "/a", "/b"), nil, tt.opts...)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("NewRuntime = %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("NewRuntime = %v, want an error saying %s", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), deliverySecret) {
				t.Errorf("the error holds the secret: %v", err)
			}
		})
	}
}

func TestRuntimeDeliveriesVerified(t *testing.T) {
	t.Parallel()
	h, handled := counting()
	var logs syncBuffer
	rt, err := NewRuntime(testManifest(t, "/a", "/b"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "app")
	}), WithDeliveries(h), WithLifecycleLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		WithDefaultSettings(WebhookSettings{Secret: deliverySecret}),
		WithWebhookSettings("/b", WebhookSettings{Secret: "other-secret-for-b-0123", Tag: "v2"}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	tests := []struct {
		name, path, secret string
		status             int
	}{
		{"signed", "/a", deliverySecret, 200},
		{"unsigned", "/a", "", 401},
		{"signed with another secret", "/a", "wrong-secret-0123456789", 401},
		{"the other path's secret", "/b", deliverySecret, 401},
		{"per-path secret", "/b", "other-secret-for-b-0123", 200},
	}
	for i, tt := range tests {
		if status, body := post(t, srv, tt.path, legacyDelivery(fmt.Sprint("e", i)), tt.secret, ""); status != tt.status {
			t.Errorf("%s: POST %s = %d %q, want %d", tt.name, tt.path, status, body, tt.status)
		}
	}
	if n := handled.Load(); n != 2 {
		t.Errorf("handled %d events, want the 2 signed ones", n)
	}
	if s := h.Stats(); s.Refused != 3 {
		t.Errorf("the Handler's Stats count %d refused signatures, want 3", s.Refused)
	}
	if status, _ := get(t, srv, "/a"); status != http.StatusMethodNotAllowed {
		t.Errorf("GET of a delivery path = %d, want 405", status)
	}
	if status, body := get(t, srv, "/elsewhere"); status != 200 || body != "app" {
		t.Errorf("other paths go to the app: %d %q", status, body)
	}
	if rt.Stats().UnsignedDeliveries != 0 || strings.Contains(logs.String(), "unsigned deliveries") {
		t.Errorf("verified paths counted or warned as unsigned: %+v %s", rt.Stats(), logs.String())
	}
	if strings.Contains(logs.String(), deliverySecret) {
		t.Errorf("the log holds the secret: %s", logs.String())
	}
}

func TestRuntimeUnsignedDeliveries(t *testing.T) {
	t.Parallel()
	h, handled := counting()
	var logs syncBuffer
	rt, err := NewRuntime(testManifest(t, "/a", "/b"), nil, WithDeliveries(h), WithUnsignedDeliveries(),
		WithWebhookSettings("/b", WebhookSettings{Secret: deliverySecret}),
		WithLifecycleLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	for i := range 3 {
		if status, body := post(t, srv, "/a", legacyDelivery(fmt.Sprint("u", i)), "", ""); status != 200 {
			t.Errorf("unsigned delivery %d = %d %q", i, status, body)
		}
	}
	if status, _ := post(t, srv, "/b", legacyDelivery("b1"), "", ""); status != 401 {
		t.Errorf("unsigned delivery to a path with a secret = %d, want 401", status)
	}
	if n := handled.Load(); n != 3 {
		t.Errorf("handled %d, want 3", n)
	}
	if got := rt.Stats().UnsignedDeliveries; got != 3 {
		t.Errorf("UnsignedDeliveries = %d, want 3", got)
	}
	if n := strings.Count(logs.String(), "accepting unsigned deliveries"); n != 1 || !strings.Contains(logs.String(), "paths=[/a]") {
		t.Errorf("want one warning naming /a, got %d: %s", n, logs.String())
	}
}

// TestRuntimeDeliveriesInstallation checks that a delivery's handler finds
// its installation in its context, and that the state API is asked only
// after the signature passed.
func TestRuntimeDeliveriesInstallation(t *testing.T) {
	t.Parallel()
	var fetches atomic.Int32
	state := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		key := strings.TrimPrefix(r.URL.Path, "/state/")
		if key != "inst-1" && key != "inst-2" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"socotraApiUrl": "https://api.sandbox.socotra.example", "tenantHostName": key + ".example",
			"token": "tok-" + key, "settings": map[string]any{}, "mappings": []any{}})
	}))
	t.Cleanup(state.Close)
	market, err := NewMarketplace(state.URL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	h := webhooks.NewHandler(webhooks.WithFallback(func(ctx context.Context, ev *webhooks.Event) error {
		in, ok := InstallationFrom(ctx)
		if !ok {
			return fmt.Errorf("no installation for %s", ev.ID)
		}
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, ev.ID+"@"+in.State().TenantHostName)
		return nil
	}))
	rt, err := NewRuntime(testManifest(t, "/a"), nil, WithDeliveries(h), WithMarketplace(market),
		WithDefaultSettings(WebhookSettings{Secret: deliverySecret}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	if status, _ := post(t, srv, "/a", legacyDelivery("x0"), "", "inst-1"); status != 401 || fetches.Load() != 0 {
		t.Errorf("unsigned delivery = %d after %d state fetches; want 401 before any", status, fetches.Load())
	}
	tests := []struct {
		id, key string
		status  int
	}{
		{"e1", "inst-1", 200}, {"e2", "inst-2", 200}, {"e3", "inst-1", 200},
		{"e4", "", 400}, {"e5", "gone", 503},
	}
	for _, tt := range tests {
		if status, body := post(t, srv, "/a", legacyDelivery(tt.id), deliverySecret, tt.key); status != tt.status {
			t.Errorf("delivery %s with key %q = %d %q, want %d", tt.id, tt.key, status, body, tt.status)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(seen, " "); got != "e1@inst-1.example e2@inst-2.example e3@inst-1.example" {
		t.Errorf("handlers saw %q", got)
	}
	if n := fetches.Load(); n != 3 {
		t.Errorf("%d state fetches, want 3 (inst-1 cached, inst-2, gone)", n)
	}
}
