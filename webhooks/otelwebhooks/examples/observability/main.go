// Command observability traces and measures webhook deliveries with OpenTelemetry: the fake tenant
// delivers a few signed events to a receiver observed by otelwebhooks; the spans and metrics are printed
// with the stdout exporters, and the same metrics are served in the Prometheus format on /metrics.
// Everything runs on loopback; run it from the otelwebhooks module:
//
//	cd webhooks/otelwebhooks && go run ./examples/observability
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/otelwebhooks"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "observability:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	// Traces: every span printed as JSON when it ends.
	spans, err := stdouttrace.New(stdouttrace.WithWriter(out), stdouttrace.WithPrettyPrint())
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer tp.Shutdown(context.WithoutCancel(ctx))

	// Metrics: printed once at shutdown, and served to Prometheus on /metrics.
	printed, err := stdoutmetric.New(stdoutmetric.WithWriter(out), stdoutmetric.WithPrettyPrint())
	if err != nil {
		return err
	}
	registry := prometheus.NewRegistry()
	scraped, err := otelprom.New(otelprom.WithRegisterer(registry))
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(printed)), sdkmetric.WithReader(scraped))

	// The receiver, observed.
	const secret = "observability-secret-0123456789"
	h := webhooks.NewHandler(webhooks.WithObserver(otelwebhooks.NewObserver(
		otelwebhooks.WithTracerProvider(tp), otelwebhooks.WithMeterProvider(mp))))
	h.On("policy.quote.*", func(ctx context.Context, ev *webhooks.Event) error {
		_, span := tp.Tracer("example").Start(ctx, "price the quote") // a child of the delivery's span
		defer span.End()
		return nil
	})
	h.On("claim.fnol.*", func(ctx context.Context, ev *webhooks.Event) error {
		return errors.New("claims system unavailable")
	})
	recv, err := webhooks.NewSecretReceiver([]byte(secret), h)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /socotra", recv)
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// The fake tenant delivers a quote (handled) and a first notice of loss (failed).
	tenant := socotratest.NewServer()
	defer tenant.Close()
	if _, err := tenant.AddCoreWebhook(srv.URL+"/socotra", secret, events.PolicyQuoteIssue, events.ClaimFnolCreate); err != nil {
		return err
	}
	if _, err := tenant.EmitCore(ctx, events.PolicyQuoteIssue, map[string]string{"quoteLocator": "Q1"}); err != nil {
		return err
	}
	if _, err := tenant.EmitCore(ctx, events.ClaimFnolCreate, map[string]string{"locator": "C1"}); err != nil {
		return err
	}
	if err := tenant.Flush(ctx); err != nil {
		return err
	}

	// What Prometheus would scrape.
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "--- GET /metrics (the SDK's series, buckets left out)")
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, "socotra_") || strings.HasPrefix(line, "messaging_process_duration_seconds_count") {
			fmt.Fprint(out, line)
		}
	}
	fmt.Fprintln(out, "--- metrics (stdout exporter)")
	return mp.Shutdown(context.WithoutCancel(ctx))
}
