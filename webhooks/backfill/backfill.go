package backfill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/webhooks"
)

// Handler processes one event with dedupe; a *webhooks.Handler is one. Pass the Handler that serves live
// deliveries, so that the backfill and the deliveries share routes and dedupe store, and an event that
// arrives both ways runs once.
type Handler interface {
	Handle(ctx context.Context, ev *webhooks.Event) error
}

// ErrNoStart matches (with [errors.Is]) the error [Backfiller.Stream] returns when its checkpoint is empty and
// the Backfiller was not told where to begin: pass [WithStart] or [WithFromBeginning] to [New]. An empty
// checkpoint is what a first run sees, but also what a lost or reset checkpoint looks like, and reading the
// stream from its beginning replays the tenant's whole history.
var ErrNoStart = errors.New("backfill: the checkpoint is empty and no start was chosen; pass WithStart(t) to begin at a time, or WithFromBeginning() to replay the whole event stream")

// ErrIncomplete matches (with [errors.Is]) the error a backfill returns when some events could not be
// handled. Their diverted records were kept and the checkpoint was not moved past them, so running the
// backfill again retries them.
var ErrIncomplete = errors.New("backfill: some events were not handled; run the backfill again to retry them")

// Report counts what one backfill run did. Every event read from the source is counted once in Handled,
// Duplicates, Skipped or Failed.
type Report struct {
	Seen       int // events read from the source
	Handled    int // events the handlers processed successfully
	Duplicates int // events processed before (webhooks.ErrDuplicate), by a delivery or an earlier run
	Skipped    int // events whose type the WithEvents filter excludes (diverted records are left in place)
	Failed     int // events not processed: handler or fetch failure, or their diverted record not deleted
	Deleted    int // diverted records deleted after their event was processed
	// Checkpoint is the event-stream token saved last ("" for diverted events, or if nothing was saved).
	Checkpoint string
	Took       time.Duration // how long the run took
}

// String summarises the report on one line.
func (r Report) String() string {
	return fmt.Sprintf("seen %d: handled %d, duplicates %d, skipped %d, failed %d; deleted %d diverted records; took %s",
		r.Seen, r.Handled, r.Duplicates, r.Skipped, r.Failed, r.Deleted, r.Took.Round(time.Millisecond))
}

func (r Report) attrs() []slog.Attr {
	return []slog.Attr{
		slog.Int("seen", r.Seen), slog.Int("handled", r.Handled), slog.Int("duplicates", r.Duplicates),
		slog.Int("skipped", r.Skipped), slog.Int("failed", r.Failed), slog.Int("deleted", r.Deleted),
	}
}

// Option configures a [Backfiller].
type Option interface{ apply(*Backfiller) }

type optionFunc func(*Backfiller)

func (f optionFunc) apply(b *Backfiller) { f(b) }

// WithLogger sets the logger that receives progress counts, each failure, and a summary of each run. The
// default discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(b *Backfiller) {
		if l != nil {
			b.log = l
		}
	})
}

// WithEvents limits the backfill to the events whose type matches one of patterns (see [events.Match]:
// "policy.*", "invoice.issue", "*"; [New] refuses what events.ValidPattern refuses): give the patterns the
// Handler has routes for. Other events are counted
// as skipped; their diverted records are left in place. The default handles every event.
func WithEvents(patterns ...string) Option {
	return optionFunc(func(b *Backfiller) { b.types = append(b.types, patterns...) })
}

// WithStart sets where [Backfiller.Stream] begins when the checkpoint is empty: at the first event at or after
// t. Once the checkpoint holds a position, that position wins. There is no default: with an empty checkpoint
// and neither WithStart nor [WithFromBeginning], Stream refuses to run ([ErrNoStart]), so that a lost
// checkpoint never replays a tenant's whole history by accident. A zero t is refused by [New].
func WithStart(t time.Time) Option {
	return optionFunc(func(b *Backfiller) {
		b.start, b.starts = t, append(b.starts, "WithStart")
		if t.IsZero() {
			b.startErr = errors.New("backfill: WithStart(zero time): give the time to start from, or use WithFromBeginning to read the whole event stream")
		}
	})
}

