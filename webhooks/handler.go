package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/internal/verified"
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
	// ErrTooOld: the event happened longer ago than [WithMaxEventAge] allows; no handler ran.
	ErrTooOld = errors.New("webhooks: event older than the maximum event age")
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
// dedupe off: every delivery runs the handlers. When d implements [LeasedDeduper], its claims get the
// lease of [WithLease] and a token of their own.
func WithDeduper(d Deduper) Option { return optionFunc(func(h *Handler) { h.dedupe = d }) }

// WithLease sets how long a claim on an event holds in a shared [LeasedDeduper] while the handlers run: if
// this process neither completes nor releases it by then (it died, or a handler hangs), the store lets
// another instance process the event. A d below twice the [WithTimeout] limit is raised to that. The
// default, 0, leaves the lease to the store (keep a shared store's lease above the timeout too). Within this
// process an event never runs twice at once, whatever the lease; so the claims a Handler takes in a
// *[MemoryDeduper], which lives in this process too, hold until the handlers return and settle them.
func WithLease(d time.Duration) Option { return optionFunc(func(h *Handler) { h.lease = max(d, 0) }) }

// WithMaxEventAge refuses events whose [Event.Time] is more than d in the past: no handler runs, the error
// matches [ErrTooOld] and the delivery is answered 422, so Socotra counts it as failed (retried, then
// diverted when the webhook says so) instead of it being lost silently. It closes the replay window that
// dedupe leaves open once a store forgets an id: set d no longer than the store's TTL. The default, 0, is
// off, because Socotra keeps an event's original time on every retry and resend and has no signed
// timestamp (reference/socotra-facts.md §3): an honest delivery retried after a long outage, or a backfill
// of diverted events days later, is as old as a replay, so any limit is the app's trade-off to make.
func WithMaxEventAge(d time.Duration) Option {
	return optionFunc(func(h *Handler) { h.maxAge = max(d, 0) })
}

// InsecureAcceptUnverified lets a Handler mounted without [NewReceiver] (mux.Handle(path, h)) process
// requests whose signature nothing checked. Without it such a request is refused with 401 before its body
// is read. It exists for tests and for apps that verify deliveries some other way in front of the Handler.
// [NewHandler] logs a warning each time it is given, and [Stats.Unverified] counts the requests served
// this way. Default: off.
func InsecureAcceptUnverified() Option {
	return optionFunc(func(h *Handler) { h.unverified = true })
}

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
// webhook's timeout at Socotra so that the answer arrives first. The default, 0, sets no limit. The limit
// counts from the start of the event, the [Deduper]'s claim included, whose context it cancels too; but the
// claim's answer is awaited, so that an event processed already or in progress gets 200 or 409 even from
// a store that answers after the limit.
//
// Go cannot stop a function that ignores its context, so a handler may outlive the limit. While it runs,
// its event stays claimed: in this process a redelivery of the event is answered 409 and runs nothing, so
// the retry never runs alongside the late handler; another instance sharing a [LeasedDeduper] may take the
// event over once the claim's lease ([WithLease]) lapses. When the late handler returns, its outcome is
// logged at warning level and settles the claim (done on success, released on failure) unless another
// delivery took it since.
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

