package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/webhooks"
)

// newApp returns the app's whole HTTP handler: the Marketplace runtime endpoints (/health, /_app/start,
// /_app/stop) and, at the manifest's webhook path, the delivery endpoint. A delivery is verified first,
// then the installation it belongs to is looked up from its x-smp-key, then it is deduplicated and routed.
// opts are added to the runtime's options (the demonstration allows its loopback public URL).
func newApp(m *manifest.Manifest, market *socotra.Marketplace, secret []byte, out io.Writer, log *slog.Logger, opts ...manifest.Option) (http.Handler, error) {
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }

	h := webhooks.NewHandler(webhooks.WithLogger(log),
		webhooks.WithFallback(func(_ context.Context, ev *webhooks.Event) error {
			say("  app: received %s %s", ev.Type, ev.Data)
			return nil
		}))
	err := webhooks.HandleData(h, events.PolicyQuoteIssue,
		func(ctx context.Context, ev *webhooks.Event, q *events.QuoteData) error {
			// Extra details from the tenant, with the client built from this installation's state.
			related, err := tenant(ctx).EventsForRequest(ctx, ev.RequestID)
			if err != nil {
				return fmt.Errorf("quote %s: events of its request: %w", q.QuoteLocator, err) // 500: Socotra retries
			}
			names := make([]string, len(related))
			for i, r := range related {
				names[i] = string(r.Type)
			}
			say("  app: quote %s issued; asked the tenant what else its API request did: %s", q.QuoteLocator, strings.Join(names, ", "))
			return nil
		})
	if err != nil {
		return nil, err
	}

	v, err := hmac.NewVerifier(secret, hmac.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	mux := http.NewServeMux()
	for _, wh := range m.Socotra.Webhooks {
		mux.Handle("POST "+wh.Path, v.Middleware(withInstallation(market, h, log)))
	}
	return manifest.NewRuntime(m, mux, append([]manifest.Option{
		manifest.WithLogger(log),
		manifest.OnStart(func(_ context.Context, publicURL string) error {
			say("  app: started by the platform (public URL received)")
			return nil
		}),
		manifest.OnStop(func(context.Context, string) error {
			say("  app: stopped by the platform")
			return nil
		})}, opts...)...)
}

type tenantKey struct{}

// tenant returns the Core client of the installation the delivery came from (see withInstallation).
func tenant(ctx context.Context) *socotra.CoreClient {
	return ctx.Value(tenantKey{}).(*socotra.CoreClient)
}

// withInstallation builds the Core client of the request's installation from its x-smp-key and passes
// it on in the request's context. A request without the key did not come through the Marketplace
// platform and gets 400; when the state API cannot answer, the delivery gets 503 so Socotra retries.
func withInstallation(market *socotra.Marketplace, next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := market.CoreClient(r.Context(), r)
		switch {
		case errors.Is(err, socotra.ErrNoSMPKey):
			http.Error(w, "missing x-smp-key: deliveries reach this app through the Marketplace platform", http.StatusBadRequest)
			return
		case err != nil:
			log.ErrorContext(r.Context(), "installation state unavailable", "error", err)
			http.Error(w, "installation state unavailable; try again", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, c)))
	})
}
