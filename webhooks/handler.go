package webhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
)

// HandlerFunc handles one event. Returning an error makes the delivery fail (status 500), so Socotra
// retries or diverts it according to the webhook's failure handling; the event is then processed again on
// redelivery. ctx is cancelled when the [WithTimeout] limit passes or the request goes away.
type HandlerFunc func(ctx context.Context, ev *Event) error

// Errors returned by [Handler.Handle]. Match them with [errors.Is].
var (
	// ErrDuplicate: the event was processed already; no handler ran. Treat it as success.
	ErrDuplicate = errors.New("webhooks: duplicate event (already processed)")
	// ErrInProgress: another delivery of the same event is being processed; no handler ran. The delivery
	// is answered 409 so Socotra tries again later, by which time the first delivery has completed (and
	// the retry is a duplicate) or failed (and the retry processes the event).
	ErrInProgress = errors.New("webhooks: event is being processed by another delivery")
	// ErrTimeout: the handlers did not return within the [WithTimeout] limit; their context was cancelled.
	// It wraps context.DeadlineExceeded.
	ErrTimeout = fmt.Errorf("webhooks: handler timed out: %w", context.DeadlineExceeded)
	// ErrDedupe: the [Deduper] failed to claim the event, so no handler ran.
	ErrDedupe = errors.New("webhooks: dedupe store failed")
)

// PanicError is the error a handler's panic is turned into. The panic is recovered, the delivery answered
// 500, and the value and stack logged with the event id.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack at the panic
}

// Error describes the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("webhooks: handler panicked: %v", e.Value) }

// Option configures a [Handler].
type Option interface{ apply(*Handler) }

type optionFunc func(*Handler)

func (f optionFunc) apply(h *Handler) { f(h) }

// WithDeduper sets the store that makes each event run once. The default is NewMemoryDeduper(0, 0), which
// works within one process; use a shared store when several instances receive the same webhook. nil turns
// dedupe off: every delivery runs the handlers.
func WithDeduper(d Deduper) Option { return optionFunc(func(h *Handler) { h.dedupe = d }) }

// WithLogger sets the logger that records each event's id, type and outcome. The default discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(h *Handler) {
		if l != nil {
			h.log = l
		}
	})
}

// WithTimeout bounds how long the handlers of one event may run. When d passes, their context is
// cancelled and the delivery is answered 503 at once, without waiting for them to return; set d below the
// webhook's timeout at Socotra so that the answer arrives first. A handler still running completes or
// releases the event's claim when it returns. The default, 0, sets no limit.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(h *Handler) { h.timeout = max(d, 0) })
}

// WithFallback sets the function run for events that no pattern matches. The default acknowledges them
// (200) and logs them at debug level, so new Socotra event types never cause retries.
func WithFallback(fn HandlerFunc) Option {
	return optionFunc(func(h *Handler) {
		if fn != nil {
			h.fallback = fn
		}
	})
}

// WithMaxBodyBytes limits the body the [Handler] reads itself, when it is served without [NewReceiver]
// (a larger body gets 413). The default is hmac.DefaultMaxBodyBytes (1 MiB). Behind [NewReceiver] the
// verifier's limit applies instead.
func WithMaxBodyBytes(n int64) Option {
	return optionFunc(func(h *Handler) {
		if n > 0 {
			h.maxBody = n
		}
	})
}

// Handler routes events to functions by event name and processes each event once. It is an http.Handler
// answering Socotra deliveries with the status codes listed in the package documentation, and its
// [Handler.Handle] runs the same dedupe and routing for events from elsewhere (a backfill of diverted
// events or the event stream). Handlers may be added while it serves. A Handler does not check
// signatures: serve it behind [NewReceiver].
type Handler struct {
	routes   atomic.Pointer[[]route]
	mu       sync.Mutex // serialises route changes
	dedupe   Deduper
	log      *slog.Logger
	timeout  time.Duration
	fallback HandlerFunc
	maxBody  int64
	warned   atomic.Bool // about serving unverified requests
	stats    stats
	observer Observer                  // nil for none
	onAlert  atomic.Pointer[AlertFunc] // nil for none
}