// WithMaxBodyBytes limits the body the [Handler] reads itself, when it is served without [NewReceiver] and
// with [InsecureAcceptUnverified] (a larger body gets 413), and the verifier [NewSecretReceiver] builds
// (unless its options hold an hmac.WithMaxBodyBytes). The default is hmac.DefaultMaxBodyBytes (1 MiB).
// [NewReceiver] takes a verifier already built, whose own limit (hmac.WithMaxBodyBytes) applies instead.
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
// signatures: serve it behind [NewReceiver]. Mounted on its own it refuses every request with 401, unless
// [InsecureAcceptUnverified] says otherwise.
type Handler struct {
	routes     atomic.Pointer[[]route]
	mu         sync.Mutex // serialises route changes
	dedupe     Deduper
	leased     LeasedDeduper  // dedupe, when the Handler uses its lease methods
	mem        *MemoryDeduper // dedupe, when it is exactly a *MemoryDeduper (called directly)
	running    runningSet     // ids whose handlers run in this process
	lease      time.Duration
	maxAge     time.Duration
	log        *slog.Logger
	timeout    time.Duration
	fallback   HandlerFunc
	maxBody    int64
	unverified bool         // InsecureAcceptUnverified
	insecure   http.Handler // reads unverified requests when unverified is set
	stats      stats
	observer   Observer                  // nil for none
	onAlert    atomic.Pointer[AlertFunc] // nil for none
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
	h.mem, _ = h.dedupe.(*MemoryDeduper)
	if h.dedupe != nil {
		h.leased = leasedOf(h.dedupe)
	}
	h.running.ids = make(map[string]struct{})
	if h.lease > 0 {
		h.lease = max(h.lease, 2*h.timeout)
	}
	if h.unverified {
		h.log.LogAttrs(context.Background(), slog.LevelWarn,
			"webhooks: InsecureAcceptUnverified is set: requests no signature check passed are processed; use NewReceiver to verify deliveries")
		// The one reader of request bodies is the hmac middleware; here it checks the method and the size only.
		v, err := hmac.NewVerifier(nil, hmac.InsecureSkipVerify(), hmac.WithMaxBodyBytes(h.maxBody), hmac.WithLogger(h.log))
		if err != nil {
			panic(err) // the options above are always valid
		}
		h.insecure = newReceiver(v, h, false) // the verifier logs its refusals on h.log already
	}
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
// On panics when pattern is malformed (see [events.ValidPattern]: empty, an empty dotted part, a character
// other than letters, digits, '_', '.' and '*', or longer than [events.MaxNameLen]) or fn is nil, as
// http.ServeMux does; [Handler.Register] returns the error instead. A pattern that matches no known event name is accepted (tenants add their own) but logged as a
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
	if err := events.ValidPattern(rt.pattern); err != nil {
		return fmt.Errorf("webhooks: %w", err)
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

// Handle processes ev as if it had been delivered: it claims ev.ID with the [Deduper], runs the matching
// functions (see [Handler.On]), then marks the event done if they all returned nil or releases the claim if
// one failed. It returns nil on success, [ErrDuplicate] for an event already processed, [ErrInProgress] when
// another delivery holds the claim, an error matching [ErrTimeout], [ErrDedupe], [ErrTooOld] or
// [ErrInvalidDelivery] (an empty id, or one longer than [MaxIDBytes]), a *[PanicError], or the first
// handler error, wrapped with the pattern and event id. errors.Is and errors.As see through that wrapping to
// what the function returned, so a function error that wraps ErrDuplicate (another Handler's, say) matches
// it too; [StatusCode] tells the Handler's own answers apart, giving every function error 500.
//
// The [WithTimeout] limit applies as for a delivery. A backfill of missed events calls Handle for each,
// treating the Handler's own ErrDuplicate (StatusCode 200) as success. An event whose Type is not a
// well-formed name (see events.Parse) is handled like any other, and logged at debug level with the reason.
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
	if msg := idProblem(ev.ID); msg != "" {
		h.stats.rejected.Add(1)
		return fmt.Errorf("%w: event id %s", ErrInvalidDelivery, msg)
	}
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
	switch {
	case h.maxAge > 0 && time.Since(ev.Time) > h.maxAge:
		err = fmt.Errorf("%w: event %s happened at %s, more than %s ago", ErrTooOld, ev.ID, ev.Time.Format(time.RFC3339), h.maxAge)
	case h.timeout > 0:
		err = h.processWithin(ctx, ev)
	default:
		err = h.process(ctx, ev, nil)
	}
	h.record(ctx, ev, tc, err, start)
	return err
}

// idProblem says what is wrong with an event id for dedupe, or "" when nothing is.
func idProblem(id string) string {
	switch {
	case id == "":
		return "is empty; dedupe is keyed on it, so two id-less events would look like one"
	case len(id) > MaxIDBytes:
		return fmt.Sprintf("is %d bytes long; Socotra's ids are ULIDs or UUIDs, and at most %d bytes are accepted", len(id), MaxIDBytes)
	}
	return ""
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

// errGoexit is the outcome of handlers that called runtime.Goexit.
var errGoexit = errors.New("webhooks: a handler called runtime.Goexit")

// processWithin runs process under the WithTimeout limit, returning at the limit even if the handlers do
// not. Handlers that finish after the caller gave up have their outcome logged. Nothing that happens on
// the goroutine it starts (a panic in a Deduper, runtime.Goexit in a handler) escapes it.
func (h *Handler) processWithin(ctx context.Context, ev *Event) error {
	ctx, cancel := context.WithTimeoutCause(ctx, h.timeout, ErrTimeout)
	var (
		mu               sync.Mutex
		finished, gaveUp bool
	)
	done := make(chan error, 1)
	running := make(chan struct{}) // closed once the event is claimed and the functions start
	go func() {
		// cancel runs last: were ctx to end before finished is set, the caller would take the
		// goroutine's own cleanup for a reason to give up.
		defer cancel()
		err := errGoexit // unless process returns
		defer func() {
			if p := recover(); p != nil {
				err = &PanicError{Value: p, Stack: debug.Stack()}
			}
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
				msg := "webhooks: handlers finished after the timeout"
				if context.Cause(ctx) != ErrTimeout {
					msg = "webhooks: handlers finished after the caller stopped waiting: " + context.Cause(ctx).Error()
				}
				h.log.LogAttrs(context.WithoutCancel(ctx), slog.LevelWarn, msg,
					slog.String("event_id", ev.ID), slog.String("event_type", string(ev.Type)), slog.String("outcome", outcome))
			}
		}()
		err = h.process(ctx, ev, running)
	}()
	// The limit bounds the functions, not the claim: the store gets ctx, but its answer is awaited, so that an
	// event processed already or in progress gets 200 or 409 however slow the store.
	select {
	case err := <-done:
		return h.timedOut(ctx, err)
	case <-running:
	}
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

// timedOut marks err as a timeout when the handlers or the store failed after the limit passed. A claim that
// found the event processed already or in progress keeps its own status.
func (h *Handler) timedOut(ctx context.Context, err error) error {
	if err != nil && context.Cause(ctx) == ErrTimeout && !is(err, ErrTimeout) && !is(err, ErrDuplicate) && !is(err, ErrInProgress) {
		return fmt.Errorf("%w (%s): %w", ErrTimeout, h.timeout, err)
	}
	return err
}

// claimToken names one claim: tok for the MemoryDeduper called directly, s for a LeasedDeduper.
type claimToken struct {
	tok uint64
	s   string
}

// process is dedupe around route. The claim is settled on every way out: complete when the functions
// returned nil, released when one failed, panicked past call or called runtime.Goexit. running, when not
// nil, is closed as the functions start.
func (h *Handler) process(ctx context.Context, ev *Event, running chan struct{}) (err error) {
	if h.dedupe == nil {
		start(running)
		return h.route(ctx, ev)
	}
	if h.mem == nil { // a MemoryDeduper's claims from this Handler last until settled, which does the same
		if !h.running.start(ev.ID) {
			return ErrInProgress // a delivery of the same event runs in this process, maybe past its timeout
		}
		defer h.running.stop(ev.ID)
	}
	c, tok, err := h.claim(ctx, ev.ID)
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
	settled := false
	defer func() {
		if !settled {
			h.settle(context.WithoutCancel(ctx), ev, tok, errGoexit)
		}
	}()
	start(running)
	err = h.route(ctx, ev)
	settled = true
	settle := ctx
	if ctx.Err() != nil {
		settle = context.WithoutCancel(ctx) // record the outcome even after a timeout
	}
	h.settle(settle, ev, tok, err)
	return err
}

// start closes running unless it is nil.
func start(running chan struct{}) {
	if running != nil {
		close(running)
	}
}

// claim asks the store for ev's claim. A store's panic goes up to the caller (net/http recovers it and drops
// the connection, so Socotra retries), or is recovered on the goroutine of [WithTimeout].
func (h *Handler) claim(ctx context.Context, id string) (c Claim, tok claimToken, err error) {
	if h.mem != nil {
		// The claim lives in this process, whose every way out of process settles it: it holds until then,
		// so that no delivery runs alongside a handler that outlived its timeout.
		c, tok.tok = h.mem.claim(id, forever)
		return c, tok, nil
	}
	if h.leased != nil {
		c, tok.s, err = h.leased.ClaimLease(ctx, id, h.lease)
		return c, tok, err
	}
	c, err = h.dedupe.Claim(ctx, id)
	return c, tok, err
}

// settle completes the claim when the functions' outcome is nil and releases it otherwise, logging what the
// store could not do.
func (h *Handler) settle(ctx context.Context, ev *Event, tok claimToken, outcome error) {
	if h.mem != nil {
		if outcome != nil {
			h.mem.release(ev.ID, tok.tok)
		} else if !h.mem.complete(ev.ID, tok.tok) {
			h.logSettle(ctx, ev, ErrLeaseLost, true)
		}
		return
	}
	var err error
	switch {
	case h.leased != nil && outcome != nil:
		err = h.leased.ReleaseLease(ctx, ev.ID, tok.s)
	case h.leased != nil:
		err = h.leased.CompleteLease(ctx, ev.ID, tok.s)
	case outcome != nil:
		err = h.dedupe.Release(ctx, ev.ID)
	default:
		err = h.dedupe.Complete(ctx, ev.ID)
	}
	if err != nil {
		h.logSettle(ctx, ev, err, outcome == nil)
	}
}

func (h *Handler) logSettle(ctx context.Context, ev *Event, err error, completing bool) {
	msg := "webhooks: could not release the claim; redeliveries may be refused until its lease lapses"
	if completing {
		msg = "webhooks: event handled but not recorded as done; a redelivery would run it again"
	}
	h.log.LogAttrs(ctx, slog.LevelError, msg, slog.String("event_id", ev.ID), slog.String("error", err.Error()))
}

// runningSet holds the ids of the events whose functions run in this process, so that a redelivery never
// runs alongside them, even once a claim's lease lapsed.
type runningSet struct {
	mu  sync.Mutex
	ids map[string]struct{}
}

// start adds id, reporting false when it was there already.
func (s *runningSet) start(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ids[id]; ok {
		return false
	}
	s.ids[id] = struct{}{} // the key is the event's own string, dropped before the event is
	return true
}

func (s *runningSet) stop(id string) {
	s.mu.Lock()
	delete(s.ids, id)
	s.mu.Unlock()
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
			return &funcError{fmt.Sprintf("webhooks: handler for %q failed on event %s", rt.pattern, ev.ID), err}
		}
	}
	if matched {
		return nil
	}
	h.stats.unmatched.Add(1)
	if err := call(ctx, h.fallback, ev); err != nil {
		return &funcError{"webhooks: fallback failed on event " + ev.ID, err}
	}
	return nil
}

