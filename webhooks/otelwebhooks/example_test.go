package otelwebhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/otelwebhooks"
)

func ExampleNewObserver() {
	spans := tracetest.NewSpanRecorder() // in a service: an OTLP exporter behind a batch processor
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))

	h := webhooks.NewHandler(webhooks.WithObserver(otelwebhooks.NewObserver(
		otelwebhooks.WithTracerProvider(tp), otelwebhooks.WithMeterProvider(mp))))
	h.On("policy.*", func(ctx context.Context, ev *webhooks.Event) error {
		_, span := tp.Tracer("billing").Start(ctx, "bill the policy") // a child of the delivery's span
		defer span.End()
		return nil
	})
	secret := []byte("the webhook's secret")
	recv, err := webhooks.NewSecretReceiver(secret, h)
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(recv)
	defer srv.Close()

	body := []byte(`{"locator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQP","timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.issue"}`)
	req, _ := hmac.NewSignedRequest(http.MethodPost, srv.URL, body, secret)
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	for _, s := range spans.Ended() {
		fmt.Println(s.SpanKind(), s.Name())
	}
	// Output:
	// internal bill the policy
	// server process policy.quote.issue
}
