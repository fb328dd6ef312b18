package backfill_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

// divertAll emits n events on p while the receiver is down, so that all of them are diverted.
func (f *fixture) divertAll(t *testing.T, p events.Platform, n int) []string {
	t.Helper()
	f.down.Store(true)
	ids := f.emit(t, p, n)
	f.down.Store(false)
	hook := f.coreHook
	if p == events.Legacy {
		hook = f.legacyHook
	}
	if got := len(f.srv.DivertedEvents(hook)); got != n {
		t.Fatalf("%d diverted events, want %d", got, n)
	}
	return ids
}

// runDiverted runs the diverted backfill of platform p.
func (f *fixture) runDiverted(t *testing.T, ctx context.Context, b *backfill.Backfiller, p events.Platform) (backfill.Report, error) {
	if p == events.Core {
		return b.CoreDiverted(ctx, f.core, f.coreHook)
	}
	return b.LegacyDiverted(ctx, f.legacy, f.legacyHook)
}

func (f *fixture) hook(p events.Platform) string {
	if p == events.Core {
		return f.coreHook
	}
	return f.legacyHook
}

var platforms = []events.Platform{events.Core, events.Legacy}

func TestDivertedEventsAreReplayedOnceAndDeleted(t *testing.T) {
	t.Parallel()
	for _, p := range platforms {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ids := f.divertAll(t, p, 12)
			b, err := backfill.New(f.h)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := f.runDiverted(t, t.Context(), b, p)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Seen != 12 || rep.Handled != 12 || rep.Deleted != 12 || rep.Failed+rep.Duplicates+rep.Skipped != 0 {
				t.Errorf("report: %s", rep)
			}
			if n := len(f.srv.DivertedEvents(f.hook(p))); n != 0 {
				t.Errorf("%d diverted events left", n)
			}
			f.rec.Check(t, ids)
			if order := f.rec.Order(); !slicesEqual(order, ids) {
				t.Errorf("replayed in order %v, want the diverted order %v", order, ids)
			}

			rep, err = f.runDiverted(t, t.Context(), b, p)
			if err != nil || rep.Seen != 0 {
				t.Errorf("second run: %s, %v; want nothing to do", rep, err)
			}
		})
	}
}

func TestDivertedEventThatFailsIsKeptForTheNextRun(t *testing.T) {
	t.Parallel()
	for _, p := range platforms {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ids := f.divertAll(t, p, 8)
			f.rec.SetFail(func(ev *webhooks.Event) error {
				if ev.ID == ids[3] {
					return errBoom
				}
				return nil
			})
			b, _ := backfill.New(f.h)
			rep, err := f.runDiverted(t, t.Context(), b, p)
			if !errors.Is(err, backfill.ErrIncomplete) || !errors.Is(err, errBoom) {
				t.Fatalf("first run error = %v, want ErrIncomplete wrapping the handler's error", err)
			}
			if rep.Handled != 7 || rep.Failed != 1 || rep.Deleted != 7 {
				t.Errorf("first run: %s", rep)
			}
			left := f.srv.DivertedEvents(f.hook(p))
			if len(left) != 1 || left[0].Event.ID != ids[3] {
				t.Fatalf("diverted after the first run: %+v, want only %s", left, ids[3])
			}
			f.rec.SetFail(nil)
			rep, err = f.runDiverted(t, t.Context(), b, p)
			if err != nil || rep.Handled != 1 || rep.Deleted != 1 {
				t.Errorf("second run: %s, %v", rep, err)
			}
			f.rec.Check(t, ids)
		})
	}
}

// Regression: a function whose error wrapped webhooks.ErrDuplicate was counted a duplicate, and the
// diverted record of an event it never processed was deleted.
func TestDivertedEventWhoseFunctionWrapsASentinelIsKept(t *testing.T) {
	t.Parallel()
	for _, p := range platforms {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.divertAll(t, p, 3)
			f.rec.SetFail(func(ev *webhooks.Event) error {
				return fmt.Errorf("downstream said: %w", errors.Join(webhooks.ErrDuplicate, webhooks.ErrInProgress))
			})
			b, _ := backfill.New(f.h)
			rep, err := f.runDiverted(t, t.Context(), b, p)
			if !errors.Is(err, backfill.ErrIncomplete) || rep.Failed != 3 || rep.Duplicates+rep.Deleted+rep.Handled != 0 {
				t.Errorf("report %s, %v; want 3 failed, nothing deleted", rep, err)
			}
			if n := len(f.srv.DivertedEvents(f.hook(p))); n != 3 {
				t.Errorf("%d diverted events left, want 3", n)
			}
		})
	}
}

