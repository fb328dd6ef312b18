package socotra

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/socotra-go/sdk/manifest"
)

const testControlSecret = "control-secret-0123456789abcdef"

// authGet sends a GET to srv with the test control secret.
func authGet(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	return getWith(t, srv, path, "Bearer "+testControlSecret)
}

func getWith(t *testing.T, srv *httptest.Server, path, authorization string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRuntimeSelfHostedControlClosed is the regression test for an
// anonymous GET /_app/start?route=https://attacker/… re-registering every
// webhook at the attacker's URL, and /_app/stop deleting them.
func TestRuntimeSelfHostedControlClosed(t *testing.T) {
	t.Parallel()
	reg := newMem()
	m := testManifest(t, "/a", "/b")
	var logs syncBuffer
	rt, err := NewRuntime(m, nil, WithRegistrar(reg), WithLifecycleLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Start(t.Context(), "https://app.example"); err != nil {
		t.Fatal(err)
	}
	before := state(t, reg, "")
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	for _, path := range []string{startPath("https://attacker.example/steal"), "/_app/stop"} {
		if status, body := getWith(t, srv, path, "Bearer anything"); status != http.StatusNotFound {
			t.Errorf("GET %s without an authenticator = %d %q, want 404", path, status, body)
		}
	}
	after := state(t, reg, "")
	if strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("registrations changed by unauthenticated calls:\nbefore %q\nafter  %q", before, after)
	}
	if !strings.Contains(logs.String(), "not served") || !strings.Contains(logs.String(), "WithControlSecret") {
		t.Errorf("NewRuntime did not log why the control endpoints are off: %s", logs.String())
	}
	if got := rt.Stats().ControlRefused; got != 2 {
		t.Errorf("ControlRefused = %d, want 2", got)
	}
}

func TestRuntimeControlAuth(t *testing.T) {
	t.Parallel()
	reg := newMem()
	var logs syncBuffer
	rt, err := NewRuntime(testManifest(t, "/a"), nil, WithRegistrar(reg),
		WithControlSecret(testControlSecret), WithPublicURL("https://app.example/"),
		WithLifecycleLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	tests := []struct {
		name, path, auth string
		status           int
	}{
		{"no credential", startPath("https://app.example"), "", 401},
		{"wrong secret", startPath("https://app.example"), "Bearer " + strings.Repeat("x", len(testControlSecret)), 401},
		{"secret with a suffix", startPath("https://app.example"), "Bearer " + testControlSecret + "x", 401},
		{"secret without Bearer", startPath("https://app.example"), testControlSecret, 401},
		{"stop without credential", "/_app/stop", "", 401},
		{"authenticated, another URL", startPath("https://attacker.example"), "Bearer " + testControlSecret, 400},
		{"authenticated, userinfo", startPath("https://user:pw@app.example"), "Bearer " + testControlSecret, 400},
		{"authenticated, http", startPath("http://app.example"), "Bearer " + testControlSecret, 400},
	}
	for _, tt := range tests {
		status, body := getWith(t, srv, tt.path, tt.auth)
		if status != tt.status {
			t.Errorf("%s: GET %s = %d %q, want %d", tt.name, tt.path, status, body, tt.status)
		}
		if strings.Contains(body, testControlSecret) || strings.Contains(body, "pw") {
			t.Errorf("%s: the answer repeats a credential: %q", tt.name, body)
		}
	}
	if got := state(t, reg, ""); len(got) != 0 {
		t.Fatalf("refused calls registered %q", got)
	}
	if strings.Contains(logs.String(), testControlSecret) {
		t.Errorf("the log holds the control secret: %s", logs.String())
	}
	if status, body := authGet(t, srv, startPath("https://APP.example:443/")); status != 200 {
		t.Fatalf("authenticated start at the public URL = %d %q", status, body)
	}
	if got := state(t, reg, ""); len(got) != 1 || !strings.Contains(got[0], " https://app.example/a ") {
		t.Errorf("registered %q, want the configured public URL", got)
	}
	if got := rt.Stats().ControlRefused; got != int64(len(tests)) {
		t.Errorf("ControlRefused = %d, want %d", got, len(tests))
	}
	if s := fmt.Sprintf("%v %+v %#v", rt, rt, rt); strings.Contains(s, testControlSecret) {
		t.Error("formatting the Runtime prints the control secret")
	}
}

func TestRuntimeControlAuthFunc(t *testing.T) {
	t.Parallel()
	var seen []string
	var mu sync.Mutex
	rt, err := NewRuntime(testManifest(t, "/a"), nil,
		WithControlAuth(func(r *http.Request) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, r.URL.Path)
			if r.Header.Get("X-Caller") != "ops" {
				return errors.New("caller is not ops: token=hunter2")
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	status, body := get(t, srv, startPath("https://app.example"))
	if status != 401 || strings.Contains(body, "hunter2") {
		t.Errorf("refused start = %d %q, want 401 without the authenticator's error", status, body)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/_app/stop", nil)
	req.Header.Set("X-Caller", "ops")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("accepted stop = %d", resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, ",") != "/_app/start,/_app/stop" {
		t.Errorf("authenticator saw %q", seen)
	}
}

// TestRuntimeRoutesChecked checks that in Marketplace mode the start hook
// never sees a route that is not a public https URL.
func TestRuntimeRoutesChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		route string
		want  string // the URL the hook gets; "" when refused with 400
	}{
		{"https://abc.outpost.example", "https://abc.outpost.example"},
		{"abc.outpost.example/", "https://abc.outpost.example"},
		{"HTTPS://Abc.Outpost.Example:443/base/", "https://abc.outpost.example/base"},
		{"https://abc.outpost.example:8443", "https://abc.outpost.example:8443"},
		{"https://203.0.113.7", "https://203.0.113.7"},
		{"https://user:secret@abc.outpost.example", ""},
		{"https://user@abc.outpost.example", ""},
		{"https://abc.outpost.example@169.254.169.254", ""},
		{"http://abc.outpost.example", ""},
		{"https://169.254.169.254/latest/meta-data", ""},
		{"169.254.169.254", ""},
		{"https://[fe80::1]", ""},
		{"https://[::ffff:169.254.169.254]", ""},
		{"https://[fd00::1]", ""},
		{"https://10.0.0.8", ""},
		{"https://100.100.100.200", ""},
		{"https://[64:ff9b::a9fe:a9fe]", ""},
		{"https://[2002:a9fe:a9fe::1]", ""},
		{"https://240.0.0.1", ""},
		{"https://192.168.1.1", ""},
		{"https://127.0.0.1", ""},
		{"https://[::1]", ""},
		{"https://0.0.0.0", ""},
		{"https://localhost", ""},
		{"https://app.localhost", ""},
		{"https://metadata", ""},
		{"https://metadata.google.internal", ""},
		{"https://printer.local", ""},
		{"https://2852039166", ""},
		{"https://0xa9fea9fe", ""},
		{"https://0251.0376.0251.0376", ""},
		{"https://abc.outpost.example/?next=x", ""},
		{"https://abc.outpost.example/#x", ""},
		{"https://abc%2eoutpost.example", ""},
		{"https://abc.outpost.example\\@evil.example", ""},
		{"ftp://abc.outpost.example", ""},
		{"https:///path", ""},
	}
	var mu sync.Mutex
	var got []string
	rt, err := NewRuntime(testManifest(t, "/a"), nil,
		OnStart(func(_ context.Context, u string) error {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, u)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	for _, tt := range tests {
		mu.Lock()
		got = nil
		mu.Unlock()
		status, body := get(t, srv, startPath(tt.route))
		mu.Lock()
		hooked := strings.Join(got, ",")
		mu.Unlock()
		switch {
		case tt.want == "" && (status != 400 || hooked != ""):
			t.Errorf("route %q = %d %q, hook got %q; want 400 and no hook call", tt.route, status, body, hooked)
		case tt.want != "" && (status != 200 || hooked != tt.want):
			t.Errorf("route %q = %d %q, hook got %q; want 200 and %q", tt.route, status, body, hooked, tt.want)
		}
		if strings.Contains(body, "secret") {
			t.Errorf("route %q: the answer repeats the userinfo: %q", tt.route, body)
		}
	}
}

func TestRuntimeMarketplacePublicURL(t *testing.T) {
	t.Parallel()
	var stopURL string
	rt, err := NewRuntime(testManifest(t, "/a"), nil, WithPublicURL("https://mine.example"),
		OnStop(func(_ context.Context, u string) error { stopURL = u; return nil }))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	if status, body := get(t, srv, startPath("https://other.example")); status != 400 || !strings.Contains(body, "WithPublicURL") {
		t.Errorf("start at another URL = %d %q, want 400", status, body)
	}
	if status, body := get(t, srv, "/_app/stop?route="+url.QueryEscape("https://other.example")); status != 400 {
		t.Errorf("stop at another URL = %d %q, want 400", status, body)
	}
	if status, body := get(t, srv, startPath("https://mine.example")); status != 200 {
		t.Errorf("start at the public URL = %d %q", status, body)
	}
	if status, body := get(t, srv, "/_app/stop"); status != 200 || stopURL != "https://mine.example" {
		t.Errorf("stop = %d %q, hook got %q, want the started URL", status, body, stopURL)
	}
}

func TestRuntimeLoopbackRoutes(t *testing.T) {
	t.Parallel()
	reg := newMem()
	local := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(local.Close)
	rt, err := NewRuntime(testManifest(t, "/a"), nil, WithRegistrar(reg), WithControlSecret(testControlSecret),
		WithPublicURL(local.URL), WithInsecureLoopbackRoutes())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	if status, body := authGet(t, srv, startPath(local.URL)); status != 200 {
		t.Fatalf("loopback start with WithInsecureLoopbackRoutes = %d %q", status, body)
	}
	if status, body := authGet(t, srv, startPath("http://203.0.113.7")); status != 400 {
		t.Errorf("http to a public host = %d %q, want 400 even with WithInsecureLoopbackRoutes", status, body)
	}
	if _, err := NewRuntime(testManifest(t, "/a"), nil, WithRegistrar(reg), WithControlSecret(testControlSecret),
		WithPublicURL(local.URL)); err == nil || !strings.Contains(err.Error(), "WithPublicURL") {
		t.Errorf("loopback public URL without WithInsecureLoopbackRoutes: err = %v", err)
	}
}

func TestRuntimeControlOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []RuntimeOption
		want string
	}{
		{"short secret", []RuntimeOption{WithControlSecret("short")}, "at least 16 bytes"},
		{"two authenticators", []RuntimeOption{WithControlSecret(testControlSecret), WithControlAuth(func(*http.Request) error { return nil })}, "not both"},
		{"nil authenticator", []RuntimeOption{WithControlAuth(nil)}, "WithControlAuth(nil)"},
		{"self-hosted without public URL", []RuntimeOption{WithRegistrar(newMem()), WithControlSecret(testControlSecret)}, "needs WithPublicURL"},
		{"bad public URL", []RuntimeOption{WithPublicURL("https://user:pw@app.example")}, "userinfo"},
		{"metadata public URL", []RuntimeOption{WithPublicURL("https://169.254.169.254")}, "link-local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewRuntime(testManifest(t, "/a"), nil, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewRuntime = %v, want an error saying %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("the error repeats the userinfo: %v", err)
			}
		})
	}
}

// FuzzRoute checks that a route either is refused or comes back as a
// normalised https URL with a public host and no userinfo, query or
// fragment, and that normalising it again changes nothing.
func FuzzRoute(f *testing.F) {
	for _, s := range []string{"https://abc.outpost.example", "abc.outpost.example/", "https://user:pw@a.example",
		"https://169.254.169.254", "https://[::ffff:a9fe:a9fe]", "http://a.example", "https://a.example:443/x/",
		"https://a.example\\@b.example", "https://2852039166", "HTTPS://A.EXAMPLE", "https://a.example/%2e%2e/"} {
		f.Add(s)
	}
	c := newRuntimeConfig([]RuntimeOption(nil), RuntimeOption.applyRuntime)
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := c.normRoute(raw)
		if err != nil {
			// The userinfo message itself holds an '@'; only the route's own text counts.
			msg := strings.ReplaceAll(err.Error(), "(user:password@)", "")
			if strings.Contains(raw, "@") && strings.Contains(msg, raw) {
				t.Fatalf("the error repeats the route: %v", err)
			}
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("normRoute(%q) = %q, which does not parse: %v", raw, got, err)
		}
		if u.Scheme != "https" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Host == "" {
			t.Fatalf("normRoute(%q) = %q: not a plain https URL", raw, got)
		}
		if err := publicHost(u.Hostname()); err != nil {
			t.Fatalf("normRoute(%q) = %q with a host that is not public: %v", raw, got, err)
		}
		if again, err := c.normRoute(got); err != nil || again != got {
			t.Fatalf("normRoute(%q) = %q, but again = %q, %v", raw, got, again, err)
		}
	})
}

