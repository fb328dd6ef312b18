// Package otelwebhooks traces and measures Socotra webhook deliveries with OpenTelemetry, through the
// [webhooks.Observer] hook of package github.com/socotra-go/sdk/webhooks.
//
//	h := webhooks.NewHandler(webhooks.WithObserver(otelwebhooks.NewObserver()))
//	recv, err := webhooks.NewSecretReceiver(secret, h)
//
// The providers are the global ones unless [WithTracerProvider] and [WithMeterProvider] say otherwise.
//
// # Spans
//
// Each delivery is one span of kind server, a child of any span already in the request's context (put
// there by HTTP middleware such as otelhttp's) and the parent of the spans the event's functions start
// from their ctx. It follows the semantic conventions for messaging (a webhook delivery is a message
// processed on arrival) with the HTTP server attributes of the request:
//
//	name                        "process {event type}", or "process" when the body was not decoded or
//	                            the type is one this SDK version does not know
//	messaging.system            "socotra"
//	messaging.operation.type    "process"
//	messaging.operation.name    "process"
//	messaging.message.id        the event's id (Core locator, Legacy id)
//	http.request.method, url.path, http.response.status_code
//	socotra.event.type          the event type ([EventTypeKey])
//	socotra.platform            "core" or "legacy" ([PlatformKey])
//	socotra.webhooks.outcome    handled, unmatched, duplicate, in_progress, refused, failed, timed_out
//	                            or alert ([OutcomeKey])
//	error.type                  the outcome, when it is failed or timed_out or the answer was 5xx (an
//	                            alert whose function failed, say); the span's status is then Error, with
//	                            the error, if any, recorded as an event
//
// Events handled with webhooks.Handler.Handle outside HTTP (a backfill's) get the same span without the
// HTTP attributes.
//
// # Metrics
//
//	socotra.webhooks.deliveries    counter {delivery}: socotra.event.type, socotra.platform, socotra.webhooks.outcome, and
//	                               error.type on failures
//	messaging.process.duration     histogram (s): the same, with error.type on failures
//	socotra.webhooks.dedupe.hits   counter {delivery}: socotra.event.type, socotra.platform
//
// In metrics, an event type this SDK version does not know is "_OTHER" (as the conventions do for
// http.request.method), so a sender cannot create a series per name it invents. List the tenant's own
// types with [WithEventTypes], and update the SDK to count names Socotra adds under their own.
//
// # Versions
//
// This module lives in the SDK's repository with a module of its own, so OpenTelemetry never enters the
// SDK's module graph. It uses only webhooks.Observer, webhooks.DeliveryInfo, the webhooks.Outcome
// values and the Event and Alert fields named above: any SDK version that has webhooks.WithObserver works
// with it, whatever version your go.mod requires (the module's own replace directive, used to build it in
// the repository, does not apply in your module).
package otelwebhooks
