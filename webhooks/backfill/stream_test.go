package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

// streamFixture is a fixture whose deliveries are all dropped, so that events reach the Handler only
// through the event stream, with n Core events emitted and a file checkpoint.
func streamFixture(t *testing.T, n int, opts ...socotratest.Option) (*fixture, []string, *backfill.FileCheckpoint) {
	t.Helper()
	f := newFixture(t, append([]socotratest.Option{socotratest.WithFaults(socotratest.Faults{Drop: 1})}, opts...)...)
	ids := f.emit(t, events.Core, n)
	cp, err := backfill.NewFileCheckpoint(filepath.Join(t.TempDir(), "stream.checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	return f, ids, cp
}

func TestStreamReplaysMissedEventsAndResumes(t *testing.T) {
	t.Parallel()
	f, ids, cp := streamFixture(t, 23)
	b, _ := backfill.New(f.h, backfill.WithFromBeginning(), backfill.WithPageSize(5))
	rep, err := b.Stream(t.Context(), f.core, cp)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Seen != 23 || rep.Handled != 23 || rep.Checkpoint == "" {
		t.Fatalf("first run: %s, checkpoint %q", rep, rep.Checkpoint)
	}
	if saved, _ := cp.Load(t.Context()); saved != rep.Checkpoint {
		t.Errorf("saved checkpoint %q, report says %q", saved, rep.Checkpoint)
	}
	f.rec.Check(t, ids)

	more := f.emit(t, events.Core, 7)
	rep, err = b.Stream(t.Context(), f.core, cp)
	if err != nil {
		t.Fatal(err)
	}
	// The last page's token stays valid after the end: the run resumes right after the first run's
	// last event, with no duplicates and not at the start.
	if rep.Handled != 7 || rep.Duplicates != 0 || rep.Seen != 7 {
		t.Errorf("second run: %s; want the 7 new events and nothing else", rep)
	}
	f.rec.Check(t, append(ids, more...))
}

// A crash (the context cancelled) right after the handler of event k returned: the next run resumes at the
// page holding k, and every event is processed exactly once.
func TestStreamCrashAtAnyPoint(t *testing.T) {
	t.Parallel()
	const n, page = 23, 5
	for _, k := range []int{0, 1, 4, 5, 9, 12, 20, 22} {
		t.Run(fmt.Sprint("crash after event ", k), func(t *testing.T) {
			t.Parallel()
			f, ids, cp := streamFixture(t, n)
			ctx, crash := context.WithCancel(t.Context())
			f.rec.SetFail(func(ev *webhooks.Event) error {
				if ev.ID == ids[k] {
					crash()
				}
				return nil
			})
			b, _ := backfill.New(f.h, backfill.WithFromBeginning(), backfill.WithPageSize(page))
			if _, err := b.Stream(ctx, f.core, cp); !errors.Is(err, context.Canceled) {
				t.Fatalf("crashed run: %v, want context.Canceled", err)
			}
			f.rec.SetFail(nil)
			rep, err := b.Stream(t.Context(), f.core, cp)
			if err != nil {
				t.Fatal(err)
			}
			if want := n - page*(k/page); rep.Seen != want {
				t.Errorf("resumed run saw %d events, want %d (from the page holding event %d)", rep.Seen, want, k)
			}
			if rep.Duplicates != k%page+1 {
				t.Errorf("resumed run: %s; want %d duplicates (the handled part of the page)", rep, k%page+1)
			}
			f.rec.Check(t, ids)
		})
	}
}

func TestStreamFailedEventHoldsTheCheckpoint(t *testing.T) {
	t.Parallel()
	f, ids, cp := streamFixture(t, 23)
	f.rec.SetFail(func(ev *webhooks.Event) error {
		if ev.ID == ids[7] {
			return errBoom
		}
		return nil
	})
	b, _ := backfill.New(f.h, backfill.WithFromBeginning(), backfill.WithPageSize(5))
	rep, err := b.Stream(t.Context(), f.core, cp)
	if !errors.Is(err, backfill.ErrIncomplete) || rep.Failed != 1 || rep.Handled != 22 {
		t.Fatalf("first run: %s, %v", rep, err)
	}
	f.rec.SetFail(nil)
	rep, err = b.Stream(t.Context(), f.core, cp)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Handled != 1 || rep.Seen != 18 {
		t.Errorf("second run: %s; want the failed event handled, resuming at its page (18 events)", rep)
	}
	f.rec.Check(t, ids)
}

// failingCheckpoint fails every Save after the first ok ones.
type failingCheckpoint struct {
	backfill.Checkpoint
	ok int
}

func (c *failingCheckpoint) Save(ctx context.Context, tok string) error {
	if c.ok == 0 {
		return errors.New("disk full")
	}
	c.ok--
	return c.Checkpoint.Save(ctx, tok)
}

func TestStreamCheckpointSaveFailureStopsTheRun(t *testing.T) {
	t.Parallel()
	f, ids, cp := streamFixture(t, 23)
	b, _ := backfill.New(f.h, backfill.WithFromBeginning(), backfill.WithPageSize(5))
	rep, err := b.Stream(t.Context(), f.core, &failingCheckpoint{Checkpoint: cp, ok: 2})
	if err == nil || !strings.Contains(err.Error(), "disk full") || rep.Seen != 15 {
		t.Fatalf("run with a failing checkpoint: %s, %v; want it to stop when the third save fails", rep, err)
	}
	rep, err = b.Stream(t.Context(), f.core, cp)
	if err != nil || rep.Seen != 13 {
		t.Fatalf("next run: %s, %v; want 13 events from the last saved page", rep, err)
	}
	f.rec.Check(t, ids)
}

func TestStreamStartsAtWithStart(t *testing.T) {
	t.Parallel()
	f, _, cp := streamFixture(t, 0)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var late []string
	for i := range 10 {
		e, err := f.srv.Emit(t.Context(), events.Core, socotratest.Event{
			Type: events.PolicyQuoteIssue, Time: base.Add(time.Duration(i) * time.Hour),
		})
		if err != nil {
			t.Fatal(err)
		}
		if i >= 6 {
			late = append(late, e.ID)
		}
	}
	b, _ := backfill.New(f.h, backfill.WithStart(base.Add(6*time.Hour)), backfill.WithPageSize(3))
	rep, err := b.Stream(t.Context(), f.core, cp)
	if err != nil || rep.Handled != 4 {
		t.Fatalf("%s, %v; want the 4 events from the start time on", rep, err)
	}
	f.rec.Check(t, late)
}

func TestStreamTypeFilterSkipsAndAdvances(t *testing.T) {
	t.Parallel()
	f, ids, cp := streamFixture(t, 12)
	b, _ := backfill.New(f.h, backfill.WithFromBeginning(), backfill.WithPageSize(4), backfill.WithEvents("billing.*"))
	rep, err := b.Stream(t.Context(), f.core, cp)
	if err != nil || rep.Handled != 4 || rep.Skipped != 8 {
		t.Fatalf("%s, %v; want 4 billing events handled and 8 skipped", rep, err)
	}
	f.rec.Check(t, []string{ids[2], ids[5], ids[8], ids[11]})
}

func TestStreamWaitsForAnEventInProgress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		wait     time.Duration
		complete bool // the other delivery completes (else it holds the claim)
		cancel   bool // the run's context ends once the backfill is waiting
		wantErr  error
	}{
		{"other delivery completes", 5 * time.Second, true, false, nil},
		{"claim held too long", 30 * time.Millisecond, false, false, webhooks.ErrInProgress},
		{"context ends while waiting", time.Minute, false, true, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, socotratest.WithFaults(socotratest.Faults{Drop: 1}))
			dd := webhooks.NewMemoryDeduper(0, 0)
			h := webhooks.NewHandler(webhooks.WithDeduper(dd))
			h.On("*", f.rec.Handle)
			ids := f.emit(t, events.Core, 1)
			if c, _ := dd.Claim(t.Context(), ids[0]); c != webhooks.Claimed { // a live delivery is running
				t.Fatal(c)
			}
			if tc.complete {
				time.AfterFunc(50*time.Millisecond, func() { dd.Complete(context.Background(), ids[0]) })
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var target backfill.Handler = h
			if tc.cancel { // end the run at the first refusal, so that it ends while waiting, whatever the load
				target = handlerFunc(func(ctx context.Context, ev *webhooks.Event) error {
					err := h.Handle(ctx, ev)
					if errors.Is(err, webhooks.ErrInProgress) {
						cancel()
					}
					return err
				})
			}
			cp, _ := backfill.NewFileCheckpoint(filepath.Join(t.TempDir(), "cp"))
			b, _ := backfill.New(target, backfill.WithFromBeginning(), backfill.WithInProgressWait(tc.wait))
			start := time.Now()
			rep, err := b.Stream(ctx, f.core, cp)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Stream: %s, %v; want %v", rep, err, tc.wantErr)
			}
			if took := time.Since(start); took > tc.wait/2+5*time.Second {
				t.Errorf("Stream took %s", took)
			}
			if tc.complete && rep.Duplicates != 1 || !tc.complete && rep.Failed != 1 {
				t.Errorf("report: %s", rep)
			}
		})
	}
}

