package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func legacyEnv(s *socotratest.Server) []string {
	user, pass, host := s.LegacyCredentials()
	au, ap := s.LegacyAdminCredentials()
	return []string{"SOCOTRA_API_URL=" + s.URL(), "SOCOTRA_USERNAME=" + user, "SOCOTRA_PASSWORD=" + pass,
		"SOCOTRA_HOSTNAME=" + host, "SOCOTRA_ADMIN_USERNAME=" + au, "SOCOTRA_ADMIN_PASSWORD=" + ap}
}

// must runs the command and fails the test unless it exits 0.
func must(t *testing.T, env []string, args ...string) string {
	t.Helper()
	r := runBin(t, env, args...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func TestWebhooksCoreRoundTrip(t *testing.T) {
	t.Parallel()
	s := socotratest.NewServer(socotratest.WithRetryUnit(time.Millisecond))
	t.Cleanup(s.Close)
	env := coreEnv(s)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	t.Cleanup(down.Close)

	var created webhookOut
	out := must(t, env, "webhooks", "create", "--name", "local", "--url", down.URL, "--events", "policy.quote.issue",
		"--secret", "top-secret-value", "--header", "X-Api-Key: k1", "--divert", "--suspend", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.ID == "" {
		t.Fatalf("create --json printed %q: %v", out, err)
	}
	if strings.Contains(out, "top-secret-value") || strings.Contains(out, "k1") {
		t.Errorf("create printed a secret: %s", out)
	}
	if out := must(t, env, "webhooks", "list"); !strings.Contains(out, created.ID) || !strings.Contains(out, "policy.quote.issue") {
		t.Errorf("list:\n%s", out)
	}
	if out := must(t, env, "webhooks", "get", created.ID); strings.Contains(out, "top-secret-value") {
		t.Errorf("get printed the secret without --show-secrets:\n%s", out)
	}
	if out := must(t, env, "webhooks", "get", created.ID, "--show-secrets"); !strings.Contains(out, "top-secret-value") {
		t.Errorf("get --show-secrets did not print the secret:\n%s", out)
	}
	var updated webhookOut
	out = must(t, env, "webhooks", "update", created.ID, "--add-events", "billing.invoice.generate", "--json")
	if err := json.Unmarshal([]byte(out), &updated); err != nil || len(updated.Events) != 2 {
		t.Errorf("update --json: %s (%v)", out, err)
	}

	// A delivery that fails is diverted (the default failure handling) and the webhook suspended.
	em, err := s.EmitCore(t.Context(), events.PolicyQuoteIssue, sampleData(events.PolicyQuoteIssue, events.Core))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if out := must(t, env, "diverted", "list", created.ID); !strings.Contains(out, em.ID) {
		t.Fatalf("diverted list:\n%s", out)
	}
	var d divertedOut
	if err := json.Unmarshal([]byte(must(t, env, "diverted", "get", created.ID, em.ID, "--json")), &d); err != nil || d.ID != em.ID {
		t.Errorf("diverted get --json: %+v (%v)", d, err)
	}
	suspended := false
	for _, w := range s.Webhooks() {
		suspended = suspended || (w.ID == created.ID && w.Suspended)
	}
	if !suspended {
		t.Error("the failing webhook created with --suspend was not suspended")
	}
	must(t, env, "webhooks", "unsuspend", created.ID)
	for _, w := range s.Webhooks() {
		if w.ID == created.ID && w.Suspended {
			t.Error("unsuspend left the webhook suspended")
		}
	}
	must(t, env, "diverted", "resend", created.ID, em.ID)
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	resent := false
	for _, del := range s.Deliveries() {
		resent = resent || (del.Resend && del.EventID == em.ID)
	}
	if !resent {
		t.Error("diverted resend did not resend")
	}
	// The resend failed too, so the event is diverted again: delete it.
	div := s.DivertedEvents(created.ID)
	if len(div) != 1 {
		t.Fatalf("%d diverted events after the failed resend, want 1", len(div))
	}
	must(t, env, "diverted", "delete", created.ID, div[0].Event.ID)
	if n := len(s.DivertedEvents(created.ID)); n != 0 {
		t.Errorf("%d diverted events left after delete", n)
	}
	must(t, env, "webhooks", "delete", created.ID)
	if out := must(t, env, "webhooks", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("list after delete: %s", out)
	}
	if r := runBin(t, env, "webhooks", "get", created.ID); r.code != 1 {
		t.Errorf("get of a deleted webhook: exit %d, want 1; %s", r.code, r.stderr)
	}
}

func TestWebhooksLegacyRoundTrip(t *testing.T) {
	t.Parallel()
	s := socotratest.NewServer()
	t.Cleanup(s.Close)
	env := legacyEnv(s)
	leg := []string{"--platform", "legacy"}
	must(t, env, append([]string{"webhooks", "create", "--name", "claims", "--url", "http://127.0.0.1:1/hook", "--events", "claim.create,claim.close"}, leg...)...)
	var list []webhookOut
	if err := json.Unmarshal([]byte(must(t, env, append([]string{"webhooks", "list", "--json"}, leg...)...)), &list); err != nil ||
		len(list) != 1 || list[0].ID != "claims" || !list[0].Enabled || len(list[0].Events) != 2 {
		t.Fatalf("list --json: %+v (%v)", list, err)
	}
	must(t, env, append([]string{"webhooks", "update", "claims", "--disable", "--remove-events", "claim.close"}, leg...)...)
	var got webhookOut
	if err := json.Unmarshal([]byte(must(t, env, append([]string{"webhooks", "get", "claims", "--json"}, leg...)...)), &got); err != nil ||
		got.Enabled || len(got.Events) != 1 || got.Events[0] != "claim.create" {
		t.Errorf("after update: %+v (%v)", got, err)
	}
	if out := must(t, env, append([]string{"diverted", "list", "claims"}, leg...)...); !strings.Contains(out, "no diverted events") {
		t.Errorf("diverted list: %s", out)
	}
	must(t, env, append([]string{"webhooks", "delete", "claims"}, leg...)...)
	if len(s.Webhooks()) != 0 {
		t.Errorf("webhooks left: %+v", s.Webhooks())
	}
}

func TestAdminUsage(t *testing.T) {
	t.Parallel()
	env := []string{"SOCOTRA_API_URL=http://127.0.0.1:1", "SOCOTRA_TENANT=6f1c2d3e-0a1b-4c5d-8e9f-001122334455", "SOCOTRA_TOKEN=k"}
	tests := []struct {
		args     []string
		contains string
	}{
		{[]string{"webhooks"}, "want a subcommand"},
		{[]string{"webhooks", "frob"}, "unknown subcommand"},
		{[]string{"webhooks", "get"}, "needs the webhook's ID"},
		{[]string{"webhooks", "create", "--url", "http://x"}, "needs --url and --events"},
		{[]string{"webhooks", "create", "--url", "http://x", "--events", "polcy.issue"}, "did you mean"},
		{[]string{"webhooks", "update", "W"}, "say what to change"},
		{[]string{"webhooks", "list", "--platform", "mars"}, "core or legacy"},
		{[]string{"diverted", "get", "W"}, "WEBHOOK and EVENT"},
		{[]string{"manifest", "register", "x.json"}, "--url"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runBin(t, env, tt.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.contains) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.contains)
			}
		})
	}
}