type route struct {
	pattern   string
	platforms events.Platform // 0 for any
	fn        HandlerFunc
}

// NewHandler returns a Handler with no routes: until [Handler.On] adds some, every event goes to the
// fallback (see [WithFallback]).
func NewHandler(opts ...Option) *Handler {
	h := &Handler{
		dedupe:  NewMemoryDeduper(0, 0),
		log:     slog.New(slog.DiscardHandler),
		maxBody: hmac.DefaultMaxBodyBytes,
	}
	h.fallback = h.acknowledge
	for _, o := range opts {
		if o != nil {
			o.apply(h)
		}
	}
	h.routes.Store(&[]route{})
	h.stats.init()
	return h
}

// acknowledge is the default fallback.
func (h *Handler) acknowledge(ctx context.Context, ev *Event) error {
	if !h.log.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	h.log.LogAttrs(ctx, slog.LevelDebug, "webhooks: no handler for event; acknowledged",
		slog.String("event_id", ev.ID), slog.String("event_type", string(ev.Type)))
	return nil
}

// On registers fn for the events whose name matches pattern (see [events.Match]): an exact name such as
// "policy.quote.issue", or a pattern with '*' standing for any run of characters such as "policy.*" or "*".
//
// When several patterns match an event, every matching function runs, one after the other in the order
// they were registered; the first error stops the rest and fails the delivery, so that all of them run
// again on redelivery. Handlers must therefore be idempotent, as with any at-least-once delivery.
//
// On panics when pattern is malformed (empty, an empty dotted part, or a character other than letters,
// digits, '_', '.' and '*') or fn is nil, as http.ServeMux does; [Handler.Register] returns the error
// instead. A pattern that matches no known event name is accepted (tenants add their own) but logged as a
// warning, with a suggestion when it looks like a misspelt name.
func (h *Handler) On(pattern string, fn HandlerFunc) {
	if err := h.Register(pattern, fn); err != nil {
		panic(err)
	}
}

// Register is [Handler.On] returning an error for a malformed pattern or nil fn instead of panicking.
func (h *Handler) Register(pattern string, fn HandlerFunc) error {
	return h.add(route{pattern: pattern, fn: fn})
}

func (h *Handler) add(rt route) error {
	if rt.fn == nil {
		return fmt.Errorf("webhooks: nil handler function for pattern %q", rt.pattern)
	}
	if err := checkPattern(rt.pattern); err != nil {
		return fmt.Errorf("webhooks: pattern %q: %w", rt.pattern, err)
	}
	if !slices.ContainsFunc(knownNames, func(n events.Name) bool { return events.Match(rt.pattern, n) }) {
		attrs := []slog.Attr{slog.String("pattern", rt.pattern)}
		if s, ok := events.Suggest(rt.pattern); ok {
			attrs = append(attrs, slog.String("did_you_mean", string(s)))
		}
		h.log.LogAttrs(context.Background(), slog.LevelWarn, "webhooks: pattern matches no known event name", attrs...)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	next := append(slices.Clone(*h.routes.Load()), rt)
	h.routes.Store(&next)
	return nil
}

// checkPattern says what is wrong with a pattern, if anything.
func checkPattern(p string) error {
	if p == "" {
		return errors.New(`empty; use "*" to match every event`)
	}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			if i == start {
				return fmt.Errorf("empty dotted part at byte %d", i)
			}
			start = i + 1
			continue
		}
		if c := p[i]; c != '*' && c != '_' && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return fmt.Errorf("character %q at byte %d is not a letter, digit, '_', '.' or '*'", c, i)
		}
	}
	return nil
}

