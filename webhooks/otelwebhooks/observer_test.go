package otelwebhooks_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/otelwebhooks"
)

var secret = []byte("otel-secret-0123456789")

const (
	quote = `{"locator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQP","timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.issue","data":{}}`
	made  = `{"locator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQM","timestamp":"2026-11-23T18:04:05Z","type":"policy.made.up","data":{}}`
	fnol  = `{"locator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQF","timestamp":"2026-11-23T18:04:05Z","type":"claim.fnol.create","data":{}}`
)

// setup returns a receiver observed by an otelwebhooks Observer recording into sr and reader. The
// function for policy.quote.issue starts a span of its own, named "user"; claim.fnol.create fails.
func setup(t *testing.T) (*httptest.Server, *tracetest.SpanRecorder, *sdkmetric.ManualReader) {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	h := webhooks.NewHandler(webhooks.WithObserver(otelwebhooks.NewObserver(
		otelwebhooks.WithTracerProvider(tp), otelwebhooks.WithMeterProvider(mp))))
	h.On("policy.quote.issue", func(ctx context.Context, ev *webhooks.Event) error {
		_, span := tp.Tracer("user").Start(ctx, "user")
		span.End()
		return nil
	})
	h.On("claim.*", func(ctx context.Context, ev *webhooks.Event) error { return errors.New("claims system down") })
	recv, err := webhooks.NewSecretReceiver(secret, h)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	return srv, sr, reader
}

func post(t *testing.T, srv *httptest.Server, body string, key []byte) int {
	t.Helper()
	r, err := hmac.NewSignedRequest(http.MethodPost, srv.URL+"/socotra", []byte(body), key)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(r.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSpans checks the span of a handled, a duplicate, a failed and a refused delivery.
func TestSpans(t *testing.T) {
	t.Parallel()
	srv, sr, _ := setup(t)
	tests := []struct {
		name, body string
		key        []byte
		status     int
		span       string
		want       map[attribute.Key]attribute.Value
		code       codes.Code
	}{
		{"handled", quote, secret, 200, "process policy.quote.issue", map[attribute.Key]attribute.Value{
			"socotra.event.type": attribute.StringValue("policy.quote.issue"), "socotra.platform": attribute.StringValue("core"),
			"socotra.webhooks.outcome": attribute.StringValue("handled"), "messaging.message.id": attribute.StringValue("01JD7Y3Q8Z5X2W9V4T6R1M0KQP"),
			"messaging.system": attribute.StringValue("socotra"), "messaging.operation.type": attribute.StringValue("process"),
			"http.request.method": attribute.StringValue("POST"), "url.path": attribute.StringValue("/socotra"),
			"http.response.status_code": attribute.IntValue(200)}, codes.Unset},
		{"duplicate", quote, secret, 200, "process policy.quote.issue", map[attribute.Key]attribute.Value{
			"socotra.webhooks.outcome": attribute.StringValue("duplicate")}, codes.Unset},
		{"failed", fnol, secret, 500, "process claim.fnol.create", map[attribute.Key]attribute.Value{
			"socotra.webhooks.outcome": attribute.StringValue("failed"), "error.type": attribute.StringValue("failed"),
			"http.response.status_code": attribute.IntValue(500)}, codes.Error},
		{"refused", quote, []byte("wrong"), 401, "process", map[attribute.Key]attribute.Value{
			"socotra.webhooks.outcome": attribute.StringValue("refused"), "http.response.status_code": attribute.IntValue(401)}, codes.Unset},
		{"unknown type", made, secret, 200, "process", map[attribute.Key]attribute.Value{
			"socotra.event.type": attribute.StringValue("policy.made.up"), "socotra.webhooks.outcome": attribute.StringValue("unmatched")}, codes.Unset},
	}
	for _, tt := range tests { // in order: the duplicate follows the handled delivery
		if status := post(t, srv, tt.body, tt.key); status != tt.status {
			t.Fatalf("%s: status %d, want %d", tt.name, status, tt.status)
		}
		var span sdktrace.ReadOnlySpan
		for _, s := range sr.Ended() {
			if s.SpanKind() == trace.SpanKindServer {
				span = s
			}
		}
		sr.Reset()
		if span == nil {
			t.Fatalf("%s: no server span", tt.name)
		}
		if span.Name() != tt.span || span.Status().Code != tt.code {
			t.Errorf("%s: span %q status %v, want %q %v", tt.name, span.Name(), span.Status().Code, tt.span, tt.code)
		}
		got := map[attribute.Key]attribute.Value{}
		for _, kv := range span.Attributes() {
			got[kv.Key] = kv.Value
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%s: attribute %s = %v, want %v", tt.name, k, got[k].String(), v.String())
			}
		}
		if tt.name == "refused" {
			if _, ok := got["socotra.event.type"]; ok {
				t.Errorf("refused: span has an event type, but nothing was decoded")
			}
		}
	}
}

// TestHandlerSpanIsChild checks that the span the user's function starts is a child of the delivery's.
func TestHandlerSpanIsChild(t *testing.T) {
	t.Parallel()
	srv, sr, _ := setup(t)
	if status := post(t, srv, quote, secret); status != 200 {
		t.Fatalf("status %d", status)
	}
	var server, user sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		switch s.Name() {
		case "user":
			user = s
		case "process policy.quote.issue":
			server = s
		}
	}
	if server == nil || user == nil {
		t.Fatalf("spans %v; want the delivery's and the user's", sr.Ended())
	}
	if user.Parent().SpanID() != server.SpanContext().SpanID() || user.SpanContext().TraceID() != server.SpanContext().TraceID() {
		t.Errorf("user span's parent %v, want the delivery span %v", user.Parent().SpanID(), server.SpanContext().SpanID())
	}
}

