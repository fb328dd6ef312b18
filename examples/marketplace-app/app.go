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
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/webhooks"
)

// newApp returns the app's whole HTTP handler: a socotra.Runtime that answers /health, /_app/start and
// /_app/stop and serves the manifest's webhook path. There a delivery is verified with secret (or, when
// secret is empty, accepted unsigned because the app chose so), then the installation it belongs to is
// found from its x-smp-key and put into the handler's context, then it is deduplicated and routed. opts
// are added to the runtime's options (the demonstration allows its loopback public URL).
func newApp(m *manifest.Manifest, market *socotra.Marketplace, secret []byte, out io.Writer, log *slog.Logger, opts ...socotra.RuntimeOption) (http.Handler, error) {
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }

	h := webhooks.NewHandler(webhooks.WithLogger(log),
		webhooks.WithFallback(func(_ context.Context, ev *webhooks.Event) error {
			say("  app: received %s %s", ev.Type, ev.Data)
			return nil
		}))
	err := webhooks.HandleData(h, events.PolicyQuoteIssue,
		func(ctx context.Context, ev *webhooks.Event, q *events.QuoteData) error {
			// Extra details from the tenant, with the client built from this installation's state.
			in, ok := socotra.InstallationFrom(ctx)
			if !ok {
				return errors.New("no installation in the context") // cannot happen behind WithMarketplace
			}
			tenant, err := in.CoreClient(ctx)
			if err != nil {
				return fmt.Errorf("quote %s: %w", q.QuoteLocator, err) // 500: Socotra retries
			}
			related, err := tenant.EventsForRequest(ctx, ev.RequestID)
			if err != nil {
				return fmt.Errorf("quote %s: events of its request: %w", q.QuoteLocator, err)
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

	verify := socotra.WithUnsignedDeliveries() // chosen explicitly when there is no secret; logged and counted
	if len(secret) > 0 {
		verify = socotra.WithDefaultSettings(socotra.WebhookSettings{Secret: string(secret)})
	}
	return socotra.NewRuntime(m, nil, append([]socotra.RuntimeOption{
		socotra.WithLifecycleLogger(log),
		socotra.WithDeliveries(h),
		socotra.WithMarketplace(market),
		verify,
		socotra.OnStart(func(_ context.Context, publicURL string) error {
			say("  app: started by the platform (public URL received)")
			return nil
		}),
		socotra.OnStop(func(context.Context, string) error {
			say("  app: stopped by the platform")
			return nil
		})}, opts...)...)
}