// Handle processes ev as if it had been delivered: it claims ev.ID with the [Deduper], runs the matching
// functions (see [Handler.On]), then marks the event done if they all returned nil or releases the claim if
// one failed. It returns nil on success, [ErrDuplicate] for an event already processed, [ErrInProgress] when
// another delivery holds the claim, an error matching [ErrTimeout] or [ErrDedupe], a *[PanicError], or the
// first handler error, wrapped with the pattern and event id.
//
// The [WithTimeout] limit applies as for a delivery. A backfill of missed events calls Handle for each,
// treating ErrDuplicate as success. An event whose Type is not a well-formed name (see events.Parse) is
// handled like any other, and logged at debug level with the reason.
func (h *Handler) Handle(ctx context.Context, ev *Event) error {
	if ev == nil {
		return errors.New("webhooks: Handle called with a nil event")
	}
	if h.observer == nil {
		return h.handle(ctx, ev)
	}
	o := h.startObservation(ctx, nil, ev)
	err := h.handle(o.ctx, ev)
	h.finish(o, ev, err, 0)
	return err
}

// handle is Handle without the Observer.
func (h *Handler) handle(ctx context.Context, ev *Event) error {
	var start time.Time // read only when something may be logged
	if h.log.Enabled(ctx, slog.LevelError) {
		start = time.Now()
	}
	if h.log.Enabled(ctx, slog.LevelDebug) {
		h.noteMalformedType(ctx, ev)
	}
	tc := h.stats.forType(ev.Type)
	h.stats.total.received.Add(1)
	tc.received.Add(1)
	var err error
	if h.timeout > 0 {
		err = h.processWithin(ctx, ev)
	} else {
		err = h.process(ctx, ev)
	}
	h.record(ctx, ev, tc, err, start)
	return err
}

// noteMalformedType logs, at debug level, an event whose type is not a well-formed event name. Such an
// event is handled as usual: refusing it would make Socotra retry or divert the delivery forever.
func (h *Handler) noteMalformedType(ctx context.Context, ev *Event) {
	if ev.Type.Known() {
		return
	}
	if _, err := events.Parse(string(ev.Type)); err != nil {
		h.log.LogAttrs(ctx, slog.LevelDebug, "webhooks: event type is not a well-formed event name; routing it as usual",
			slog.String("event_id", ev.ID), slog.String("event_type", string(ev.Type)), slog.String("reason", err.Error()))
	}
}

// processWithin runs process under the WithTimeout limit, returning at the limit even if the handlers do
// not. Handlers that finish after the caller gave up have their outcome logged.
func (h *Handler) processWithin(ctx context.Context, ev *Event) error {
	ctx, cancel := context.WithTimeoutCause(ctx, h.timeout, ErrTimeout)
	var (
		mu               sync.Mutex
		finished, gaveUp bool
	)
	done := make(chan error, 1)
	go func() {
		defer cancel()
		err := h.process(ctx, ev)
		mu.Lock()
		finished = true
		late := gaveUp
		mu.Unlock()
		done <- err
		if late {
			outcome := "handled"
			if err != nil {
				outcome = err.Error()
			}
			h.log.LogAttrs(context.WithoutCancel(ctx), slog.LevelWarn, "webhooks: handlers finished after the timeout",
				slog.String("event_id", ev.ID), slog.String("event_type", string(ev.Type)), slog.String("outcome", outcome))
		}
	}()
	select {
	case err := <-done:
		return h.timedOut(ctx, err)
	case <-ctx.Done():
	}
	mu.Lock()
	gaveUp = !finished
	mu.Unlock()
	if !gaveUp { // finished meanwhile (its own cancel may have ended ctx): report what happened
		return h.timedOut(ctx, <-done)
	}
	if context.Cause(ctx) == ErrTimeout {
		return fmt.Errorf("%w (%s)", ErrTimeout, h.timeout)
	}
	return fmt.Errorf("webhooks: gave up waiting for the handlers: %w", context.Cause(ctx))
}