// WithFromBeginning makes [Backfiller.Stream] begin at the start of the tenant's event stream when the
// checkpoint is empty, replaying its whole history. Once the checkpoint holds a position, that position wins.
// There is no default; see [WithStart].
func WithFromBeginning() Option {
	return optionFunc(func(b *Backfiller) { b.starts = append(b.starts, "WithFromBeginning") })
}

// WithPageSize sets how many events [Backfiller.Stream] asks for per page of the event stream. The default,
// 0, lets the platform choose.
func WithPageSize(n int) Option { return optionFunc(func(b *Backfiller) { b.pageSize = n }) }

// WithProgressEvery sets after how many events a progress line is logged. The default is 1000.
func WithProgressEvery(n int) Option { return optionFunc(func(b *Backfiller) { b.every = n }) }

// WithInProgressWait sets how long a backfill waits for an event that another delivery is processing right
// now (webhooks.ErrInProgress) before counting it as failed. The default is 5 seconds.
func WithInProgressWait(d time.Duration) Option {
	return optionFunc(func(b *Backfiller) { b.inProgressWait = d })
}

// WithMinAge makes [Backfiller.Stream] stop at the first event younger than d, leaving it and the events
// after it (and its page) for a later run. Socotra emits events independently of storing the entities they
// name and advises waiting a few seconds after an event before fetching its entity (reference/socotra-facts.md,
// section 6): give handlers that fetch the policy or claim behind an event a few seconds here. The default,
// 0, reads up to the present.
func WithMinAge(d time.Duration) Option { return optionFunc(func(b *Backfiller) { b.minAge = d }) }

// Backfiller replays the events a receiver missed through its [Handler]: the diverted events of a Core or
// Legacy webhook, and the Core or Legacy event stream from a [Checkpoint]. Runs are sequential and in source
// order; a Backfiller is safe for concurrent use, but two runs over the same source only duplicate work.
type Backfiller struct {
	h              Handler
	log            *slog.Logger
	types          []string
	start          time.Time
	starts         []string // the start options given, by name
	startErr       error
	pageSize       int
	every          int
	inProgressWait time.Duration
	minAge         time.Duration
}

// New returns a Backfiller feeding h. It fails when h is nil or an option is out of range.
func New(h Handler, opts ...Option) (*Backfiller, error) {
	if h == nil {
		return nil, errors.New("backfill: nil Handler; pass the *webhooks.Handler that serves live deliveries")
	}
	b := &Backfiller{h: h, log: slog.New(slog.DiscardHandler), every: 1000, inProgressWait: 5 * time.Second}
	for _, o := range opts {
		if o != nil {
			o.apply(b)
		}
	}
	var errs []error
	for _, p := range b.types {
		if err := events.ValidPattern(p); err != nil {
			errs = append(errs, fmt.Errorf("backfill: WithEvents: %w", err))
		}
	}
	if b.startErr != nil {
		errs = append(errs, b.startErr)
	}
	if len(b.starts) > 1 {
		errs = append(errs, fmt.Errorf("backfill: %s: choose one start", strings.Join(b.starts, " and ")))
	}
	if b.pageSize < 0 {
		errs = append(errs, fmt.Errorf("backfill: WithPageSize(%d): must be 0 (platform default) or positive", b.pageSize))
	}
	if b.every <= 0 {
		errs = append(errs, fmt.Errorf("backfill: WithProgressEvery(%d): must be positive", b.every))
	}
	if b.inProgressWait < 0 {
		errs = append(errs, fmt.Errorf("backfill: WithInProgressWait(%s): must not be negative", b.inProgressWait))
	}
	if b.minAge < 0 {
		errs = append(errs, fmt.Errorf("backfill: WithMinAge(%s): must not be negative", b.minAge))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return b, nil
}

// wanted reports whether the type filter lets t through.
func (b *Backfiller) wanted(t events.Name) bool {
	if len(b.types) == 0 {
		return true
	}
	for _, p := range b.types {
		if events.Match(p, t) {
			return true
		}
	}
	return false
}

// outcome is what became of one event.
type outcome int

const (
	handled outcome = iota
	duplicate
	failed
)

// process gives ev to the Handler, unless it has no type, which no delivery lacks.
func (b *Backfiller) process(ctx context.Context, ev *webhooks.Event) (outcome, error) {
	if ev.Type == "" {
		return failed, fmt.Errorf("event %s has no type; a delivery always names one", ev.ID)
	}
	return b.handle(ctx, ev)
}

// handle gives ev to the Handler, waiting out another delivery's claim for up to inProgressWait.
func (b *Backfiller) handle(ctx context.Context, ev *webhooks.Event) (outcome, error) {
	wait, waited := 20*time.Millisecond, time.Duration(0)
	for {
		// The status tells the Handler's own answers from a function's error, which is a failure whatever it
		// wraps (ErrDuplicate included): errors.Is would look inside it.
		err := b.h.Handle(ctx, ev)
		switch code := webhooks.StatusCode(err); {
		case err == nil:
			return handled, nil
		case code == http.StatusOK: // webhooks.ErrDuplicate
			return duplicate, nil
		case code != http.StatusConflict || waited >= b.inProgressWait: // 409: webhooks.ErrInProgress
			return failed, err
		}
		wait = min(wait, b.inProgressWait-waited)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return failed, err
		case <-t.C:
		}
		waited += wait
		wait *= 2
	}
}