// funcError is the error a registered function or the fallback returned: the delivery failed, whatever
// the error wraps. errors.Is and errors.As see through it, but the Handler's own answers ([StatusCode], the
// [Outcome], [Stats]) do not (see is): a function that returns another Handler's ErrDuplicate has failed,
// and its event must not be taken for one this Handler processed already.
type funcError struct {
	msg string // which function failed on which event
	err error
}

func (e *funcError) Error() string { return e.msg + ": " + e.err.Error() }
func (e *funcError) Unwrap() error { return e.err }

// is is errors.Is(err, target) for the Handler's own errors: it does not look inside the error a function
// returned, which is a failure whatever it wraps.
func is(err, target error) bool {
	for err != nil {
		if _, ok := err.(*funcError); ok {
			return false
		}
		if err == target {
			return true
		}
		if x, ok := err.(interface{ Is(error) bool }); ok && x.Is(target) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			return slices.ContainsFunc(u.Unwrap(), func(e error) bool { return is(e, target) })
		default:
			return false
		}
	}
	return false
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
	case is(err, ErrDuplicate):
		outcome = "duplicate"
	case is(err, ErrInProgress):
		outcome = "in_progress"
	case pe != nil:
		outcome, level = "panic", slog.LevelError
	case is(err, ErrTimeout):
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