// timedOut marks err as a timeout when the handlers failed after the limit passed.
func (h *Handler) timedOut(ctx context.Context, err error) error {
	if err != nil && context.Cause(ctx) == ErrTimeout && !errors.Is(err, ErrTimeout) {
		return fmt.Errorf("%w (%s): %w", ErrTimeout, h.timeout, err)
	}
	return err
}

// process is dedupe around route.
func (h *Handler) process(ctx context.Context, ev *Event) error {
	if h.dedupe == nil {
		return h.route(ctx, ev)
	}
	c, err := h.dedupe.Claim(ctx, ev.ID)
	switch {
	case err != nil:
		return fmt.Errorf("%w: claim %s: %w", ErrDedupe, ev.ID, err)
	case c == Done:
		return ErrDuplicate
	case c == InProgress:
		return ErrInProgress
	case c != Claimed:
		return fmt.Errorf("%w: claim %s: unknown answer %d", ErrDedupe, ev.ID, c)
	}
	err = h.route(ctx, ev)
	settle := ctx
	if ctx.Err() != nil {
		settle = context.WithoutCancel(ctx) // record the outcome even after a timeout
	}
	if err != nil {
		if rerr := h.dedupe.Release(settle, ev.ID); rerr != nil {
			h.log.LogAttrs(settle, slog.LevelError, "webhooks: could not release the claim; redeliveries may be refused until it expires",
				slog.String("event_id", ev.ID), slog.String("error", rerr.Error()))
		}
		return err
	}
	if cerr := h.dedupe.Complete(settle, ev.ID); cerr != nil {
		h.log.LogAttrs(settle, slog.LevelError, "webhooks: event handled but not recorded as done; a redelivery would run it again",
			slog.String("event_id", ev.ID), slog.String("error", cerr.Error()))
	}
	return nil
}

// route runs every function whose pattern matches ev, in registration order, or the fallback.
func (h *Handler) route(ctx context.Context, ev *Event) error {
	matched := false
	for _, rt := range *h.routes.Load() {
		if rt.platforms != 0 && !rt.platforms.Has(ev.Platform) || !events.Match(rt.pattern, ev.Type) {
			continue
		}
		matched = true
		if err := call(ctx, rt.fn, ev); err != nil {
			return fmt.Errorf("webhooks: handler for %q failed on event %s: %w", rt.pattern, ev.ID, err)
		}
	}
	if matched {
		return nil
	}
	h.stats.unmatched.Add(1)
	if err := call(ctx, h.fallback, ev); err != nil {
		return fmt.Errorf("webhooks: fallback failed on event %s: %w", ev.ID, err)
	}
	return nil
}

// call runs fn, turning a panic into a *PanicError.
func call(ctx context.Context, fn HandlerFunc, ev *Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return fn(ctx, ev)
}

// record counts and logs the outcome of one event.
func (h *Handler) record(ctx context.Context, ev *Event, tc *counters, err error, start time.Time) {
	outcome, level := "handled", slog.LevelInfo
	var pe *PanicError
	if err != nil {
		pe = asPanic(err)
	}
	switch {
	case err == nil:
		h.stats.total.handled.Add(1)
		tc.handled.Add(1)
	case errors.Is(err, ErrDuplicate):
		outcome = "duplicate"
	case errors.Is(err, ErrInProgress):
		outcome = "in_progress"
	case pe != nil:
		outcome, level = "panic", slog.LevelError
	case errors.Is(err, ErrTimeout):
		outcome, level = "timeout", slog.LevelError
	default:
		outcome, level = "failed", slog.LevelError
	}
	switch outcome {
	case "handled":
	case "duplicate", "in_progress":
		h.stats.total.duplicates.Add(1)
		tc.duplicates.Add(1)
	default:
		h.stats.total.failures.Add(1)
		tc.failures.Add(1)
	}
	if !h.log.Enabled(ctx, level) {
		return
	}
	attrs := [...]slog.Attr{
		slog.String("event_id", ev.ID),
		slog.String("event_type", string(ev.Type)),
		slog.String("platform", ev.Platform.String()),
		slog.String("outcome", outcome),
		slog.Duration("took", time.Since(start)),
		{},
		{},
	}
	n := 5
	if err != nil && level == slog.LevelError {
		attrs[n] = slog.String("error", err.Error())
		n++
	}
	if pe != nil {
		attrs[n] = slog.String("stack", string(pe.Stack))
		n++
	}
	h.log.LogAttrs(ctx, level, "webhooks: event "+outcome, attrs[:n]...)
}