// TestSecretsNotPrinted checks no formatting of the settings, a Runtime or a
// Lifecycle shows a webhook secret or a header value.
func TestSecretsNotPrinted(t *testing.T) {
	t.Parallel()
	const hdr = "Bearer header-credential-42"
	s := WebhookSettings{Secret: deliverySecret, Tag: "v1", Headers: map[string][]string{"Authorization": {hdr}}}
	rt, err := NewRuntime(testManifest(t, "/a"), nil, WithDefaultSettings(s))
	if err != nil {
		t.Fatal(err)
	}
	lc, err := NewLifecycle(testManifest(t, "/a"), "https://app.example", newMem(), WithDefaultSettings(s))
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "settings", s, "runtime", rt, "lifecycle", lc, "list", []WebhookSettings{s})
	js, _ := json.Marshal(map[string]any{"s": s, "list": []WebhookSettings{s}})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s), fmt.Sprintf("%v", []WebhookSettings{s}),
		fmt.Sprintf("%+v", rt), fmt.Sprintf("%#v", rt), fmt.Sprintf("%v", lc), fmt.Sprintf("%#v", lc), logs.String(), string(js)} {
		if strings.Contains(out, deliverySecret) || strings.Contains(out, hdr) {
			t.Errorf("output shows a secret: %s", out)
		}
	}
	if !strings.Contains(fmt.Sprint(s), "Tag:v1") {
		t.Errorf("String lost the tag: %v", s)
	}
}

