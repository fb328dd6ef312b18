// Quickstart is the SDK end to end in one program that needs no account, no network and no setup:
//
//	go run ./examples/quickstart
//
// It starts the fake Socotra tenant of package socotratest in this process, reads the manifest embedded
// below (socotra-app.json), and starts a receiver on 127.0.0.1 that checks the Socotra-Signature of every
// delivery, runs each event once and routes it by name. A socotra.Lifecycle then registers the receiver
// on the tenant, as the Marketplace does when it starts an app. The tenant emits a few Core events: one for
// a typed handler, two for a pattern, one delivered twice, one no handler routes; and a forged
// request goes straight to the receiver. Every outcome is printed on its own line. At the end the lifecycle
// unregisters the webhook and the program exits 0.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/examples/internal/demo"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

//go:embed socotra-app.json
var appManifest []byte

// hookPath is the manifest's webhook path, where the receiver listens.
const hookPath = "/hooks/socotra"

func main() { demo.Main("quickstart", run) }

// run is the whole program; it writes one line per outcome to stdout.
func run(ctx context.Context, stdout io.Writer) error {
	out := &demo.SyncWriter{W: stdout} // handlers print from the receiver's goroutines
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }

	// 1. A fake Core tenant: the Socotra API and its delivery engine, on loopback.
	tenant := socotratest.NewServer()
	defer tenant.Close()
	say("fake Socotra tenant started in this process (Core API and webhook deliveries on 127.0.0.1)")

	// 2. The app's manifest, checked against its target platform: a name that platform never sends, or one
	// the SDK does not know, is a warning (manifestcheck -strict fails on it); this one has none.
	m, err := manifest.Parse(appManifest)
	if err != nil {
		return err
	}
	if err := m.Validate(); err != nil {
		return err
	}
	say("manifest %s %s is valid: %d webhook entry for %d events", m.Name, m.Version, len(m.Socotra.Webhooks), len(m.Socotra.Webhooks[0].Events))
	for _, p := range m.Warnings() {
		say("  warning at %s: %s", p.Path, strings.SplitN(p.Message, ";", 2)[0])
	}

	// 3. The receiver: verify the signature, then decode, dedupe and route. The secret would come from your
	// secret store; the SDK's log records (warnings and up) are printed to show why a request was refused.
	// The Handler's logger is the receiver's one logger: NewSecretReceiver's verifier logs through it too.
	secret := []byte("quickstart-secret-from-your-vault")
	log := slog.New(&sayHandler{out: out})
	h := webhooks.NewHandler(webhooks.WithLogger(log),
		webhooks.WithFallback(func(_ context.Context, ev *webhooks.Event) error {
			say("  no handler matches %s (known to the SDK: %t): the fallback acknowledges it with 200 so Socotra does not retry; data %s",
				ev.Type, ev.Type.Known(), ev.Data)
			return nil
		}))
	err = webhooks.HandleData(h, events.PolicyQuoteIssue,
		func(_ context.Context, ev *webhooks.Event, q *events.QuoteData) error {
			say("  typed handler for %s: quote %s issued (data decoded into %T)", ev.Type, q.QuoteLocator, q)
			return nil
		})
	if err != nil {
		return err
	}
	h.On("billing.invoice.*", func(_ context.Context, ev *webhooks.Event) error {
		say("  pattern handler \"billing.invoice.*\" got %s: %s", ev.Type, ev.Data)
		return nil
	})
	mux := http.NewServeMux()
	recv, err := webhooks.NewSecretReceiver(secret, h)
	if err != nil {
		return err
	}
	mux.Handle("POST "+hookPath, recv)
	base, shutdown, err := demo.Serve(mux)
	if err != nil {
		return err
	}
	defer shutdown()
	say("receiver listening at %s: verify Socotra-Signature -> decode -> dedupe on the event id -> route by name", hookPath)

	// 4. Register, as the Marketplace does on start: one signed webhook per manifest entry.
	client, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		return err
	}
	lc, err := socotra.NewLifecycle(m, base, client.Registrar(),
		socotra.WithDefaultSettings(socotra.WebhookSettings{Secret: string(secret)}))
	if err != nil {
		return err
	}
	if err := lc.Start(ctx); err != nil {
		return err
	}
	defer lc.Stop(context.WithoutCancel(ctx)) // a no-op after the Stop below; cleans up on early returns
	for _, r := range lc.Registrations() {
		say("registered webhook %q -> %s for %s, deliveries signed with HMAC-SHA256",
			r.Name, strings.TrimPrefix(r.URL, base), joinNames(r.Events))
	}

	// 5. Emit events and report what the tenant saw.
	emits := []struct {
		about string
		typ   events.Name
		data  any
		twice bool
	}{
		{"a known event with a typed handler", events.PolicyQuoteIssue, map[string]string{"quoteLocator": "Q-1001"}, false},
		{"two events for one pattern", events.BillingInvoiceGenerate, invoice("I-2001"), false},
		{"", events.BillingInvoiceSettle, invoice("I-2001"), false},
		{"one event delivered twice, as Socotra may do on a retry", events.BillingInvoiceSettle, invoice("I-2002"), true},
		{"an event no handler routes", events.PolicyQuoteAccept, map[string]string{"quoteLocator": "Q-1001"}, false},
	}
	for _, e := range emits {
		if e.about != "" {
			say("\n%s:", e.about)
		}
		if err := tenant.SetFaults(socotratest.Faults{Duplicate: boolRate(e.twice)}); err != nil {
			return err
		}
		before := h.Stats()
		say("emit %s", e.typ) // before EmitCore: the delivery may run before it returns
		em, err := tenant.EmitCore(ctx, e.typ, e.data)
		if err != nil {
			return err
		}
		if err := tenant.Flush(ctx); err != nil {
			return err
		}
		after := h.Stats()
		for i, d := range deliveriesOf(tenant, em.ID) {
			note := "signature verified, event handled"
			if i > 0 && after.Duplicates > before.Duplicates {
				note = "same event id: deduplicated, no handler ran"
			}
			say("  Socotra's delivery %d got %d %s (%s)", i+1, d.Status, http.StatusText(d.Status), note)
		}
	}

	// 6. A forged delivery: a well-formed body signed with the wrong secret, sent straight to the receiver.
	say("\na forged delivery signed with the wrong secret:")
	body := []byte(`{"locator":"01JDFORGED0000000000000000","timestamp":"2026-11-23T18:00:00Z","type":"policy.quote.issue","data":{"quoteLocator":"Q-EVIL"}}`)
	code, err := demo.PostSigned(ctx, base+hookPath, body, []byte("a guess"))
	if err != nil {
		return err
	}
	say("  refused with %d %s before any decoding or handler; the body says only that, the reason is logged", code, http.StatusText(code))

	st := h.Stats()
	say("\nreceiver totals: %d received, %d handled, %d duplicate, %d failed; %d unmatched went to the fallback",
		st.Received, st.Handled, st.Duplicates, st.Failures, st.Unmatched)

	// 7. Stop, as the Marketplace does when it stops an app: the webhooks are removed.
	if err := lc.Stop(ctx); err != nil {
		return err
	}
	left, err := client.Registrar().Registrations(ctx, lc.Prefix())
	if err != nil {
		return err
	}
	say("stopped: webhook unregistered, %d left on the tenant", len(left))
	return nil
}

