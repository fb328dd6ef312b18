// Marketplace-app is a complete Socotra Marketplace app that receives Core webhooks.
//
// In the Marketplace the platform runs it with SMP_PORT (the port to listen on) and SMP_STATE_API (where
// installation state is read), registers the webhooks of socotra-app.json itself when it starts the app,
// and calls GET /_app/start and /_app/stop because the manifest declares them in socotra.lifecycle. The
// app is one socotra.Runtime, which:
//
//   - answers GET /health, /_app/start and /_app/stop;
//   - at the manifest's webhook path, checks each delivery (see the two modes below), reads the
//     installation's state with the request's x-smp-key (socotra.Marketplace, cached per key), puts the
//     installation into the handler's context (socotra.InstallationFrom), and routes the event to its
//     handlers, running each event once;
//   - lets a handler fetch more details from the tenant with the installation's Core client: here,
//     every event raised by the API request that issued a quote.
//
// The Core client needs the tenant's locator, which the published installation state does not carry
// (socotraApiUrl, tenantHostName, token, settings, mappings): socotra.Installation.CoreClient looks for
// it in the token's claims and then in a "tenantLocator" setting, which the demonstration uses.
//
// Two modes of checking deliveries. Socotra has not published whether the webhooks the Marketplace
// registers are signed, nor how an app would learn their secret:
//
//   - signed (SOCOTRA_WEBHOOK_SECRET set): every delivery must carry a valid Socotra-Signature made
//     with that secret, or it is refused with 401 before any state is read;
//   - unsigned (SOCOTRA_UNSIGNED_DELIVERIES=true, and no secret): deliveries are accepted without a
//     signature, by the app's explicit choice; the runtime logs a warning at start and counts them
//     (Runtime.Stats). Anyone who can reach the app can then post events it handles as Socotra's.
//
// With neither set the app refuses to start.
//
// With no SMP_PORT it runs a demonstration on 127.0.0.1 with no account, network or environment:
//
//	go run ./examples/marketplace-app
//
// The fake tenant of package socotratest plays Socotra, and the demonstration plays the Marketplace
// platform: a state API, the public host that forwards requests to the app with the x-smp-key header,
// the start call, the webhook registration, then (once Socotra has delivered a few events) the stop
// call and the removal of the webhooks.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/examples/internal/demo"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

//go:embed socotra-app.json
var appManifest []byte

// SecretEnv names the environment variable holding the webhook secret in the Marketplace.
const SecretEnv = "SOCOTRA_WEBHOOK_SECRET"

// UnsignedEnv names the environment variable that, set to "true" with no secret, makes the app accept
// unsigned deliveries.
const UnsignedEnv = "SOCOTRA_UNSIGNED_DELIVERIES"

func main() {
	demo.Main("marketplace-app", func(ctx context.Context, stdout io.Writer) error { return run(ctx, stdout, os.Getenv, net.Listen) })
}