// TestMetrics checks the metric points after a handled, a duplicate, a failed and a refused delivery.
func TestMetrics(t *testing.T) {
	t.Parallel()
	srv, _, reader := setup(t)
	for _, d := range []struct {
		body string
		key  []byte
	}{{quote, secret}, {quote, secret}, {fnol, secret}, {quote, []byte("wrong")}, {made, secret}} {
		post(t, srv, d.body, d.key)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]map[string]int64{} // metric -> "type/outcome" -> value
	counts := map[string]uint64{}         // "type/outcome" -> histogram count
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelwebhooks.ScopeName {
			t.Errorf("scope %q, want %q", sm.Scope.Name, otelwebhooks.ScopeName)
		}
		for _, m := range sm.Metrics {
			switch data := m.Data.(type) {
			case metricdata.Sum[int64]:
				sums[m.Name] = map[string]int64{}
				for _, p := range data.DataPoints {
					sums[m.Name][key(p.Attributes)] += p.Value
				}
			case metricdata.Histogram[float64]:
				if m.Name != otelwebhooks.DurationMetric || m.Unit != "s" {
					t.Errorf("histogram %s in %q", m.Name, m.Unit)
				}
				for _, p := range data.DataPoints {
					counts[key(p.Attributes)] += p.Count
				}
			}
		}
	}
	wantDeliveries := map[string]int64{
		"policy.quote.issue/handled": 1, "policy.quote.issue/duplicate": 1, "claim.fnol.create/failed": 1, "/refused": 1,
		"_OTHER/unmatched": 1}
	if got := sums[otelwebhooks.DeliveriesMetric]; !maps.Equal(got, wantDeliveries) {
		t.Errorf("deliveries %v, want %v", got, wantDeliveries)
	}
	if got, want := sums[otelwebhooks.DedupeHitsMetric], map[string]int64{"policy.quote.issue/": 1}; !maps.Equal(got, want) {
		t.Errorf("dedupe hits %v, want %v", got, want)
	}
	for k, v := range wantDeliveries {
		if counts[k] != uint64(v) {
			t.Errorf("duration points for %s: %d, want %d", k, counts[k], v)
		}
	}
}

func key(s attribute.Set) string {
	t, _ := s.Value(otelwebhooks.EventTypeKey)
	o, _ := s.Value(otelwebhooks.OutcomeKey)
	return t.AsString() + "/" + o.AsString()
}

// TestHandleSpan checks the span of an event handled outside HTTP, as a backfill does: no HTTP attributes.
func TestHandleSpan(t *testing.T) {
	t.Parallel()
	sr := tracetest.NewSpanRecorder()
	h := webhooks.NewHandler(webhooks.WithObserver(otelwebhooks.NewObserver(
		otelwebhooks.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))))))
	h.On("*", func(context.Context, *webhooks.Event) error { return nil })
	ev, err := webhooks.Parse([]byte(quote))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	ended := sr.Ended()
	if len(ended) != 1 || ended[0].Name() != "process policy.quote.issue" {
		t.Fatalf("spans %v, want one named process policy.quote.issue", ended)
	}
	for _, kv := range ended[0].Attributes() {
		if strings.HasPrefix(string(kv.Key), "http.") || kv.Key == "url.path" {
			t.Errorf("attribute %s on a delivery that did not come over HTTP", kv.Key)
		}
	}
}

// TestWithEventTypes checks that a listed custom type counts under its own name and an unlisted one as
// _OTHER.
func TestWithEventTypes(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	h := webhooks.NewHandler(webhooks.WithObserver(otelwebhooks.NewObserver(
		otelwebhooks.WithMeterProvider(mp), otelwebhooks.WithEventTypes("acme.custom.event"))))
	h.On("*", func(context.Context, *webhooks.Event) error { return nil })
	for i, typ := range []string{"acme.custom.event", "acme.other.event"} {
		ev := &webhooks.Event{ID: fmt.Sprint("e", i), Type: events.Name(typ)}
		if err := h.Handle(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == otelwebhooks.DeliveriesMetric {
				for _, p := range sum.DataPoints {
					got[key(p.Attributes)] += p.Value
				}
			}
		}
	}
	if want := map[string]int64{"acme.custom.event/handled": 1, "_OTHER/handled": 1}; !maps.Equal(got, want) {
		t.Errorf("deliveries %v, want %v", got, want)
	}
}
