package webhooks

import (
	"context"
	"net/http"
	"time"

	"github.com/socotra-go/sdk/events"
)

// Observer watches every delivery a [Handler] processes, for tracing and metrics (the module
// github.com/socotra-go/sdk/webhooks/otelwebhooks provides one for OpenTelemetry). Set it with
// [WithObserver]. Its methods run on the delivery's goroutine and must be safe for concurrent use.
type Observer interface {
	// Start is called when a delivery begins: as the request arrives, before its signature is checked
	// (d.Request is set, d.Event is nil), or when [Handler.Handle] is called (d.Event is set, d.Request is
	// nil). The context it returns is the one the rest of the delivery sees, the [HandlerFunc]s and
	// [AlertFunc]s included, so a span started here is the parent of the spans they start. It must return
	// ctx or a context derived from it.
	Start(ctx context.Context, d *DeliveryInfo) context.Context
	// End is called once the delivery is answered, with the context Start returned and d completed:
	// Outcome, Status, Err and Duration are set, and Event or Alert when the body was decoded.
	End(ctx context.Context, d *DeliveryInfo)
}

// Outcome says how a delivery ended, for an [Observer]. The values are stable strings, fit for a metric
// label.
type Outcome string

// The outcomes of a delivery.
const (
	// OutcomeHandled: every matching function returned nil.
	OutcomeHandled Outcome = "handled"
	// OutcomeUnmatched: no pattern matched; the fallback (see [WithFallback]) returned nil.
	OutcomeUnmatched Outcome = "unmatched"
	// OutcomeDuplicate: the event was processed already ([ErrDuplicate]); nothing ran.
	OutcomeDuplicate Outcome = "duplicate"
	// OutcomeInProgress: another delivery of the event holds its claim ([ErrInProgress]); nothing ran.
	OutcomeInProgress Outcome = "in_progress"
	// OutcomeRefused: the request was refused before any function ran: a bad or missing signature, a
	// method other than POST, a body too large or a body that is neither a delivery nor an alert.
	OutcomeRefused Outcome = "refused"
	// OutcomeFailed: a function returned an error or panicked, or the [Deduper] failed.
	OutcomeFailed Outcome = "failed"
	// OutcomeTimedOut: the [WithTimeout] limit passed ([ErrTimeout]).
	OutcomeTimedOut Outcome = "timed_out"
	// OutcomeAlert: the body was a failure alert, not an event (see [Alert]).
	OutcomeAlert Outcome = "alert"
)

// DeliveryInfo describes one delivery to an [Observer]. The Handler fills it as the delivery proceeds;
// an Observer reads it and must not keep it after End returns.
type DeliveryInfo struct {
	// Request is the HTTP request of the delivery; nil for events given to [Handler.Handle] directly,
	// such as a backfill's.
	Request *http.Request
	// Event is the decoded event; nil before decoding, for refused requests and for alerts.
	Event *Event
	// Alert is the decoded alert when Outcome is OutcomeAlert; nil otherwise.
	Alert *Alert
	// Outcome says how the delivery ended; empty at Start.
	Outcome Outcome
	// Status is the HTTP status answered; 0 at Start and for events given to Handle directly.
	Status int
	// Err is the error of the delivery, nil when it succeeded (see [Handler.Handle] for the errors).
	Err error
	// Duration is the time from Start to End.
	Duration time.Duration
}

// Type returns the event type of the delivery: the event's, or for an alert the type of the event it is
// about; empty when neither is known.
func (d *DeliveryInfo) Type() events.Name {
	switch {
	case d.Event != nil:
		return d.Event.Type
	case d.Alert != nil:
		return d.Alert.EventType
	}
	return ""
}

// WithObserver sets an [Observer] that sees every delivery the Handler processes, from the request's
// arrival at a receiver (refused ones included) or from a call of [Handler.Handle]. The default is none:
// a delivery then costs nothing for observation. nil keeps the default.
func WithObserver(o Observer) Option {
	return optionFunc(func(h *Handler) {
		if o != nil {
			h.observer = o
		}
	})
}

// observation is one delivery being observed.
type observation struct {
	ctx   context.Context
	start time.Time
	info  DeliveryInfo
}

// startObservation calls the Observer's Start.
func (h *Handler) startObservation(ctx context.Context, r *http.Request, ev *Event) *observation {
	o := &observation{start: time.Now(), info: DeliveryInfo{Request: r, Event: ev}}
	o.ctx = h.observer.Start(ctx, &o.info)
	if o.ctx == nil {
		o.ctx = ctx
	}
	return o
}

// endObservation calls the Observer's End.
func (h *Handler) endObservation(o *observation) {
	o.info.Duration = time.Since(o.start)
	h.observer.End(o.ctx, &o.info)
}

// finish records the result of Handle for an event in o and ends it.
func (h *Handler) finish(o *observation, ev *Event, err error, status int) {
	o.info.Event, o.info.Err, o.info.Status = ev, err, status
	o.info.Outcome = h.outcome(ev, err)
	h.endObservation(o)
}

// outcome maps the result of Handle to an Outcome.
func (h *Handler) outcome(ev *Event, err error) Outcome {
	switch {
	case err == nil:
		if !h.matches(ev) {
			return OutcomeUnmatched
		}
		return OutcomeHandled
	case is(err, ErrDuplicate):
		return OutcomeDuplicate
	case is(err, ErrInProgress):
		return OutcomeInProgress
	case asPanic(err) == nil && is(err, ErrTimeout):
		return OutcomeTimedOut
	}
	return OutcomeFailed
}

// matches reports whether a route matches ev.
func (h *Handler) matches(ev *Event) bool {
	for _, rt := range *h.routes.Load() {
		if (rt.platforms == 0 || rt.platforms.Has(ev.Platform)) && events.Match(rt.pattern, ev.Type) {
			return true
		}
	}
	return false
}
