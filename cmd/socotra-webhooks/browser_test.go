package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
)

// requireChromiumEnv makes TestInspectorInBrowser fail instead of skipping when no Chromium is found
// (CI sets it after installing Debian's chromium).
const requireChromiumEnv = "SOCOTRA_WEBHOOKS_REQUIRE_CHROMIUM"

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(requireChromiumEnv) != "" {
		t.Fatalf("%s is set but no chromium is on PATH", requireChromiumEnv)
	}
	t.Skipf("no chromium on PATH (set %s to require it)", requireChromiumEnv)
	return ""
}

// TestInspectorInBrowser runs serve, makes a few deliveries (one webhook answers, one fails and is
// retried, diverted and suspended), loads the inspector page in headless Chromium and checks what the
// rendered page shows.
func TestInspectorInBrowser(t *testing.T) {
	t.Parallel()
	browser := chromium(t)
	s := startServe(t, "--retry-unit", "10ms")
	_, good := newStrictReceiver(t, "browser-secret")
	c := s.coreClient(t)
	ok, err := c.CreateWebhook(t.Context(), socotra.Webhook{
		Name: "good", Enabled: true, Events: []events.Name{events.PolicyQuoteIssue},
		Endpoint: socotra.Endpoint{URL: good.URL, HMAC: true, Secret: "browser-secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	must(t, []string{"SOCOTRA_API_URL=" + s.URL, "SOCOTRA_TENANT=" + s.TenantLocator, "SOCOTRA_TOKEN=" + s.CoreToken},
		"webhooks", "create", "--name", "flaky", "--url", "http://127.0.0.1:1/down", "--events", "policy.quote.issue",
		"--retries", "1", "--divert", "--suspend")
	for range 2 {
		must(t, []string{"SOCOTRA_TOKEN=" + s.CoreToken}, "trigger", "policy.quote.issue", "--tenant", s.URL)
	}
	var dom string
	waitFor(t, func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
			"--user-data-dir="+t.TempDir(), "--dump-dom", s.InspectorURL).Output()
		if err != nil {
			t.Fatalf("chromium: %v", err)
		}
		dom = string(out)
		// Two first attempts to good, and the flaky webhook's first attempt and retry; it is then
		// suspended, so the second event is not sent to it.
		return strings.Count(dom, `class="delivery"`) >= 4 && strings.Contains(dom, `id="diverted"`)
	})
	for _, want := range []string{
		ok.Locator, "flaky", "policy.quote.issue", "(retry)", `id="suspensions"`, "Resend", "Emit", "200",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page in Chromium does not show %q", want)
		}
	}
	if strings.Contains(dom, "browser-secret") {
		t.Error("the page shows a webhook secret")
	}
}