// ServeHTTP answers one delivery whose body an hmac middleware verified (behind [NewReceiver], say): 400
// for a body that is neither a delivery (see [Parse]) nor an alert (see [Alert]), and otherwise the status
// for [Handler.Handle]'s result listed in the package documentation. It decodes the verified body without
// reading the request again. The [HandlerFunc]s get the request's context (with every value middleware put
// in it) and the request's headers in [Event.Header].
//
// A request no signature check passed is refused with 401 before its body is read, unless
// [InsecureAcceptUnverified] is given: then the hmac middleware, the one place that reads bodies, answers
// 405 for a method other than POST and 413 for a body over the [WithMaxBodyBytes] limit before the Handler
// decodes it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, ok := hmac.VerifiedBody(r.Context()); !ok {
		h.serveUnverified(w, r)
		return
	}
	var o *observation
	if h.observer != nil {
		o = h.startObservation(r.Context(), r, nil)
		r = r.WithContext(o.ctx)
	}
	h.serve(w, r, o)
}

// serveUnverified refuses a request no signature check passed, or serves it through the insecure receiver
// when InsecureAcceptUnverified says so.
func (h *Handler) serveUnverified(w http.ResponseWriter, r *http.Request) {
	if h.insecure != nil {
		h.stats.unverified.Add(1)
		h.insecure.ServeHTTP(w, r)
		return
	}
	h.refused(r, http.StatusUnauthorized, false)
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "webhooks: request refused: no signature check passed; serve the Handler behind NewReceiver",
		slog.String("method", r.Method), slog.String("path", r.URL.Path))
	http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
	if h.observer != nil {
		h.refusedObserved(h.startObservation(r.Context(), r, nil), http.StatusUnauthorized, errUnverified)
	}
}

