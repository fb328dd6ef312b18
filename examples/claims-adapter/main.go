// Claims-adapter is a Connected Core (Legacy) Marketplace app that passes Socotra claim events on to a
// third-party claims system whose webhook format cannot change: the case the Marketplace documentation
// (seed 000) describes as adapting incoming Socotra events for an external service. Seed 000's webhook
// events are Connected Core's, so the app targets ConnectedCore and receives Legacy deliveries
// ({id, timestamp in epoch milliseconds, transactionId, username, type, data}, seed 003).
//
//	go run ./examples/claims-adapter
//
// runs a demonstration with no account and no network: the fake Socotra tenant (playing a Connected Core
// tenant), the adapter and a fake claims system, all on 127.0.0.1, including outages of the claims system.
//
// # The claims system's format (seed 004)
//
// It receives a POST for each event with the event name in the body ("event_name") and in the
// Event-Name header, "source" ("ui" or "api"), "performed_by" ({user_id, name} for "ui", {name} for
// "api"), and the subject of the event under "claim" or "contact". Socotra does not say whether a person
// or an API call caused an event, so the adapter always sends "api" with performed_by.name set to
// "socotra user <username>". The subject object is Socotra's data object, plus "id" (data.claimLocator,
// else data.policyholderLocator, else data.locator) and "occurred_at" (the event time in RFC 3339).
// Which members a Legacy event's data carries is not published (seed 003 calls it EventStreamData): the
// id members are an assumption, and a delivery whose data has none of them fails, so Socotra keeps it.
//
// # Mapping
//
// Connected Core events (the claim.* and subClaim.* names of seed 000) on the left become claims-system
// events on the right:
//
//	Socotra event        claims system      subject
//	claim.create         claim.created      claim
//	claim.close          claim.closed       claim
//	claim.discard        claim.closed       claim
//	claim.open           claim.reopened     claim
//	subClaim.reopen      claim.reopened     claim
//	policyholder.create  contact.created    contact
//
// claim.discard becomes claim.closed because the claims system has no "discarded" state. Socotra has not
// published when claim.open is raised; the table assumes it is a claim going back to open after
// claim.close (a claim's first opening is claim.create). A sub-claim reopening reopens its claim, so
// subClaim.reopen is claim.reopened for the claim in data.claimLocator (an assumption: the data of
// subClaim events is not published). A policyholder is the claims system's contact.
//
// No equivalent in the claims system, so not subscribed in socotra-app.json (if one arrives anyway it is
// acknowledged and not forwarded): claim.update, subClaim.open, subClaim.update, subClaim.close,
// subClaim.updateReserve, subClaim.createPayable, subClaim.reversePayable, policyholder.update.
//
// No source in Socotra, so never sent: claim.label_added, claim.label_removed, claim.assigned,
// claim.unassigned, claim.switched_type.
//
// # Signed deliveries
//
// A Connected Core webhook posts to an External Service Integration, whose security specification (HMAC
// secret) the platform accepts for https URLs only (seed 003), so the adapter serves TLS here with a
// certificate the fake tenant trusts. Whether webhooks the Marketplace registers for an app are signed is
// not published; this program registers its webhook itself, as a self-hosted app would.
//
// # Nothing lost
//
// Each delivery is verified (Socotra-Signature), deduplicated on the event id, translated and forwarded.
// The adapter tries the claims system three times within one delivery (50 ms, then 100 ms apart). When
// the claims system is still down, or refuses the request, the handler returns an error and the delivery
// gets 500: the event is not marked as processed, and Socotra retries it (retryStrategy "three", as
// registered here) and then diverts it. Once the claims system is back, the diverted events are resent
// (LegacyClient.ResendDivertedEvent) and forwarded. Because Socotra delivers at least once, the claims
// system may see an event twice after a failure mid-way; every request carries the Socotra event id in
// an Idempotency-Key header for systems that can use it.
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
	"sync"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/examples/internal/demo"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

//go:embed socotra-app.json
var appManifest []byte

func main() { demo.Main("claims-adapter", run) }