// run serves the app until ctx ends when SMP_PORT is set, and runs the demonstration otherwise. listen
// opens the port (net.Listen; a test passes the listener it already holds, so no other process can take
// the port first).
func run(ctx context.Context, stdout io.Writer, getenv func(string) string, listen func(network, addr string) (net.Listener, error)) error {
	m, err := manifest.Parse(appManifest)
	if err != nil {
		return err
	}
	if getenv(socotra.PortEnv) == "" {
		return runDemo(ctx, &demo.SyncWriter{W: stdout}, m)
	}
	port, err := strconv.Atoi(getenv(socotra.PortEnv))
	if err != nil || port < 1 || port > 65535 {
		return fmt.Errorf("%s=%q is not a port number from 1 to 65535", socotra.PortEnv, getenv(socotra.PortEnv))
	}
	secret := getenv(SecretEnv)
	switch unsigned := getenv(UnsignedEnv); {
	case secret != "" && unsigned != "":
		return fmt.Errorf("%s and %s are both set: choose one; with a secret every delivery is verified", SecretEnv, UnsignedEnv)
	case secret == "" && unsigned != "true":
		return fmt.Errorf("%s is not set: set it to the secret the webhooks are signed with, or set %s=true to accept unsigned deliveries by choice", SecretEnv, UnsignedEnv)
	}
	market, err := socotra.NewMarketplace(getenv("SMP_STATE_API")) // "" is an error that names SMP_STATE_API
	if err != nil {
		return err
	}
	out := &demo.SyncWriter{W: stdout}
	log := slog.New(slog.NewJSONHandler(out, nil))
	app, err := newApp(m, market, []byte(secret), out, log)
	if err != nil {
		return err
	}
	// Time and header limits before a request is authenticated (package webhooks, "Serving").
	srv := &http.Server{
		Addr:              ":" + strconv.Itoa(port),
		Handler:           app,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := listen("tcp", srv.Addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", srv.Addr, "app", m.Name, "version", m.Version)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runDemo plays Socotra (the fake tenant) and the Marketplace platform around the app.
func runDemo(ctx context.Context, out io.Writer, m *manifest.Manifest) error {
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	log := slog.New(slog.DiscardHandler)

	tenant := socotratest.NewServer()
	defer tenant.Close()

	// The platform's state API, holding one installation of the app on the fake tenant, with the members
	// Socotra publishes; the installer entered the tenant's locator in the app's "tenantLocator" setting.
	const key = "demo-installation"
	const hostName = "demo.co.sandbox.socotra.com"
	state := socotratest.NewStateAPI()
	defer state.Close()
	state.Install(key, tenant, hostName, map[string]string{"tenantLocator": tenant.TenantLocator()})
	say("platform: state API holds installation %q for tenant %s", key, hostName)

	// The app, as the platform would run it: the demo passes what SMP_STATE_API and SOCOTRA_WEBHOOK_SECRET
	// would hold.
	secret := []byte("marketplace-demo-secret")
	market, err := socotra.NewMarketplace(state.URL())
	if err != nil {
		return err
	}
	// The demonstration's public host is on 127.0.0.1, which a real start call's route may not name.
	app, err := newApp(m, market, secret, out, log, socotra.WithInsecureLoopbackRoutes())
	if err != nil {
		return err
	}
	appURL, stop, err := demo.Serve(app)
	if err != nil {
		return err
	}
	defer stop()

	// The app's public host: the platform forwards every request and adds the installation's key.
	target, _ := url.Parse(appURL)
	public, stop, err := demo.Serve(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Header.Set(socotra.SMPKeyHeader, key)
	}})
	if err != nil {
		return err
	}
	defer stop()

	for _, path := range []string{"/health", "/_app/start?route=" + url.QueryEscape(public)} {
		status, err := get(ctx, public+path)
		if err != nil {
			return err
		}
		say("platform: GET %s -> %s", strings.SplitN(path, "?", 2)[0], status)
	}

	// The platform registers the manifest's webhooks at the public URL.
	client, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		return err
	}
	lc, err := socotra.NewLifecycle(m, public, client.Registrar(),
		socotra.WithDefaultSettings(socotra.WebhookSettings{Secret: string(secret)}))
	if err != nil {
		return err
	}
	if err := lc.Start(ctx); err != nil {
		return err
	}
	defer lc.Stop(context.WithoutCancel(ctx))
	for _, r := range lc.Registrations() {
		say("platform: registered %s for %d events on the tenant", m.Socotra.Webhooks[0].Path, len(r.Events))
	}

	// Socotra delivers: one API request that prices and issues a quote, then an invoice settlement.
	say("socotra: one API request prices and issues quote Q-77; later an invoice is settled")
	const quoteRequest = "01JREQ0000000000000000Q077" // Core request locators are ULIDs
	for _, e := range []socotratest.Event{
		{Type: events.PolicyQuotePrice, Data: map[string]string{"quoteLocator": "Q-77"}, RequestID: quoteRequest},
		{Type: events.PolicyQuoteIssue, Data: map[string]string{"quoteLocator": "Q-77"}, RequestID: quoteRequest},
		{Type: events.BillingInvoiceSettle, Data: map[string]any{"invoiceLocator": "I-9",
			"policyLocators": events.LocatorPage{ListCompleted: true, Items: []string{"P-9"}}}},
	} {
		if _, err := tenant.Emit(ctx, events.Core, e); err != nil {
			return err
		}
		if err := tenant.Flush(ctx); err != nil {
			return err
		}
	}
	for _, d := range tenant.Deliveries() {
		say("socotra: delivered %s -> %d", d.EventType, d.Status)
	}

	// A correctly signed delivery that bypasses the platform has no installation, so it is refused.
	say("the app read the installation state %d time(s) for %d deliveries: the state is cached for a minute",
		state.Reads(), len(tenant.Deliveries()))
	body := tenant.Events(events.Core)[1].Body
	code, err := demo.PostSigned(ctx, appURL+m.Socotra.Webhooks[0].Path, body, secret)
	if err != nil {
		return err
	}
	say("a signed delivery sent to the app directly, without x-smp-key -> %d %s", code, http.StatusText(code))

	status, err := get(ctx, public+"/_app/stop")
	if err != nil {
		return err
	}
	say("platform: GET /_app/stop -> %s", status)
	if err := lc.Stop(ctx); err != nil {
		return err
	}
	say("platform: removed the webhooks; %d left on the tenant", len(tenant.Webhooks()))
	return nil
}

func get(ctx context.Context, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	return resp.Status, nil
}