// errUnverified is why a Handler mounted on its own refuses a request.
var errUnverified = errors.New("webhooks: no signature check passed; serve the Handler behind NewReceiver")

// serve is ServeHTTP once the delivery is observed; o is nil without an Observer. The body is one an hmac
// middleware read, found in r's context.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, o *observation) {
	body, _ := hmac.VerifiedBody(r.Context())
	ev, err := Parse(body)
	if err != nil {
		ev = nil
	}
	h.serveParsed(w, r, r.Context(), body, ev, err, o)
}

// verifiedDelivery is what the receiver's direct path allocates for one delivery: the event, and the context its
// functions get, which carries the verified body as the hmac middleware's context would.
type verifiedDelivery struct {
	ev  Event
	ctx verifiedContext
}

// verifiedContext is a request's context plus the body an hmac middleware verified (hmac.VerifiedBody and
// hmac.VerifiedKeyTag find it).
type verifiedContext struct {
	context.Context
	body []byte
	tag  string
}

// Value answers the key of hmac.VerifiedBody and delegates every other key to the request's context.
func (c *verifiedContext) Value(key any) any {
	if key == (verified.Key{}) {
		return c
	}
	return c.Context.Value(key)
}

// Verified implements verified.Carrier.
func (c *verifiedContext) Verified(verified.Token) ([]byte, string) { return c.body, c.tag }

// serveVerified is serve for a body the hmac middleware handed over directly, with the tag of the key that
// verified it: the event and the context that carries the body are one allocation.
func (h *Handler) serveVerified(w http.ResponseWriter, r *http.Request, body []byte, tag string, o *observation) {
	d := &verifiedDelivery{ctx: verifiedContext{Context: r.Context(), body: body, tag: tag}}
	ev := &d.ev
	err := parseInto(ev, body)
	if err != nil {
		ev = nil
	}
	h.serveParsed(w, r, &d.ctx, body, ev, err, o)
}

// serveParsed answers a delivery once its verified body was parsed into ev, or failed to parse with err;
// ctx is the request's context carrying the body.
func (h *Handler) serveParsed(w http.ResponseWriter, r *http.Request, ctx context.Context, body []byte, ev *Event, err error, o *observation) {
	if err != nil {
		if a, ok := ParseAlert(body); ok {
			h.alert(ctx, w, r, a, o)
			return
		}
		h.stats.rejected.Add(1)
		h.log.LogAttrs(ctx, slog.LevelWarn, "webhooks: delivery rejected", slog.String("error", err.Error()))
		http.Error(w, err.Error(), http.StatusBadRequest)
		h.refusedObserved(o, http.StatusBadRequest, err)
		return
	}
	ev.Header = r.Header
	err = h.handle(ctx, ev)
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
// for an [ErrInvalidDelivery], 422 for [ErrTooOld], and 500 for anything else (handler errors and panics).
// The error a function (or the fallback) returned gets 500 whatever it wraps: one that wraps ErrDuplicate,
// say, from another Handler's Handle, is a failure, not this Handler's duplicate. It gets 503 only when the
// [WithTimeout] limit passed while the function ran.
func StatusCode(err error) int {
	switch {
	case err == nil, is(err, ErrDuplicate):
		return http.StatusOK
	case is(err, ErrInProgress):
		return http.StatusConflict
	case is(err, ErrTimeout), is(err, ErrDedupe), is(err, context.Canceled):
		return http.StatusServiceUnavailable
	case is(err, ErrInvalidDelivery):
		return http.StatusBadRequest
	case is(err, ErrTooOld):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}
