package otelwebhooks

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/webhooks"
)

// ScopeName is the instrumentation scope of the tracer and the meter.
const ScopeName = "github.com/socotra-go/sdk/webhooks/otelwebhooks"

// The attributes this package sets besides the semantic conventions' own.
const (
	// EventTypeKey is the event type, such as "policy.quote.issue"; for an alert, the type of the event
	// it is about. Absent when the body was not decoded.
	EventTypeKey = attribute.Key("socotra.event.type")
	// PlatformKey is "core" or "legacy"; absent when the body was not decoded.
	PlatformKey = attribute.Key("socotra.platform")
	// OutcomeKey is the webhooks.Outcome of the delivery: handled, unmatched, duplicate, in_progress,
	// refused, failed, timed_out or alert.
	OutcomeKey = attribute.Key("socotra.webhooks.outcome")
)

// The metric names.
const (
	// DeliveriesMetric counts deliveries by EventTypeKey, OutcomeKey and, on failures, error.type (unit
	// {delivery}).
	DeliveriesMetric = "socotra.webhooks.deliveries"
	// DurationMetric is the semantic conventions' messaging.process.duration: how long a delivery took
	// from arrival to answer, in seconds, by EventTypeKey, OutcomeKey and error.type.
	DurationMetric = "messaging.process.duration"
	// DedupeHitsMetric counts deliveries of an event already processed or being processed (outcomes
	// duplicate and in_progress), by EventTypeKey (unit {delivery}).
	DedupeHitsMetric = "socotra.webhooks.dedupe.hits"
)

// messagingSystem is the value of messaging.system: Socotra is not in the conventions' list of systems.
const messagingSystem = "socotra"

// Option configures [NewObserver].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tp    trace.TracerProvider
	mp    metric.MeterProvider
	types map[events.Name]bool
}

// WithTracerProvider sets where spans go. Default: otel.GetTracerProvider() at the time NewObserver runs;
// nil keeps the default.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tp = tp
		}
	})
}

// WithMeterProvider sets where metrics go. Default: otel.GetMeterProvider() at the time NewObserver runs;
// nil keeps the default.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if mp != nil {
			c.mp = mp
		}
	})
}

// WithEventTypes names event types, besides those this SDK version knows, that metrics and span names
// show as they are: the tenant's and its plugins' own types (socotra-facts: the type set is open). Any
// other unknown type is "_OTHER" there. The default is none.
func WithEventTypes(types ...events.Name) Option {
	return optionFunc(func(c *config) {
		for _, t := range types {
			c.types[t] = true
		}
	})
}

// observer implements webhooks.Observer.
type observer struct {
	types      map[events.Name]bool // WithEventTypes
	tracer     trace.Tracer
	deliveries metric.Int64Counter
	duration   metric.Float64Histogram
	dedupeHits metric.Int64Counter
}

// NewObserver returns a webhooks.Observer that traces and measures every delivery (see the package
// documentation for the span and the metrics). Pass it to webhooks.WithObserver. A metric instrument the
// meter provider refuses is replaced by a no-op one, and the error is reported to otel.Handle.
func NewObserver(opts ...Option) webhooks.Observer {
	c := config{tp: otel.GetTracerProvider(), mp: otel.GetMeterProvider(), types: map[events.Name]bool{}}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	o := &observer{types: c.types, tracer: c.tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL))}
	meter := c.mp.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))
	var err error
	if o.deliveries, err = meter.Int64Counter(DeliveriesMetric, metric.WithUnit("{delivery}"),
		metric.WithDescription("Socotra webhook deliveries, by event type and outcome.")); err != nil {
		otel.Handle(err)
	}
	if o.duration, err = meter.Float64Histogram(DurationMetric, metric.WithUnit("s"),
		metric.WithDescription("Duration of processing a Socotra webhook delivery, from arrival to answer."),
		metric.WithExplicitBucketBoundaries(.005, .01, .025, .05, .075, .1, .25, .5, .75, 1, 2.5, 5, 7.5, 10, 30)); err != nil {
		otel.Handle(err)
	}
	if o.dedupeHits, err = meter.Int64Counter(DedupeHitsMetric, metric.WithUnit("{delivery}"),
		metric.WithDescription("Deliveries of a Socotra event already processed or being processed.")); err != nil {
		otel.Handle(err)
	}
	return o
}