// A crash after an event was handled but before its diverted record was deleted: the next run finds the
// event done (a duplicate), deletes the record, and does not process the event again.
func TestDivertedCrashBetweenHandlingAndDeleting(t *testing.T) {
	t.Parallel()
	for _, p := range platforms {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ids := f.divertAll(t, p, 6)
			ctx, crash := context.WithCancel(t.Context())
			f.rec.SetFail(func(ev *webhooks.Event) error {
				if ev.ID == ids[2] {
					crash() // the process dies while this handler returns
				}
				return nil
			})
			b, _ := backfill.New(f.h)
			rep, err := f.runDiverted(t, ctx, b, p)
			if !errors.Is(err, context.Canceled) || !errors.Is(err, backfill.ErrIncomplete) {
				t.Fatalf("crashed run error = %v, want context.Canceled and ErrIncomplete", err)
			}
			if rep.Handled != 2 || rep.Failed != 1 || rep.Deleted != 2 {
				t.Errorf("crashed run: %s", rep)
			}
			if n := len(f.srv.DivertedEvents(f.hook(p))); n != 4 {
				t.Errorf("%d diverted records after the crash, want 4 (the handled-but-undeleted one kept)", n)
			}
			f.rec.SetFail(nil)
			rep, err = f.runDiverted(t, t.Context(), b, p)
			if err != nil || rep.Duplicates != 1 || rep.Handled != 3 || rep.Deleted != 4 {
				t.Errorf("next run: %s, %v; want 1 duplicate, 3 handled, 4 deleted", rep, err)
			}
			f.rec.Check(t, ids)
		})
	}
}

func TestManyFailuresAreSummarised(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.divertAll(t, events.Core, 9)
	f.rec.SetFail(func(*webhooks.Event) error { return errBoom })
	b, _ := backfill.New(f.h)
	rep, err := b.CoreDiverted(t.Context(), f.core, f.coreHook)
	if rep.Failed != 9 || err == nil || !strings.Contains(err.Error(), "9 of 9 failed (first 5 shown)") ||
		strings.Count(err.Error(), "boom") != 5 {
		t.Errorf("%s, %v; want a summary with the first 5 errors", rep, err)
	}
}

func TestDivertedTypeFilterLeavesOtherRecords(t *testing.T) {
	t.Parallel()
	for _, p := range platforms {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ids := f.divertAll(t, p, 9) // types cycle: two policy.quote.* names, then another (see subscribed)
			b, err := backfill.New(f.h, backfill.WithEvents("policy.quote.*"))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := f.runDiverted(t, t.Context(), b, p)
			if err != nil || rep.Handled != 6 || rep.Skipped != 3 || rep.Deleted != 6 {
				t.Fatalf("filtered run: %s, %v", rep, err)
			}
			for _, d := range f.srv.DivertedEvents(f.hook(p)) {
				if d.Event.Type != subscribed(p)[2] {
					t.Errorf("diverted %s (%s) left behind", d.Event.ID, d.Event.Type)
				}
			}
			var quotes []string
			for i, id := range ids {
				if i%3 != 2 {
					quotes = append(quotes, id)
				}
			}
			f.rec.Check(t, quotes)
		})
	}
}

func TestDivertedListFailureIsReported(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b, _ := backfill.New(f.h)
	_, err := b.CoreDiverted(t.Context(), f.core, "01JDNOSUCHWEBHOOK000000000")
	if err == nil || !strings.Contains(err.Error(), "backfill: list the diverted events of webhook 01JDNOSUCHWEBHOOK000000000") {
		t.Errorf("CoreDiverted of an unknown webhook = %v", err)
	}
	_, err = b.LegacyDiverted(t.Context(), f.legacy, "no-such-webhook")
	if err == nil || !strings.Contains(err.Error(), `backfill: list the diverted events of webhook "no-such-webhook"`) {
		t.Errorf("LegacyDiverted of an unknown webhook = %v", err)
	}
}

func TestProgressIsLogged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.divertAll(t, events.Core, 10)
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	b, _ := backfill.New(f.h, backfill.WithLogger(log), backfill.WithProgressEvery(4))
	if _, err := b.CoreDiverted(t.Context(), f.core, f.coreHook); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, "backfill: progress"); n != 2 {
		t.Errorf("%d progress lines for 10 events every 4, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "seen=8 handled=8") || !strings.Contains(out, "msg=\"backfill: finished\"") ||
		!strings.Contains(out, "seen=10 handled=10 duplicates=0 skipped=0 failed=0 deleted=10") {
		t.Errorf("log lacks the counts:\n%s", out)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