// asPanic returns the *PanicError in err's chain, or nil.
func asPanic(err error) *PanicError {
	var pe *PanicError
	errors.As(err, &pe)
	return pe
}

// ServeHTTP answers one delivery: 405 for a method other than POST, 413 for a body over the limit, 400
// for a body that is neither a delivery (see [Parse]) nor an alert (see [Alert]), and otherwise the status
// for [Handler.Handle]'s result listed in the package documentation. Behind [NewReceiver] it decodes the
// verified body without reading the request again. The [HandlerFunc]s get the request's context (with
// every value middleware put in it) and the request's headers in [Event.Header].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var o *observation
	if h.observer != nil {
		o = h.startObservation(r.Context(), r, nil)
		r = r.WithContext(o.ctx)
	}
	h.serve(w, r, o)
}

// serve is ServeHTTP once the delivery is observed; o is nil without an Observer.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, o *observation) {
	if r.Method != http.MethodPost {
		h.stats.rejected.Add(1)
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed; Socotra delivers webhooks with POST", http.StatusMethodNotAllowed)
		h.refusedObserved(o, http.StatusMethodNotAllowed, nil)
		return
	}
	body, ok := hmac.VerifiedBody(r.Context())
	if !ok {
		if !h.warned.Swap(true) {
			h.log.LogAttrs(r.Context(), slog.LevelWarn, "webhooks: serving a request no signature check passed; use NewReceiver to verify deliveries")
		}
		var err error
		if body, err = readBody(w, r, h.maxBody); err != nil {
			h.stats.rejected.Add(1)
			code := http.StatusBadRequest
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				code = http.StatusRequestEntityTooLarge
				h.stats.tooLarge.Add(1)
			}
			http.Error(w, http.StatusText(code), code)
			h.refusedObserved(o, code, err)
			return
		}
	}
	ev, err := Parse(body)
	if err != nil {
		if a, ok := ParseAlert(body); ok {
			h.alert(r.Context(), w, r, a, o)
			return
		}
		h.stats.rejected.Add(1)
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "webhooks: delivery rejected", slog.String("error", err.Error()))
		http.Error(w, err.Error(), http.StatusBadRequest)
		h.refusedObserved(o, http.StatusBadRequest, err)
		return
	}
	ev.Header = r.Header
	err = h.handle(r.Context(), ev)
	code := StatusCode(err)
	if code != http.StatusOK {
		http.Error(w, http.StatusText(code), code)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	if o != nil {
		h.finish(o, ev, err, code)
	}
}

// refusedObserved ends the observation of a request refused before decoding.
func (h *Handler) refusedObserved(o *observation, status int, err error) {
	if o == nil {
		return
	}
	o.info.Outcome, o.info.Status, o.info.Err = OutcomeRefused, status, err
	h.endObservation(o)
}

// StatusCode returns the HTTP status a delivery gets for [Handler.Handle]'s result: 200 for nil and
// [ErrDuplicate], 409 for [ErrInProgress], 503 for [ErrTimeout], [ErrDedupe] and a cancelled request, 400
// for an [ErrInvalidDelivery], and 500 for anything else (handler errors and panics).
func StatusCode(err error) int {
	switch {
	case err == nil, errors.Is(err, ErrDuplicate):
		return http.StatusOK
	case errors.Is(err, ErrInProgress):
		return http.StatusConflict
	case errors.Is(err, ErrTimeout), errors.Is(err, ErrDedupe), errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrInvalidDelivery):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// readBody reads the whole body, up to limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}