// Start starts the delivery's server span, a child of any span already in ctx (an HTTP middleware's).
func (o *observer) Start(ctx context.Context, d *webhooks.DeliveryInfo) context.Context {
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, semconv.MessagingSystemKey.String(messagingSystem),
		semconv.MessagingOperationTypeProcess, semconv.MessagingOperationName("process"))
	if r := d.Request; r != nil {
		attrs = append(attrs, semconv.HTTPRequestMethodKey.String(method(r.Method)), semconv.URLPath(r.URL.Path))
	}
	ctx, _ = o.tracer.Start(ctx, o.spanName(d), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	return ctx
}

// End sets the delivery's attributes and status, ends its span and records its metrics.
func (o *observer) End(ctx context.Context, d *webhooks.DeliveryInfo) {
	attrs := make([]attribute.KeyValue, 0, 4)
	t := d.Type()
	if t != "" {
		attrs = append(attrs, EventTypeKey.String(o.eventType(t)))
	}
	switch {
	case d.Event != nil:
		attrs = append(attrs, PlatformKey.String(d.Event.Platform.String()))
	case d.Alert != nil && d.Alert.Event != nil:
		attrs = append(attrs, PlatformKey.String(d.Alert.Event.Platform.String()))
	}
	attrs = append(attrs, OutcomeKey.String(string(d.Outcome)))
	metricAttrs := attrs
	failed := d.Outcome == webhooks.OutcomeFailed || d.Outcome == webhooks.OutcomeTimedOut || d.Status >= 500
	if failed {
		metricAttrs = append(metricAttrs, semconv.ErrorTypeKey.String(string(d.Outcome)))
	}

	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetName(o.spanName(d))
		span.SetAttributes(metricAttrs...)
		if t != "" && o.eventType(t) != string(t) {
			span.SetAttributes(EventTypeKey.String(string(t))) // the span keeps the name as sent
		}
		if d.Event != nil {
			span.SetAttributes(semconv.MessagingMessageID(d.Event.ID))
		}
		if d.Status != 0 {
			span.SetAttributes(semconv.HTTPResponseStatusCode(d.Status))
		}
		if failed {
			if d.Err != nil {
				span.RecordError(d.Err)
				span.SetStatus(codes.Error, d.Err.Error())
			} else {
				span.SetStatus(codes.Error, string(d.Outcome))
			}
		}
	}
	span.End()

	set := metric.WithAttributeSet(attribute.NewSet(metricAttrs...))
	if o.deliveries != nil {
		o.deliveries.Add(ctx, 1, set)
	}
	if o.duration != nil {
		o.duration.Record(ctx, d.Duration.Seconds(), set)
	}
	if o.dedupeHits != nil && (d.Outcome == webhooks.OutcomeDuplicate || d.Outcome == webhooks.OutcomeInProgress) {
		o.dedupeHits.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(attrs[:len(attrs)-1]...)))
	}
}

// spanName follows the messaging conventions, "{operation} {destination}", with the event type as the
// destination: "process policy.quote.issue", or "process" before the body is decoded.
func (o *observer) spanName(d *webhooks.DeliveryInfo) string {
	if t := d.Type(); t != "" && o.eventType(t) == string(t) {
		return "process " + string(t)
	}
	return "process"
}

// eventType bounds the cardinality of socotra.event.type in metrics: a name this SDK version does not
// know and [WithEventTypes] does not list (one Socotra added since, or any text an unsigned sender chose)
// is "_OTHER", as the conventions do for http.request.method. Span names leave it out; span attributes
// keep it as sent.
func (o *observer) eventType(t events.Name) string {
	if t.Known() || o.types[t] {
		return string(t)
	}
	return "_OTHER"
}

// method bounds the cardinality of http.request.method as the conventions ask.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "_OTHER"
}