// handlerFunc adapts a function to backfill.Handler.
type handlerFunc func(ctx context.Context, ev *webhooks.Event) error

func (f handlerFunc) Handle(ctx context.Context, ev *webhooks.Event) error { return f(ctx, ev) }

func TestNilArgumentsAreRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b, _ := backfill.New(f.h, backfill.WithFromBeginning())
	if _, err := b.Stream(t.Context(), f.core, nil); err == nil || !strings.Contains(err.Error(), "nil Checkpoint") {
		t.Errorf("Stream(nil checkpoint) = %v", err)
	}
	cp, _ := backfill.NewFileCheckpoint(filepath.Join(t.TempDir(), "cp"))
	for name, run := range map[string]func() error{
		"Stream":         func() error { _, err := b.Stream(t.Context(), nil, cp); return err },
		"CoreDiverted":   func() error { _, err := b.CoreDiverted(t.Context(), nil, f.coreHook); return err },
		"LegacyDiverted": func() error { _, err := b.LegacyDiverted(t.Context(), nil, f.legacyHook); return err },
	} {
		if err := run(); err == nil || !strings.Contains(err.Error(), "nil client") {
			t.Errorf("%s with a nil client = %v", name, err)
		}
	}
}

// When the platform gives no paging token on the last page (whether Core does is unconfirmed), the
// checkpoint holds the time of the last event, and the next run starts there instead of at the beginning.
func TestStreamWithoutPagingTokenRemembersTheTime(t *testing.T) {
	t.Parallel()
	f, ids, cp := streamFixture(t, 3, socotratest.WithoutFinalPagingToken())
	b, _ := backfill.New(f.h, backfill.WithFromBeginning()) // the platform's page size, far above 3
	rep, err := b.Stream(t.Context(), f.core, cp)
	if err != nil || rep.Handled != 3 || !strings.HasPrefix(rep.Checkpoint, "since:") {
		t.Fatalf("first run: %s, %v, checkpoint %q", rep, err, rep.Checkpoint)
	}
	more := f.emit(t, events.Core, 2)
	rep, err = b.Stream(t.Context(), f.core, cp)
	if err != nil || rep.Seen != 3 || rep.Duplicates != 1 || rep.Handled != 2 {
		t.Fatalf("second run: %s, %v; want the last event again (a duplicate) and the 2 new ones", rep, err)
	}
	f.rec.Check(t, append(ids, more...))

	if err := cp.Save(t.Context(), "since:yesterday"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stream(t.Context(), f.core, cp); err == nil || !strings.Contains(err.Error(), `checkpoint "since:yesterday" is neither a paging token nor a time`) {
		t.Errorf("Stream from a corrupt checkpoint: %v", err)
	}
}
