package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/examples/internal/demo"
	"github.com/socotra-go/sdk/examples/internal/golden"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// TestDemo runs the program without SMP_PORT and compares its output with testdata/output.golden.
func TestDemo(t *testing.T) {
	t.Parallel()
	demoRun := func(ctx context.Context, w io.Writer) error { return run(ctx, w, env(nil), net.Listen) }
	golden.Run(t, "testdata/output.golden", demoRun,
		"asked the tenant what else its API request did: policy.quote.price, policy.quote.issue",
		"socotra: delivered policy.quote.issue -> 200",
		"without x-smp-key -> 400 Bad Request",
		"0 left on the tenant")
}

// TestManifest checks the shipped socotra-app.json with the checker's strict rules, and with the
// manifestcheck command itself unless -short.
func TestManifest(t *testing.T) {
	t.Parallel()
	m, err := manifest.Load(manifest.FileName)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ValidateStrict(); err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		return
	}
	out, err := exec.CommandContext(t.Context(), "go", "run", "../../manifest/cmd/manifestcheck", "-strict", manifest.FileName).CombinedOutput()
	if err != nil {
		t.Fatalf("manifestcheck -strict %s: %v\n%s", manifest.FileName, err, out)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"SMP_PORT": "http"}, `SMP_PORT="http" is not a port number`},
		{map[string]string{"SMP_PORT": "70000"}, `SMP_PORT="70000" is not a port number`},
		{map[string]string{"SMP_PORT": "8080"}, "SOCOTRA_WEBHOOK_SECRET is not set"},
		{map[string]string{"SMP_PORT": "8080", UnsignedEnv: "yes"}, "SOCOTRA_UNSIGNED_DELIVERIES=true to accept unsigned deliveries"},
		{map[string]string{"SMP_PORT": "8080", SecretEnv: "s", UnsignedEnv: "true"}, "are both set"},
		{map[string]string{"SMP_PORT": "8080", SecretEnv: "s"}, "SMP_STATE_API"},
		{map[string]string{"SMP_PORT": "8080", UnsignedEnv: "true"}, "SMP_STATE_API"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			err := run(t.Context(), &bytes.Buffer{}, env(tt.vars), net.Listen)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestMarketplaceMode runs the app as the Marketplace would, on SMP_PORT, in both modes, and sends it
// the platform's requests.
func TestMarketplaceMode(t *testing.T) {
	t.Parallel()
	t.Run("signed", func(t *testing.T) { t.Parallel(); testMarketplaceMode(t, false) })
	t.Run("unsigned", func(t *testing.T) { t.Parallel(); testMarketplaceMode(t, true) })
}

func testMarketplaceMode(t *testing.T, unsigned bool) {
	tenant := socotratest.NewServer()
	t.Cleanup(tenant.Close)
	state := socotratest.NewStateAPI()
	t.Cleanup(state.Close)
	state.Install("key-1", tenant, "t.example", map[string]string{"tenantLocator": tenant.TenantLocator()})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	// The app gets the listener the test holds, so no other process can take the port in between; the
	// address it asks for must still be the one SMP_PORT names.
	listen := func(network, addr string) (net.Listener, error) {
		if want := ":" + strconv.Itoa(port); network != "tcp" || addr != want {
			ln.Close()
			return nil, fmt.Errorf("listen(%q, %q), want tcp %q from SMP_PORT", network, addr, want)
		}
		return ln, nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		vars := map[string]string{"SMP_PORT": strconv.Itoa(port), "SMP_STATE_API": state.URL(), SecretEnv: "the-secret"}
		if unsigned {
			vars = map[string]string{"SMP_PORT": strconv.Itoa(port), "SMP_STATE_API": state.URL(), UnsignedEnv: "true"}
		}
		done <- run(ctx, &demo.SyncWriter{W: &logs}, env(vars), listen)
	}()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	waitHealthy(t, base, done)

	em, err := tenant.Emit(t.Context(), events.Core, socotratest.Event{Type: events.PolicyQuoteIssue, Data: map[string]string{"quoteLocator": "Q1"}, RequestID: "01JREQ0000000000000000000R"})
	if err != nil {
		t.Fatal(err)
	}
	type delivery struct {
		name, key, secret string
		want              int
	}
	deliveries := []delivery{
		{"verified, known installation", "key-1", "the-secret", 200},
		{"wrong secret", "key-1", "guess", 401},
		{"no x-smp-key", "", "the-secret", 400},
		{"state API does not know the key", "key-2", "the-secret", 503},
	}
	if unsigned {
		deliveries = []delivery{
			{"unsigned, known installation", "key-1", "", 200},
			{"no x-smp-key", "", "", 400},
			{"state API does not know the key", "key-2", "", 503},
		}
	}
	for _, tt := range deliveries {
		req, err := http.NewRequest(http.MethodPost, base+"/socotra/events", bytes.NewReader(em.Body))
		if tt.secret != "" {
			req, err = hmac.NewSignedRequest(http.MethodPost, base+"/socotra/events", em.Body, []byte(tt.secret))
		}
		if err != nil {
			t.Fatal(err)
		}
		if tt.key != "" {
			req.Header.Set(socotra.SMPKeyHeader, tt.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	for path, want := range map[string]int{"/_app/start?route=https%3A%2F%2Fabc.example.com": 200, "/_app/stop": 200, "/_app/other": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: status %d, want %d", path, resp.StatusCode, want)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
	for _, want := range []string{`"msg":"listening"`, "app: quote Q1 issued; asked the tenant what else its API request did: policy.quote.issue\n"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, logs.String())
		}
	}
	if warned := strings.Count(logs.String(), "accepting unsigned deliveries"); warned != map[bool]int{false: 0, true: 1}[unsigned] {
		t.Errorf("unsigned=%v: %d warnings about unsigned deliveries:\n%s", unsigned, warned, logs.String())
	}
}

func waitHealthy(t *testing.T, base string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the app did not answer GET /health within 30s")
}