func TestManifestCheck(t *testing.T) {
	t.Parallel()
	const data = "../../manifest/testdata/"
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"manifest", "check", data + "valid/seed000-corrected.json"}, 0, ""},
		{[]string{"manifest", "check", data + "invalid/warnings.json"}, 0, "warning:"},
		{[]string{"manifest", "check", data + "invalid/warnings.json", "-strict"}, 1, "warning:"},
		{[]string{"manifest", "check", data + "syntax/seed000-example.json", "-format", "github"}, 1, "::error file="},
		{[]string{"manifest", "check", "-format", "xml", data + "valid/seed000-corrected.json"}, 2, "unknown -format"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[2:], " "), func(t *testing.T) {
			t.Parallel()
			r := runBin(t, nil, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.contains) {
				t.Errorf("exit %d (want %d), output:\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestManifestRegister(t *testing.T) {
	t.Parallel()
	s := socotratest.NewServer()
	t.Cleanup(s.Close)
	file := filepath.Join(t.TempDir(), "socotra-app.json")
	doc := `{"name": "acme/claims-sync", "version": "1.0.0", "targetPlatform": "EnterpriseCore",
  "socotra": {"webhooks": [{"path": "/hooks/quotes", "events": ["policy.quote.issue"]}]}}`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	const secret = "register-secret-0123456789"
	for _, signed := range []bool{true, false} {
		env := coreEnv(s)
		if signed {
			env = append(env, "SOCOTRA_WEBHOOK_SECRET="+secret)
		}
		r := runBin(t, env, "manifest", "register", file, "--url", "https://claims.example.com")
		if r.code != 0 {
			t.Fatalf("signed=%v: exit %d\n%s%s", signed, r.code, r.stdout, r.stderr)
		}
		hooks := s.Webhooks()
		if len(hooks) != 1 || hooks[0].URL != "https://claims.example.com/hooks/quotes" || hooks[0].Platform != events.Core {
			t.Fatalf("after register: %+v\n%s", hooks, r.stdout)
		}
		if !strings.Contains(r.stdout, "registered 1 webhook(s)") {
			t.Errorf("register printed:\n%s", r.stdout)
		}
		if signed && (!hooks[0].HMAC || hooks[0].Secret != secret) || !signed && hooks[0].HMAC {
			t.Errorf("signed=%v: registered with HMAC %v", signed, hooks[0].HMAC)
		}
		if warned := strings.Contains(r.stderr, "registering unsigned webhooks"); warned == signed {
			t.Errorf("signed=%v: stderr %q", signed, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("the secret was printed:\n%s%s", r.stdout, r.stderr)
		}
		must(t, coreEnv(s), "manifest", "unregister", file, "--url", "https://claims.example.com")
		if n := len(s.Webhooks()); n != 0 {
			t.Errorf("%d webhooks left after unregister", n)
		}
	}
}

func TestEventList(t *testing.T) {
	t.Parallel()
	got, err := eventList([]string{"policy.quote.*", "billing.invoice.generate"}, events.Core)
	if err != nil || slices.Contains(got, events.PolicyQuoteQuoted) || !slices.Contains(got, events.PolicyQuoteIssue) ||
		!slices.Contains(got, events.BillingInvoiceGenerate) {
		t.Errorf("Core policy.quote.*: %v, %v", got, err)
	}
	if _, err := eventList([]string{"policy.create"}, events.Core); err == nil || !strings.Contains(err.Error(), "never fire") {
		t.Errorf("a Legacy-only name on Core: %v", err)
	}
	if got, err := eventList([]string{"claim.*"}, events.Legacy); err != nil || !slices.Contains(got, events.ClaimCreate) || slices.Contains(got, events.ClaimFnolCreate) {
		t.Errorf("Legacy claim.*: %v, %v", got, err)
	}
}
