// Package webhooks receives Socotra webhook deliveries: it decodes Core and Legacy bodies into one [Event],
// routes each event to functions by event name, runs each event once however often it is delivered, and
// answers with the status code that makes Socotra retry exactly when it should.
//
// The usual endpoint verifies the signature, then decodes, dedupes and routes:
//
//	h := webhooks.NewHandler(webhooks.WithLogger(logger), webhooks.WithTimeout(20*time.Second))
//	h.On("policy.*", func(ctx context.Context, ev *webhooks.Event) error {
//		return audit(ctx, ev.ID, ev.Type)
//	})
//	err := webhooks.HandleData(h, events.PolicyQuoteIssue,
//		func(ctx context.Context, ev *webhooks.Event, q *events.QuoteData) error {
//			return issue(ctx, q.QuoteLocator)
//		})
//	recv, err := webhooks.NewSecretReceiver(secret, h)
//	http.Handle("POST /socotra", recv)
//
// # Routing
//
// [Handler.On] registers a function for an event name or an [events.Match] pattern ("policy.*", "*").
// Every function whose pattern matches runs, in registration order; the first error stops the rest. Events
// no pattern matches go to the fallback ([WithFallback]), which by default acknowledges them, so event
// types Socotra adds later never cause retries. A delivery whose type is not a well-formed event name (a
// tenant's custom type with a hyphen or a space, say) is accepted too, logged at debug level and routed the
// same way; as patterns are well-formed, it usually reaches the fallback. [HandleData] registers a function
// that receives the Core event's data as its typed struct from package events.
//
// # Once per event
//
// A [Deduper] keyed on [Event.ID] (by default an in-memory [MemoryDeduper]) is claimed before the
// functions run, marked done when they all return nil, and released when one fails, so that Socotra's
// redelivery processes the event again: a failure never loses an event, and a success is never repeated
// while the store remembers it. A second delivery arriving while the first is still running gets 409 and
// runs nothing. [Handler.Handle] runs the same steps for events that did not come over HTTP, such as a
// backfill of diverted events.
//
// The claim is settled on every way out of the functions: an error, a panic, runtime.Goexit, or a return
// long after the [WithTimeout] limit answered 503. Until then, the event is never run a second time in the
// same process (redeliveries get 409). A shared store that implements [LeasedDeduper] gives each claim a
// lease ([WithLease]) and a token, so that another instance may take over an event whose holder died, and
// a holder whose lease lapsed cannot release the claim its successor took. Ids are bounded: an event id
// that is empty or longer than [MaxIDBytes] is refused (400). [WithMaxEventAge] optionally refuses events
// older than the store remembers ids for.
//
// # Status codes
//
// Socotra acts on the answer according to the webhook's failure handling (by default, 4xx, 5xx and a
// timeout count as failures, retried or diverted when configured):
//
//	200  the functions returned nil, no pattern matched (default fallback), the event was already processed,
//	     or the body was a failure alert (see Alert)
//	400  the body is neither a delivery (see Parse) nor an alert, or its event id is empty or too long; the
//	     body of the answer says what is wrong
//	401  the signature is missing or wrong (from the hmac middleware, before any decoding), or the Handler is
//	     mounted without a receiver (see InsecureAcceptUnverified)
//	405  the method is not POST
//	409  the same event is being processed by another delivery
//	413  the body is larger than the limit
//	422  the event is older than WithMaxEventAge allows (off by default)
//	500  a function returned an error, whatever it wraps, or panicked (the panic is recovered and logged with
//	     the event id), or the OnAlert function failed
//	503  the WithTimeout limit passed (the functions' context is cancelled), or the Deduper failed
//
// [StatusCode] gives the mapping for [Handler.Handle]'s errors.
//
// # Inside a net/http service
//
// A receiver is an http.Handler like any other: mount it behind the service's middleware (authentication,
// tenancy, tracing). The context a [HandlerFunc] receives carries every value of the request's context, and
// [Event.Header] holds the delivery's headers (those set at registration included):
//
//	mux.Handle("POST /socotra", tenancy(recv))
//	h.On("*", func(ctx context.Context, ev *webhooks.Event) error {
//		tenant := tenantFrom(ctx)           // put there by the middleware
//		key := ev.Header.Get("X-Route-Key") // a header the webhook was registered with
//		...
//	})
//
// # Serving: time limits before authentication
//
// A receiver reads no body before the headers are in, and grows its buffer only as bytes arrive, but a
// client that sends slowly still holds a connection and a goroutine. The limits against that belong to the
// http.Server, whose defaults are none; set them in every server that receives webhooks:
//
//	srv := &http.Server{
//		Addr:              ":8080",
//		Handler:           mux,
//		ReadHeaderTimeout: 5 * time.Second,  // the request line and headers
//		ReadTimeout:       30 * time.Second, // headers and the whole body (1 MiB at most by default)
//		IdleTimeout:       60 * time.Second, // a kept-alive connection between deliveries
//		MaxHeaderBytes:    64 << 10,         // the default is 1 MiB
//	}
//
// WriteTimeout bounds the whole exchange, handlers included: keep it above the [WithTimeout] limit, or
// leave it unset and rely on that limit. Behind a load balancer or a reverse proxy, set its equivalent
// limits too.
//
// # Alerts
//
// A webhook's failure handling may name an alert endpoint, to which Socotra posts a failure alert when a
// delivery fails for good or the webhook is suspended. An alert is not an event: a receiver recognises it
// (see [Alert] for the shapes), answers 200 so it is not retried, logs it at warn level, counts it in
// [Stats].Alerts and hands it to the function set with [Handler.OnAlert].
//
// # Observability
//
// [WithLogger] is the one logger of a receiver: it records every event's id, type, platform and outcome,
// and every refused request (bad signature, body too large, not a delivery), handler error and alert.
// Logging is off by default. [Handler.Stats] returns counters (received, handled, duplicates, failures,
// refused, too large, alerts, per event type) without any metrics library. [WithObserver] calls an
// [Observer] at the start and end of every delivery with its outcome and duration, for tracing and
// metrics; the module github.com/socotra-go/sdk/webhooks/otelwebhooks provides one for OpenTelemetry.
package webhooks
