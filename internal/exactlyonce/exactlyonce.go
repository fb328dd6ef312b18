// Package exactlyonce is the test helper that checks a receiver processed every event exactly once: a
// [Recorder] is the handler function of a test's webhooks.Handler, and [Recorder.Check] fails the test
// for an event processed never, twice, or without having been emitted. The backfill tests and the
// end-to-end tests in internal/e2e share it.
//
// The counting per event id is conformance.Probe's, the same a user's receiver is checked with.
package exactlyonce

import (
	"context"
	"sync"
	"testing"

	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/conformance"
)

// Recorder records the successful runs of its handler function, [Recorder.Handle]: how many per event id,
// in which order, and how many came through a backfill (see [Backfill]). It can be made to fail chosen
// events. The zero Recorder is ready to use; it is safe for concurrent use.
type Recorder struct {
	probe conformance.Probe // counts per event id

	mu         sync.Mutex
	order      []string
	backfilled int
	fail       func(ev *webhooks.Event) error
}

type backfillKey struct{}

// Backfill marks ctx as the context of a backfill run, so that the Recorder counts the events it hands
// over as backfilled rather than delivered live.
func Backfill(ctx context.Context) context.Context {
	return context.WithValue(ctx, backfillKey{}, true)
}

// Handle is a webhooks.HandlerFunc: it fails with the error of the function given to [Recorder.SetFail],
// if that returns one, and otherwise records ev as processed.
func (r *Recorder) Handle(ctx context.Context, ev *webhooks.Event) error {
	r.mu.Lock()
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(ev); err != nil {
			return err
		}
	}
	if err := r.probe.Observe(ev.ID); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.order = append(r.order, ev.ID)
	if ctx.Value(backfillKey{}) != nil {
		r.backfilled++
	}
	return nil
}

// SetFail makes Handle fail each event for which fn returns an error; nil stops failing.
func (r *Recorder) SetFail(fn func(ev *webhooks.Event) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = fn
}

// Count reports how many times the event id was processed.
func (r *Recorder) Count(id string) int { return r.probe.Processed(id) }

// Order returns the ids of the events processed, in the order they were, repeats included.
func (r *Recorder) Order() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.order...)
}

// Live reports how many events were processed from a live delivery: those not counted by
// [Recorder.Backfilled].
func (r *Recorder) Live() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.order) - r.backfilled
}

// Backfilled reports how many events were processed in a context marked by [Backfill].
func (r *Recorder) Backfilled() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.backfilled
}

// Check fails t unless every id in want was processed exactly once and nothing else was processed. It
// names the first few events at fault.
func (r *Recorder) Check(t testing.TB, want []string) {
	t.Helper()
	order := r.Order()
	wanted := make(map[string]bool, len(want))
	missing, twice := 0, 0
	for _, id := range want {
		if wanted[id] {
			t.Errorf("event %s is listed twice in what was emitted", id)
			continue
		}
		wanted[id] = true
		switch n := r.Count(id); {
		case n == 0:
			if missing++; missing <= 5 {
				t.Errorf("event %s never processed", id)
			}
		case n > 1:
			if twice++; twice <= 5 {
				t.Errorf("event %s processed %d times", id, n)
			}
		}
	}
	for _, id := range order {
		if !wanted[id] {
			t.Errorf("event %s processed but never emitted", id)
			wanted[id] = true // once per id
		}
	}
	if missing+twice > 0 {
		t.Fatalf("of %d events, %d never processed and %d processed more than once", len(want), missing, twice)
	}
}