// TestRuntimeMarketplaceAuthenticate checks the Marketplace's own
// authenticator on the control endpoints: only calls with an x-smp-key the
// state API knows reach the hooks.
func TestRuntimeMarketplaceAuthenticate(t *testing.T) {
	t.Parallel()
	state := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/state/inst-1" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `{"socotraApiUrl": "https://api.sandbox.socotra.example", "token": "t", "settings": {}, "mappings": []}`)
	}))
	t.Cleanup(state.Close)
	market, err := NewMarketplace(state.URL)
	if err != nil {
		t.Fatal(err)
	}
	var started atomic.Int32
	m := testManifest(t, "/a")
	m.Socotra.Lifecycle = []manifest.LifecycleEvent{manifest.LifecycleStart}
	rt, err := NewRuntime(m, nil, WithControlAuth(market.Authenticate),
		OnStart(func(context.Context, string) error { started.Add(1); return nil }))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		key    string
		status int
	}{{"", 401}, {"guessed", 401}, {"inst-1", 200}} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+startPath("https://abc.outpost.example"), nil)
		if tt.key != "" {
			req.Header.Set(SMPKeyHeader, tt.key)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("start with key %q = %d, want %d", tt.key, resp.StatusCode, tt.status)
		}
	}
	if n := started.Load(); n != 1 {
		t.Errorf("the start hook ran %d times, want 1", n)
	}
}
