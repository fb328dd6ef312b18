package socotra

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socotra-go/sdk/manifest"
)

// get sends a GET to srv and returns the status and body.
func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	return do(t, srv, http.MethodGet, path)
}

func do(t *testing.T, srv *httptest.Server, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func startPath(publicURL string) string { return "/_app/start?route=" + url.QueryEscape(publicURL) }

func TestRuntimeRoutes(t *testing.T) {
	t.Parallel()
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app "+r.URL.Path) })
	var started atomic.Value
	rt, err := NewRuntime(testManifest(t, "/hooks"), app, OnStart(func(_ context.Context, u string) error {
		started.Store(u)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	tests := []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/health", 200, "ok\n"},
		{"HEAD", "/health", 200, ""},
		{"POST", "/health", 405, "method not allowed\n"},
		{"GET", "/hooks", 200, "app /hooks"},
		{"POST", "/hooks", 200, "app /hooks"},
		{"GET", "/_app/other", 404, "404 page not found\n"},
		{"GET", "/_app", 404, "404 page not found\n"},
		{"GET", "/_app/start", 400, "missing route: call /_app/start?route=<public URL>\n"},
		{"GET", startPath("ftp://files.example"), 400, "bad route: route must be an https URL\n"},
		{"GET", startPath("https://a.example/?x=1"), 400, "bad route: route must not have a query or fragment\n"},
		{"POST", startPath("https://a.example"), 405, "method not allowed\n"},
		{"HEAD", startPath("https://abc.outpost.example"), 405, ""},
		{"GET", startPath("https://abc.outpost.example"), 200, "started\n"},
		{"GET", "/_app/stop?route=x", 400, "bad route: route host is not a fully-qualified domain name\n"},
		{"GET", "/_app/stop?route=abc.outpost.example", 200, "stopped\n"},
	}
	for _, tt := range tests {
		status, body := do(t, srv, tt.method, tt.path)
		if status != tt.status || body != tt.body {
			t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.path, status, body, tt.status, tt.body)
		}
	}
	if u, _ := started.Load().(string); u != "https://abc.outpost.example" {
		t.Errorf("start hook got route %q", u)
	}
	for path, want := range map[string]string{"/health": "GET, HEAD", "/_app/stop": "GET"} {
		resp, err := srv.Client().Post(srv.URL+path, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Allow"); got != want {
			t.Errorf("POST %s: Allow = %q, want %q", path, got, want)
		}
	}
	// The platform may send the public host without a scheme.
	if status, body := get(t, srv, startPath("abc123.sandbox.outpost.example")); status != 200 {
		t.Errorf("start with a bare host = %d %q", status, body)
	}
	if u, _ := started.Load().(string); u != "https://abc123.sandbox.outpost.example" {
		t.Errorf("start hook got route %q for a bare host", u)
	}
}

func TestRuntimeMarketplaceMode(t *testing.T) {
	t.Parallel()
	rt, err := NewRuntime(testManifest(t, "/hooks"), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	if status, body := get(t, srv, startPath("https://abc.example")); status != 200 {
		t.Fatalf("start = %d %q", status, body)
	}
	if status, _ := get(t, srv, "/elsewhere"); status != 404 {
		t.Errorf("nil app handler answered %d, want 404", status)
	}
}

func TestRuntimeSelfHosted(t *testing.T) {
	t.Parallel()
	reg := newMem()
	var stopped atomic.Bool
	rt, err := NewRuntime(testManifest(t, "/a", "/b"), nil, WithRegistrar(reg), WithInstance("dev"),
		WithControlSecret(testControlSecret), WithPublicURL("https://tunnel.example/base"),
		OnStop(func(ctx context.Context, u string) error {
			stopped.Store(ctx.Err() == nil && u == "https://tunnel.example/base")
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	if status, body := authGet(t, srv, startPath("https://tunnel.example/base/")); status != 200 {
		t.Fatalf("start = %d %q", status, body)
	}
	got := state(t, reg, "acme-claims_dev_")
	if len(got) != 2 || !strings.Contains(got[0], " https://tunnel.example/base/a ") || !strings.Contains(got[1], " https://tunnel.example/base/b ") {
		t.Errorf("registered %q", got)
	}
	if status, body := authGet(t, srv, "/_app/stop"); status != 200 {
		t.Fatalf("stop = %d %q", status, body)
	}
	if got := state(t, reg, ""); len(got) != 0 {
		t.Errorf("after stop: %q", got)
	}
	if !stopped.Load() {
		t.Error("stop hook did not run with a live context and the started URL")
	}
}

// TestRuntimeStopAfterRestart checks a self-hosted Runtime removes the
// webhooks a previous process registered.
func TestRuntimeStopAfterRestart(t *testing.T) {
	t.Parallel()
	reg := newMem()
	m := testManifest(t, "/a", "/b")
	first, err := NewRuntime(m, nil, WithRegistrar(reg))
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(t.Context(), "https://app.example"); err != nil {
		t.Fatal(err)
	}
	second, err := NewRuntime(m, nil, WithRegistrar(reg), WithControlSecret(testControlSecret), WithPublicURL("https://app.example"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(second)
	t.Cleanup(srv.Close)
	if status, body := authGet(t, srv, "/_app/stop"); status != 200 {
		t.Fatalf("stop = %d %q", status, body)
	}
	if got := state(t, reg, ""); len(got) != 0 {
		t.Errorf("after stop in a new process: %q", got)
	}
}

func TestRuntimeStartFailures(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name   string
		opts   []RuntimeOption
		status int
		body   string
	}{
		{name: "hook error", opts: []RuntimeOption{OnStart(func(context.Context, string) error { return errors.New("no database") })},
			status: 500, body: "start failed; the app's log says why\n"},
		{name: "hook error, authenticated caller", opts: []RuntimeOption{WithControlSecret(testControlSecret),
			OnStart(func(context.Context, string) error { return errors.New("no database") })},
			status: 500, body: "start failed: socotra: start hook: no database\n"},
		{name: "registration error", opts: []RuntimeOption{WithRegistrar(&failNth{Registrar: newMem(), n: 1}),
			WithControlSecret(testControlSecret), WithPublicURL("https://a.example")},
			status: 500, body: "injected failure"},
		{name: "hook ignores its deadline", opts: []RuntimeOption{WithStartTimeout(100 * time.Millisecond),
			OnStart(func(context.Context, string) error { <-release; return nil })},
			status: 503, body: "start failed; the app's log says why\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt, err := NewRuntime(testManifest(t, "/a"), nil, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(rt)
			t.Cleanup(srv.Close)
			begin := time.Now()
			status, body := authGet(t, srv, startPath("https://a.example"))
			if status != tt.status || !strings.Contains(body, tt.body) {
				t.Errorf("start = %d %q, want %d %q", status, body, tt.status, tt.body)
			}
			if d := time.Since(begin); d > 10*time.Second {
				t.Errorf("start took %v", d)
			}
		})
	}
}

func TestRuntimeStopHookError(t *testing.T) {
	t.Parallel()
	rt, err := NewRuntime(testManifest(t, "/a"), nil, OnStop(func(context.Context, string) error { return errors.New("flush failed") }))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	if status, body := get(t, srv, "/_app/stop"); status != 500 || body != "stop failed; the app's log says why\n" {
		t.Errorf("stop = %d %q, want 500 without the hook's error: the caller is anonymous", status, body)
	}
}

func TestNewRuntimeInvalid(t *testing.T) {
	t.Parallel()
	m := testManifest(t, "/a")
	m.Socotra.Webhooks[0].Path = "/_app/a"
	if _, err := NewRuntime(m, nil); !errors.Is(err, ErrInvalidManifest) {
		t.Errorf("NewRuntime = %v, want ErrInvalidManifest", err)
	}
	warned := testManifest(t, "/a")
	warned.Socotra.Webhooks[0].Events[0] = "acme.custom"
	if _, err := NewRuntime(warned, nil); err != nil {
		t.Errorf("NewRuntime with warnings = %v", err)
	}
	if _, err := NewRuntime(warned, nil, WithStrictManifest()); !errors.Is(err, ErrInvalidManifest) {
		t.Errorf("NewRuntime with warnings and WithStrictManifest = %v, want ErrInvalidManifest", err)
	}
	// LifecycleOption mistakes fail here, not at the platform's first start call.
	valid := testManifest(t, "/a")
	_, err := NewRuntime(valid, nil, WithRegistrar(newMem()), WithInstance(""),
		WithWebhookSettings("/zz", WebhookSettings{}), WithStartTimeout(0))
	for _, want := range []string{"WithInstance needs a non-empty id", `WithWebhookSettings("/zz")`, "WithStartTimeout(0s)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewRuntime with bad options = %v, want it to say %q", err, want)
		}
	}
}

func TestListenAddr(t *testing.T) {
	tests := []struct {
		env, want, err string
		set            bool
	}{
		{set: false, want: ":8080"},
		{set: true, env: "", want: ":8080"},
		{set: true, env: "3000", want: ":3000"},
		{set: true, env: "0", err: `SMP_PORT="0" is not a port number`},
		{set: true, env: "70000", err: "is not a port number"},
		{set: true, env: "http", err: "is not a port number"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			if tt.set {
				t.Setenv(PortEnv, tt.env)
			} else {
				t.Setenv(PortEnv, "") // restored after the test
				os.Unsetenv(PortEnv)
			}
			got, err := ListenAddr(":8080")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("ListenAddr = %q, %v, want error %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ListenAddr = %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

// TestRuntimeWarnsUndeclaredHooks checks that a Marketplace-mode Runtime says
// at boot when a hook would never be called.
func TestRuntimeWarnsUndeclaredHooks(t *testing.T) {
	t.Parallel()
	hook := OnStart(func(context.Context, string) error { return nil })
	stop := OnStop(func(context.Context, string) error { return nil })
	tests := []struct {
		name      string
		lifecycle []manifest.LifecycleEvent
		opts      []RuntimeOption
		want      []string // substrings of the log; nil means no warning
	}{
		{"both declared", []manifest.LifecycleEvent{manifest.LifecycleStart, manifest.LifecycleStop}, []RuntimeOption{hook, stop}, nil},
		{"none declared", nil, []RuntimeOption{hook, stop}, []string{"OnStart hook will never run", "OnStop hook will never run", "GET /_app/start; add it"}},
		{"stop missing", []manifest.LifecycleEvent{manifest.LifecycleStart}, []RuntimeOption{hook, stop}, []string{"OnStop hook will never run"}},
		{"no hooks", nil, nil, nil},
		{"self-hosted", nil, []RuntimeOption{hook, WithRegistrar(newMem())}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := testManifest(t, "/a")
			m.Socotra.Lifecycle = tt.lifecycle
			var logs syncBuffer
			opts := append([]RuntimeOption{WithLifecycleLogger(slog.New(slog.NewTextHandler(&logs, nil)))}, tt.opts...)
			if _, err := NewRuntime(m, nil, opts...); err != nil {
				t.Fatal(err)
			}
			got := logs.String()
			if tt.want == nil && strings.Contains(got, "will never run") {
				t.Errorf("unexpected warning: %s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("log %q does not say %q", got, w)
				}
			}
			if tt.name == "stop missing" && strings.Contains(got, "OnStart hook") {
				t.Errorf("warned about a declared hook: %s", got)
			}
		})
	}
}
