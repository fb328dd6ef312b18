// Legacy receives webhooks from a Legacy (Connected Core) tenant: the same receive-and-register flow as
// the quickstart, on the other platform.
//
//	go run ./examples/legacy
//
// It needs no account or network: the fake tenant of package socotratest plays the Legacy tenant on
// 127.0.0.1. On Legacy, a webhook does not hold a URL: it names an External Service Integration, which
// holds the URL, the headers and the security specification (HMAC secret, tag). The platform accepts a
// security specification for https URLs only, so the receiver here serves TLS with a self-signed
// certificate the fake tenant trusts; with an http URL the deliveries would not be signed.
//
// A socotra.Lifecycle, given the Legacy client's Registrar, creates the integration and the webhook
// (logging in with the user and administrator credentials, and renewing the tokens as they expire),
// and removes both on stop. Legacy deliveries carry an id, an epoch-millisecond timestamp, a
// transactionId and a username; the receiver turns them into the same webhooks.Event as Core ones.
// Typed data (webhooks.HandleData) describes Core events only, so Legacy handlers decode Event.Data
// themselves.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/examples/internal/demo"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

//go:embed socotra-app.json
var appManifest []byte

func main() { demo.Main("legacy", run) }

// policyData is the part of a Legacy policy event's data this program reads.
type policyData struct {
	PolicyLocator string `json:"policyLocator"`
	ProductName   string `json:"productName"`
}

func run(ctx context.Context, stdout io.Writer) error {
	out := &demo.SyncWriter{W: stdout}
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	log := slog.New(slog.DiscardHandler)

	m, err := manifest.Parse(appManifest)
	if err != nil {
		return err
	}
	say("manifest %s targets %s", m.Name, m.Platform())

	// The receiver, on TLS so that the integration may carry a secret.
	h := webhooks.NewHandler(webhooks.WithLogger(log))
	h.On("policy.*", func(_ context.Context, ev *webhooks.Event) error {
		var p policyData
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			return fmt.Errorf("%s %s: %w", ev.Type, ev.ID, err) // 500: Socotra retries
		}
		say("  handler \"policy.*\": %s for policy %s (%s) by %s at %s, transaction %s",
			ev.Type, p.PolicyLocator, p.ProductName, ev.User, ev.Time.Format(time.RFC3339), ev.RequestID)
		return nil
	})
	h.On("claim.create", func(_ context.Context, ev *webhooks.Event) error {
		say("  handler \"claim.create\": %s platform, data %s", ev.Platform, ev.Data)
		return nil
	})
	secret := []byte("legacy-secret-from-your-vault")
	recv, err := webhooks.NewSecretReceiver(secret, h)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+m.Socotra.Webhooks[0].Path, recv)
	srv := httptest.NewUnstartedServer(mux)
	demo.Limit(srv.Config)
	srv.StartTLS()
	defer srv.Close()

	// The fake Legacy tenant trusts the receiver's certificate; its clock is fixed so times repeat.
	tenant := socotratest.NewServer(
		socotratest.WithHTTPClient(srv.Client()),
		socotratest.WithClock(socotratest.NewFakeClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))))
	defer tenant.Close()
	user, password, host := tenant.LegacyCredentials()
	admin, adminPassword := tenant.LegacyAdminCredentials()
	client, err := socotra.NewLegacyClient(tenant.URL(), socotra.LegacyCredentials{
		Username: user, Password: password, HostName: host,
		AdminUsername: admin, AdminPassword: adminPassword, // the integrations API needs an administrator
	})
	if err != nil {
		return err
	}

	lc, err := socotra.NewLifecycle(m, srv.URL, client.Registrar(),
		socotra.WithDefaultSettings(socotra.WebhookSettings{Secret: string(secret), Tag: "2026-11"}))
	if err != nil {
		return err
	}
	if err := lc.Start(ctx); err != nil {
		return err
	}
	defer lc.Stop(context.WithoutCancel(ctx))
	if err := describe(ctx, say, client, srv.URL); err != nil {
		return err
	}

	say("\nthe tenant emits Legacy events:")
	for _, e := range []socotratest.Event{
		{Type: events.PolicyCreate, Data: map[string]string{"policyLocator": "100000001", "productName": "homeowners"}, User: "alice", RequestID: "tx-1"},
		{Type: events.PolicyIssue, Data: map[string]string{"policyLocator": "100000001", "productName": "homeowners"}, User: "alice", RequestID: "tx-2"},
		{Type: events.ClaimCreate, Data: map[string]string{"claimLocator": "200000007"}, User: "bob", RequestID: "tx-3"},
		{Type: events.PolicyCancel, Data: map[string]string{"policyLocator": "100000001"}, User: "alice", RequestID: "tx-4"},
	} {
		em, err := tenant.Emit(ctx, events.Legacy, e)
		if err != nil {
			return err
		}
		if err := tenant.Flush(ctx); err != nil {
			return err
		}
		if len(em.Webhooks) == 0 {
			say("  %s: no webhook subscribes to it, nothing delivered", e.Type)
			continue
		}
		for _, d := range tenant.Deliveries() {
			if d.EventID == em.ID {
				say("  %s delivered, signed: %t -> %d", e.Type, d.Header.Get("Socotra-Signature") != "", d.Status)
			}
		}
	}

	if err := lc.Stop(ctx); err != nil {
		return err
	}
	hooks := 0
	for _, err := range client.Webhooks(ctx) {
		if err != nil {
			return err
		}
		hooks++
	}
	ints, err := client.Integrations(ctx)
	if err != nil {
		return err
	}
	say("\nstopped: %d webhooks and %d integrations left on the tenant", hooks, len(ints))
	return nil
}

// describe prints the integration and webhook the lifecycle created, read back through the Legacy API.
func describe(ctx context.Context, say func(string, ...any), c *socotra.LegacyClient, base string) error {
	ints, err := c.Integrations(ctx)
	if err != nil {
		return err
	}
	for _, in := range ints {
		sec := "none"
		if in.Security != nil {
			sec = fmt.Sprintf("hmac=%t tag=%s", in.Security.HMAC, in.Security.Tag)
		}
		say("integration %q (%s) -> %s, security: %s", in.Name, in.Type, strings.TrimPrefix(in.URL, base), sec)
	}
	for w, err := range c.Webhooks(ctx) {
		if err != nil {
			return err
		}
		say("webhook %q -> integration %q, enabled %t, events %v", w.Name, w.IntegrationName, w.Enabled, w.Events)
	}
	return nil
}
