package e2e

import (
	"context"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socotra-go/sdk/internal/exactlyonce"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

// backfillAll runs the diverted-events backfill and then the event-stream backfill.
func (e *env) backfillAll(t *testing.T) (diverted, stream backfill.Report) {
	t.Helper()
	ctx := exactlyonce.Backfill(t.Context())
	b, err := backfill.New(e.h, backfill.WithFromBeginning(), backfill.WithPageSize(50))
	if err != nil {
		t.Fatal(err)
	}
	if diverted, err = b.CoreDiverted(ctx, e.core, e.hook); err != nil {
		t.Fatal(err)
	}
	cp, err := backfill.NewFileCheckpoint(filepath.Join(t.TempDir(), "stream"))
	if err != nil {
		t.Fatal(err)
	}
	if stream, err = b.Stream(ctx, e.core, cp); err != nil {
		t.Fatal(err)
	}
	return diverted, stream
}

// The receiver is down when 30 events happen and comes back after a while. The webhook retries after 1,
// 2 and 4 seconds, then diverts. Whatever the length of the outage, every event arrives exactly once,
// by retry or by backfill.
func TestReceiverDownThenBack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		down         time.Duration // how long after the events the receiver comes back
		drop         float64
		wantDiverted bool // the retries ran out for every event
	}{
		{"back before the first retry", 500 * time.Millisecond, 0, false},
		{"back before the last retry", 5 * time.Second, 0, false},
		{"back after the retries ran out", time.Minute, 0, true},
		{"back after the retries ran out, with drops", time.Minute, 0.2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envConfig{faults: socotratest.Faults{Seed: 3, Drop: tc.drop}})
			e.setDown(e.clock.Now(), e.clock.Now().Add(tc.down))
			var ids []string
			for i := range 30 {
				ids = append(ids, e.emit(t, i))
			}
			e.flush(t)
			diverted := len(e.srv.DivertedEvents(e.hook))
			if tc.wantDiverted != (diverted > 0) || tc.wantDiverted && e.rec.Live() > 0 {
				t.Errorf("%d events diverted and %d delivered live; want diverted only: %t", diverted, e.rec.Live(), tc.wantDiverted)
			}
			d, s := e.backfillAll(t)
			e.rec.Check(t, ids)
			if d.Handled != diverted || e.rec.Live()+d.Handled+s.Handled != len(ids) {
				t.Errorf("live %d, diverted backfill %s, stream backfill %s", e.rec.Live(), d, s)
			}
			if tc.drop > 0 && s.Handled == 0 {
				t.Error("no dropped event came back through the event stream")
			}
			if n := len(e.srv.DivertedEvents(e.hook)); n != 0 {
				t.Errorf("%d diverted events left after the backfill", n)
			}
		})
	}
}

// crashingStore is a Deduper whose process dies on the crashAt-th Complete: after the handlers of that
// event ran and before the event was recorded as done. The delivery gets no answer, the claim is lost
// with the process (as a Redis claim expires with its lease), and nothing says the event was processed.
type crashingStore struct {
	*webhooks.MemoryDeduper
	crashAt int64
	calls   atomic.Int64
	crashed atomic.Pointer[string] // the id of the event being completed at the crash
}

func (c *crashingStore) Complete(ctx context.Context, id string) error {
	if c.calls.Add(1) == c.crashAt {
		c.crashed.Store(&id)
		_ = c.MemoryDeduper.Release(ctx, id) // the claim's lease runs out
		panic(http.ErrAbortHandler)          // the process dies: the connection drops unanswered
	}
	return c.MemoryDeduper.Complete(ctx, id)
}

// A crash between handling an event and marking it done: the tenant sees the delivery fail and retries
// it, so the event is handled again rather than lost. Every other event is handled exactly once.
func TestCrashBetweenHandlingAndMarkingDone(t *testing.T) {
	t.Parallel()
	store := &crashingStore{MemoryDeduper: webhooks.NewMemoryDeduper(0, 0), crashAt: 4}
	e := newEnv(t, envConfig{dedupe: store})
	var ids []string
	for i := range 10 {
		ids = append(ids, e.emit(t, i))
	}
	e.flush(t)
	p := store.crashed.Load()
	if p == nil {
		t.Fatal("no crash happened")
	}
	crashed := *p
	if n := e.rec.Count(crashed); n != 2 {
		t.Errorf("the event completed at the crash was handled %d times, want 2 (again after the crash, not lost)", n)
	}
	var attempts []int
	for _, d := range e.srv.Deliveries() {
		if d.EventID == crashed {
			attempts = append(attempts, d.Status)
		}
	}
	if len(attempts) != 2 || attempts[0] != 0 || attempts[1] != http.StatusOK {
		t.Errorf("deliveries of the crashed event answered %v, want [0 (no answer) 200]", attempts)
	}
	if c, _ := store.Claim(t.Context(), crashed); c != webhooks.Done {
		t.Errorf("after the retry the event is %s, want done", c)
	}
	for _, id := range ids {
		if id != crashed {
			if n := e.rec.Count(id); n != 1 {
				t.Errorf("event %s handled %d times, want once", id, n)
			}
		}
	}
	if d, s := e.backfillAll(t); d.Seen != 0 || s.Handled != 0 || s.Duplicates != len(ids) {
		t.Errorf("backfill after the retry: diverted %s, stream %s; want nothing left to handle", d, s)
	}
}