// run holds the state of one backfill run.
type run struct {
	b      *Backfiller
	source string
	began  time.Time
	rep    Report
	errs   []error // the first few event failures
}

func (b *Backfiller) newRun(ctx context.Context, source string) *run {
	b.log.LogAttrs(ctx, slog.LevelInfo, "backfill: starting", slog.String("source", source))
	return &run{b: b, source: source, began: time.Now()}
}

// count records one event's outcome, logging failures and, every so often, the progress.
func (r *run) count(ctx context.Context, o outcome, id string, err error) {
	switch o {
	case handled:
		r.rep.Handled++
	case duplicate:
		r.rep.Duplicates++
	case failed:
		r.rep.Failed++
		if len(r.errs) < 5 {
			r.errs = append(r.errs, err)
		}
		r.b.log.LogAttrs(ctx, slog.LevelError, "backfill: event not handled",
			slog.String("source", r.source), slog.String("event_id", id), slog.String("error", err.Error()))
	}
	r.seen(ctx)
}

// skip counts an event the type filter excludes.
func (r *run) skip(ctx context.Context) {
	r.rep.Skipped++
	r.seen(ctx)
}

func (r *run) seen(ctx context.Context) {
	r.rep.Seen++
	if r.rep.Seen%r.b.every == 0 {
		r.b.log.LogAttrs(ctx, slog.LevelInfo, "backfill: progress",
			append([]slog.Attr{slog.String("source", r.source)}, r.rep.attrs()...)...)
	}
}

// finish logs the summary and returns the report with the run's error: srcErr (the source or the context
// failed, nil if not) joined with an ErrIncomplete when events failed.
func (r *run) finish(ctx context.Context, srcErr error) (Report, error) {
	r.rep.Took = time.Since(r.began)
	err := srcErr
	if r.rep.Failed > 0 {
		more := ""
		if r.rep.Failed > len(r.errs) {
			more = fmt.Sprintf(" (first %d shown)", len(r.errs))
		}
		err = errors.Join(srcErr, fmt.Errorf("%w: %d of %d failed%s: %w",
			ErrIncomplete, r.rep.Failed, r.rep.Seen, more, errors.Join(r.errs...)))
	}
	attrs := append([]slog.Attr{slog.String("source", r.source), slog.Duration("took", r.rep.Took)}, r.rep.attrs()...)
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	r.b.log.LogAttrs(ctx, level, "backfill: finished", attrs...)
	return r.rep, err
}