// newReceiver returns the adapter's webhook endpoint: verify, dedupe, then forward every mapped event.
// Events without an equivalent go to the handler's fallback, which acknowledges them.
func newReceiver(secret []byte, fw *forwarder, log *slog.Logger) (http.Handler, *webhooks.Handler, error) {
	h := webhooks.NewHandler(webhooks.WithLogger(log))
	for _, n := range mapped() {
		h.On(string(n), fw.forward)
	}
	recv, err := webhooks.NewSecretReceiver(secret, h, hmac.WithLogger(log))
	return recv, h, err
}

// run is the demonstration: it prints one line per step and what the claims system received.
func run(ctx context.Context, stdout io.Writer) error {
	out := &demo.SyncWriter{W: stdout}
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	log := slog.New(slog.DiscardHandler)

	secret := []byte("claims-adapter-secret-from-your-vault")
	fw := &forwarder{client: &http.Client{Timeout: 5 * time.Second},
		attempts: 3, wait: 50 * time.Millisecond, budget: 20 * time.Second, log: log}
	recv, h, err := newReceiver(secret, fw, log)
	if err != nil {
		return err
	}
	m, err := manifest.Parse(appManifest)
	if err != nil {
		return err
	}

	// The adapter serves TLS, so that its integration may carry a secret (seed 003).
	mux := http.NewServeMux()
	mux.Handle("POST "+m.Socotra.Webhooks[0].Path, recv)
	app := httptest.NewUnstartedServer(mux)
	demo.Limit(app.Config)
	app.StartTLS()
	defer app.Close()

	// The fake tenant trusts the adapter's certificate and runs on a fake clock, so that Socotra's
	// retry backoff passes at once and event times are fixed.
	clock := socotratest.NewFakeClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	tenant := socotratest.NewServer(socotratest.WithClock(clock), socotratest.WithHTTPClient(app.Client()))
	defer tenant.Close()

	target := &claimsSystem{}
	targetURL, stopTarget, err := demo.Serve(target)
	if err != nil {
		return err
	}
	defer stopTarget()
	fw.url = targetURL + "/webhooks"

	user, password, host := tenant.LegacyCredentials()
	admin, adminPassword := tenant.LegacyAdminCredentials()
	client, err := socotra.NewLegacyClient(tenant.URL(), socotra.LegacyCredentials{
		Username: user, Password: password, HostName: host,
		AdminUsername: admin, AdminPassword: adminPassword, // the integrations API needs an administrator
	})
	if err != nil {
		return err
	}
	failure := &socotra.FailureHandling{
		Triggers: []string{"4xx", "5xx", "timeout"},
		Retry:    &socotra.RetryStrategy{Type: socotra.RetryExponential, Interval: 1, Attempts: 3},
		Divert:   true,
	}
	lc, err := socotra.NewLifecycle(m, app.URL, client.Registrar(), socotra.WithStrictManifest(),
		socotra.WithDefaultSettings(socotra.WebhookSettings{Secret: string(secret), Failure: failure}))
	if err != nil {
		return err
	}
	if err := lc.Start(ctx); err != nil {
		return err
	}
	defer lc.Stop(context.WithoutCancel(ctx))
	reg := lc.Registrations()[0]
	say("registered the adapter on %s for %d Socotra events; Socotra retries a failed delivery 3 times, then diverts it",
		m.Platform(), len(reg.Events))

	emit := func(typ events.Name, data string) error {
		_, err := tenant.Emit(ctx, events.Legacy, socotratest.Event{Type: typ, Data: json.RawMessage(data), User: "alice"})
		if err != nil {
			return err
		}
		return tenant.Flush(ctx)
	}

	say("\nthe claims system is up:")
	for _, e := range []struct {
		typ  events.Name
		data string
	}{
		{events.ClaimCreate, `{"claimLocator":"100000100","policyLocator":"100000007"}`},
		{events.PolicyholderCreate, `{"policyholderLocator":"100000300"}`},
		{events.ClaimClose, `{"claimLocator":"100000100"}`},
	} {
		if err := emit(e.typ, e.data); err != nil {
			return err
		}
		say("  %-20s -> %s", e.typ, target.last(false))
		if e.typ == events.ClaimCreate {
			say("    body: %s", target.last(true))
		}
	}

	say("\nthe claims system fails once (503):")
	target.failNext(1)
	if err := emit(events.ClaimOpen, `{"claimLocator":"100000100"}`); err != nil {
		return err
	}
	say("  claim.open           -> %s", target.last(false))
	say("  claims system answered %s; Socotra's deliveries got %s", target.statuses(2), statuses(tenant, 1))

	say("\nthe claims system fails 4 times, more than the adapter's 3 tries:")
	target.failNext(4)
	if err := emit(events.SubClaimReopen, `{"claimLocator":"100000100","subClaimLocator":"100000101"}`); err != nil {
		return err
	}
	say("  subClaim.reopen      -> %s", target.last(false))
	say("  claims system answered %s; Socotra's deliveries got %s (Socotra retried)", target.statuses(5), statuses(tenant, 2))

	say("\nthe claims system is down for longer than Socotra retries:")
	target.failNext(1 << 20)
	if err := emit(events.ClaimDiscard, `{"claimLocator":"100000200"}`); err != nil {
		return err
	}
	var diverted []socotra.DivertedEvent
	for d, err := range client.DivertedEvents(ctx, reg.Name) {
		if err != nil {
			return err
		}
		diverted = append(diverted, d)
	}
	say("  Socotra's deliveries got %s; %d event diverted, kept by Socotra", statuses(tenant, 4), len(diverted))
	target.failNext(0)
	for _, d := range diverted {
		if err := client.ResendDivertedEvent(ctx, reg.Name, d.RequestID); err != nil {
			return err
		}
	}
	if err := tenant.Flush(ctx); err != nil {
		return err
	}
	say("  claims system back up; resent the diverted event: claim.discard -> %s", target.last(false))

	st := h.Stats()
	say("\nnothing lost: %d Socotra events, %d forwarded; %d deliveries failed on the way and were retried",
		len(tenant.Events(events.Legacy)), target.accepted(), st.Failures)
	return lc.Stop(ctx)
}