// deliveriesOf returns the tenant's recorded deliveries of one event, oldest first.
func deliveriesOf(tenant *socotratest.Server, eventID string) []socotratest.Delivery {
	var ds []socotratest.Delivery
	for _, d := range tenant.Deliveries() {
		if d.EventID == eventID && !d.Alert {
			ds = append(ds, d)
		}
	}
	return ds
}

func joinNames(ns []events.Name) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

func boolRate(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// sayHandler prints the SDK's warnings and errors as "  sdk log: <message> reason=…", keeping only the
// attributes that explain an outcome, so that the output stays the same from run to run.
type sayHandler struct{ out io.Writer }

func (s *sayHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (s *sayHandler) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "  sdk log (%s): %s", strings.ToLower(r.Level.String()), r.Message)
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "status", "reason", "pattern", "suggestion", "error":
			fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
		}
		return true
	})
	b.WriteByte('\n')
	_, err := s.out.Write(b.Bytes())
	return err
}

func (s *sayHandler) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *sayHandler) WithGroup(string) slog.Handler      { return s }

// invoice is the data of a billing event: the invoice and the policies it concerns (at most five, with
// listCompleted false when there are more, as seed 002 says).
func invoice(locator string) map[string]any {
	return map[string]any{"invoiceLocator": locator, "policyLocators": events.LocatorPage{ListCompleted: true, Items: []string{"P-3001"}}}
}
