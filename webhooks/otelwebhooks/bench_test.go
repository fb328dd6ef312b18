package otelwebhooks_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/otelwebhooks"
)

// stack returns a receiver whose Handler has no dedupe (so every delivery runs its function) and opts.
func stack(b *testing.B, opts ...webhooks.Option) http.Handler {
	h := webhooks.NewHandler(append([]webhooks.Option{webhooks.WithDeduper(nil)}, opts...)...)
	h.On("*", func(context.Context, *webhooks.Event) error { return nil })
	recv, err := webhooks.NewSecretReceiver(secret, h)
	if err != nil {
		b.Fatal(err)
	}
	return recv
}

var sig = hmac.Sign(secret, []byte(quote))

func deliver(h http.Handler) {
	r := httptest.NewRequest(http.MethodPost, "/socotra", bytes.NewReader([]byte(quote)))
	r.Header.Set(hmac.HeaderName, sig)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		panic(w.Code)
	}
}

// BenchmarkObserver measures one delivery through the receiver without an Observer, with otelwebhooks
// on the SDK's providers (spans recorded and handed to a processor that drops them, so that a growing
// store of ended spans does not weigh on the result; metrics to a manual reader), and reports the
// observed delivery's time as a ratio of the unobserved one, measured interleaved in the same run.
func BenchmarkObserver(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(dropSpans{}))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	bare := stack(b)
	observed := stack(b, webhooks.WithObserver(otelwebhooks.NewObserver(
		otelwebhooks.WithTracerProvider(tp), otelwebhooks.WithMeterProvider(mp))))
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			deliver(bare)
		}
	})
	b.Run("otel", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			deliver(observed)
		}
	})
	b.Run("ratio", func(b *testing.B) {
		var base, obs time.Duration
		for b.Loop() {
			t0 := time.Now()
			deliver(bare)
			t1 := time.Now()
			deliver(observed)
			base, obs = base+t1.Sub(t0), obs+time.Since(t1)
		}
		b.ReportMetric(float64(obs)/float64(base), "x-bare")
	})
}

// dropSpans is a span processor that receives every ended span, as an exporter's would, and keeps none.
type dropSpans struct{}

func (dropSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (dropSpans) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (dropSpans) Shutdown(context.Context) error                  { return nil }
func (dropSpans) ForceFlush(context.Context) error                { return nil }