// statuses lists the status codes of the tenant's last n deliveries, such as "500, 200".
func statuses(tenant *socotratest.Server, n int) string {
	ds := tenant.Deliveries()
	var s []string
	for _, d := range ds[max(0, len(ds)-n):] {
		s = append(s, fmt.Sprint(d.Status))
	}
	return strings.Join(s, ", ")
}

// claimsSystem is a fake of the third-party claims system: it records every request and answers 503
// while told to fail.
type claimsSystem struct {
	mu       sync.Mutex
	failures int      // requests still to fail
	codes    []int    // status of every request
	got      [][]byte // the body of every accepted request
}

func (c *claimsSystem) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures > 0 {
		c.failures--
		c.codes = append(c.codes, http.StatusServiceUnavailable)
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	var b struct {
		EventName string `json:"event_name"`
	}
	if r.Method != http.MethodPost || json.Unmarshal(body, &b) != nil || b.EventName == "" || b.EventName != r.Header.Get("Event-Name") {
		c.codes = append(c.codes, http.StatusBadRequest)
		http.Error(w, "not a claims-system webhook", http.StatusBadRequest)
		return
	}
	c.codes = append(c.codes, http.StatusOK)
	c.got = append(c.got, body)
}

func (c *claimsSystem) failNext(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures = n
}

// last describes the last accepted request, such as "claim.closed (claim C-100)", or its whole body.
func (c *claimsSystem) last(whole bool) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.got) == 0 {
		return "nothing received"
	}
	body := c.got[len(c.got)-1]
	if whole {
		return string(body)
	}
	var b map[string]any
	_ = json.Unmarshal(body, &b) // checked by ServeHTTP
	for _, key := range []string{"claim", "contact"} {
		if subject, ok := b[key].(map[string]any); ok {
			return fmt.Sprintf("%s (%s %v)", b["event_name"], key, subject["id"])
		}
	}
	return fmt.Sprint(b["event_name"])
}

// statuses lists the status codes of the last n requests.
func (c *claimsSystem) statuses(n int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s []string
	for _, code := range c.codes[max(0, len(c.codes)-n):] {
		s = append(s, fmt.Sprint(code))
	}
	return strings.Join(s, ", ")
}

func (c *claimsSystem) accepted() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got)
}
