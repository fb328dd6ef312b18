package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

// streamTypes are event types each platform sends, cycled through by emitStream.
var streamTypes = map[events.Platform][]events.Name{
	events.Core:   {events.PolicyQuoteCreate, events.PolicyQuoteIssue, events.BillingHoldCreate},
	events.Legacy: {events.PolicyCreate, events.PolicyIssue, events.ClaimCreate},
}

// emitStream emits n events on p that reach the Handler only through the event stream (the fixture drops
// every delivery), one second apart on the tenant's fake clock, and returns their ids.
func (f *fixture) emitStream(t *testing.T, clock *socotratest.FakeClock, p events.Platform, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		e, err := f.srv.Emit(t.Context(), p, socotratest.Event{Type: streamTypes[p][i%len(streamTypes[p])]})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
		clock.Advance(time.Second)
	}
	return ids
}

// client returns the fixture's client for p.
func (f *fixture) client(p events.Platform) backfill.Client {
	if p == events.Core {
		return f.core
	}
	return f.legacy
}

// platformStream is a fixture that drops every delivery, runs on a fake clock, and has a file checkpoint.
func platformStream(t *testing.T) (*fixture, *socotratest.FakeClock, *backfill.FileCheckpoint) {
	t.Helper()
	clock := socotratest.NewFakeClock(time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC))
	f := newFixture(t, socotratest.WithFaults(socotratest.Faults{Drop: 1}), socotratest.WithClock(clock))
	cp, err := backfill.NewFileCheckpoint(filepath.Join(t.TempDir(), "stream.checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	return f, clock, cp
}

// The event stream and a checkpoint handle every event exactly once across
// two runs, on both platforms, and events of the other platform are not read.
func TestStreamBothPlatformsExactlyOnceAcrossTwoRuns(t *testing.T) {
	t.Parallel()
	for _, p := range platforms {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			f, clock, cp := platformStream(t)
			other := events.Legacy
			if p == events.Legacy {
				other = events.Core
			}
			f.emitStream(t, clock, other, 4) // not this platform's stream
			ids := f.emitStream(t, clock, p, 23)
			b, err := backfill.New(f.h, backfill.WithFromBeginning(), backfill.WithPageSize(5))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := b.Stream(t.Context(), f.client(p), cp)
			if err != nil || rep.Seen != 23 || rep.Handled != 23 || rep.Checkpoint == "" {
				t.Fatalf("first run: %s, %v, checkpoint %q", rep, err, rep.Checkpoint)
			}
			f.rec.Check(t, ids)

			more := f.emitStream(t, clock, p, 7)
			rep, err = b.Stream(t.Context(), f.client(p), cp)
			if err != nil || rep.Handled != 7 {
				t.Fatalf("second run: %s, %v", rep, err)
			}
			// Legacy's token of the caught-up page resumes after it (socotra/public client.py); that Core's
			// final token does too is an assumption, so only Legacy's count is checked.
			if p == events.Legacy && rep.Seen != 7 {
				t.Errorf("second Legacy run saw %d events, want only the 7 new ones", rep.Seen)
			}
			f.rec.Check(t, append(ids, more...))

			rep, err = b.Stream(t.Context(), f.client(p), cp)
			if err != nil || rep.Handled != 0 {
				t.Errorf("third run with nothing new: %s, %v", rep, err)
			}
		})
	}
}

// A crash (the context cancelled) right after the handler of event k returned: the next run resumes at
// the page holding k, and every Legacy event is processed exactly once.
func TestStreamLegacyCrashAtAnyPoint(t *testing.T) {
	t.Parallel()
	const n, page = 17, 4
	for _, k := range []int{0, 3, 4, 9, 15, 16} {
		t.Run(fmt.Sprint("crash after event ", k), func(t *testing.T) {
			t.Parallel()
			f, clock, cp := platformStream(t)
			ids := f.emitStream(t, clock, events.Legacy, n)
			ctx, crash := context.WithCancel(t.Context())
			f.rec.SetFail(func(ev *webhooks.Event) error {
				if ev.ID == ids[k] {
					crash()
				}
				return nil
			})
			b, _ := backfill.New(f.h, backfill.WithFromBeginning(), backfill.WithPageSize(page))
			if _, err := b.Stream(ctx, f.legacy, cp); !errors.Is(err, context.Canceled) {
				t.Fatalf("crashed run: %v, want context.Canceled", err)
			}
			f.rec.SetFail(nil)
			rep, err := b.Stream(t.Context(), f.legacy, cp)
			if err != nil {
				t.Fatal(err)
			}
			if want := n - page*(k/page); rep.Seen != want || rep.Duplicates != k%page+1 {
				t.Errorf("resumed run: %s; want %d seen from the page holding event %d, %d duplicates", rep, want, k, k%page+1)
			}
			f.rec.Check(t, ids)
		})
	}
}

// A failed Legacy event holds the checkpoint before it; the next run retries it.
func TestStreamLegacyFailedEventIsRetried(t *testing.T) {
	t.Parallel()
	f, clock, cp := platformStream(t)
	ids := f.emitStream(t, clock, events.Legacy, 11)
	f.rec.SetFail(func(ev *webhooks.Event) error {
		if ev.ID == ids[6] {
			return errBoom
		}
		return nil
	})
	b, _ := backfill.New(f.h, backfill.WithFromBeginning(), backfill.WithPageSize(3))
	rep, err := b.Stream(t.Context(), f.legacy, cp)
	if !errors.Is(err, backfill.ErrIncomplete) || rep.Failed != 1 || rep.Handled != 10 {
		t.Fatalf("first run: %s, %v", rep, err)
	}
	f.rec.SetFail(nil)
	rep, err = b.Stream(t.Context(), f.legacy, cp)
	if err != nil || rep.Handled != 1 || rep.Seen != 5 {
		t.Fatalf("second run: %s, %v; want the failed event handled, resuming at its page (5 events)", rep, err)
	}
	f.rec.Check(t, ids)
}

// With an empty checkpoint, Stream starts only where the caller said.
func TestStreamEmptyCheckpointNeedsAChosenStart(t *testing.T) {
	t.Parallel()
	for _, p := range platforms {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			f, clock, cp := platformStream(t)
			f.emitStream(t, clock, p, 5) // before the chosen start
			deployed := clock.Now()
			recent := f.emitStream(t, clock, p, 3)

			b, err := backfill.New(f.h, backfill.WithPageSize(2))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := b.Stream(t.Context(), f.client(p), cp)
			if !errors.Is(err, backfill.ErrNoStart) || rep.Seen != 0 {
				t.Fatalf("no start chosen: %s, %v; want ErrNoStart before reading anything", rep, err)
			}
			for _, want := range []string{"WithStart", "WithFromBeginning"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
			if tok, _ := cp.Load(t.Context()); tok != "" {
				t.Errorf("checkpoint %q written by a refused run", tok)
			}

			from, _ := backfill.New(f.h, backfill.WithPageSize(2), backfill.WithStart(deployed))
			if rep, err := from.Stream(t.Context(), f.client(p), cp); err != nil || rep.Handled != 3 {
				t.Fatalf("WithStart: %s, %v; want the 3 events from the start time on", rep, err)
			}
			f.rec.Check(t, recent)

			// Once the checkpoint holds a position, no start option is needed, and none moves it.
			more := f.emitStream(t, clock, p, 2)
			if rep, err := b.Stream(t.Context(), f.client(p), cp); err != nil || rep.Handled != 2 {
				t.Fatalf("resumed without a start option: %s, %v", rep, err)
			}
			all, _ := backfill.New(f.h, backfill.WithFromBeginning())
			if rep, err := all.Stream(t.Context(), f.client(p), cp); err != nil || rep.Handled != 0 {
				t.Fatalf("WithFromBeginning with a saved checkpoint: %s, %v; want the checkpoint to win", rep, err)
			}
			f.rec.Check(t, append(recent, more...))
		})
	}
}

// A checkpoint file emptied by accident stops the run instead of replaying everything.
func TestStreamRefusesAnEmptiedCheckpointFile(t *testing.T) {
	t.Parallel()
	f, clock, cp := platformStream(t)
	f.emitStream(t, clock, events.Legacy, 4)
	if err := os.WriteFile(cp.Path(), []byte(" \r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := backfill.New(f.h, backfill.WithFromBeginning())
	rep, err := b.Stream(t.Context(), f.legacy, cp)
	if err == nil || !strings.Contains(err.Error(), "holds no token") || rep.Seen != 0 {
		t.Errorf("Stream from an emptied checkpoint file: %s, %v; want an error before reading", rep, err)
	}
}

// The diverted events of a registration, by its name, in one call.
func TestDivertedByRegistrationName(t *testing.T) {
	t.Parallel()
	for _, p := range platforms {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ids := f.divertAll(t, p, 5)
			name := "backfill-core"
			if p == events.Legacy {
				name = "backfill-legacy"
			}
			b, _ := backfill.New(f.h)
			rep, err := b.Diverted(t.Context(), f.client(p), name)
			if err != nil || rep.Handled != 5 || rep.Deleted != 5 {
				t.Fatalf("Diverted(%q): %s, %v", name, rep, err)
			}
			f.rec.Check(t, ids)
			if n := len(f.srv.DivertedEvents(f.hook(p))); n != 0 {
				t.Errorf("%d diverted records left", n)
			}
		})
	}
}

// Two Core webhooks with one name (a registration cut short between create and clean-up): both are
// replayed in one run; an unknown name is ErrNotFound.
func TestDivertedByNameCoreDuplicatesAndUnknown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	second, err := f.core.CreateWebhook(t.Context(), socotra.Webhook{
		Name: "backfill-core", Enabled: true, Events: []events.Name{events.PolicyQuoteCreate},
		Endpoint: socotra.Endpoint{URL: f.receiverURL + "/core", HMAC: true, Secret: secret},
		Failure:  &socotra.FailureHandling{Triggers: []string{"5xx"}, Divert: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.down.Store(true)
	ids := f.emit(t, events.Core, 3) // the quote.create ones reach both webhooks
	f.down.Store(false)
	if len(f.srv.DivertedEvents(second.Locator)) == 0 || len(f.srv.DivertedEvents(f.coreHook)) != 3 {
		t.Fatalf("diverted: %d and %d", len(f.srv.DivertedEvents(second.Locator)), len(f.srv.DivertedEvents(f.coreHook)))
	}
	b, _ := backfill.New(f.h)
	rep, err := b.Diverted(t.Context(), f.core, "backfill-core")
	if err != nil || rep.Handled != 3 || rep.Duplicates != 1 || rep.Deleted != 4 {
		t.Fatalf("Diverted: %s, %v; want 3 events handled, the copy of the second webhook a duplicate, 4 deleted", rep, err)
	}
	f.rec.Check(t, ids)
	if n := len(f.srv.DivertedEvents(second.Locator)); n != 0 {
		t.Errorf("%d diverted records left on the second webhook", n)
	}

	for _, c := range []backfill.Client{f.core, f.legacy} {
		if _, err := b.Diverted(t.Context(), c, "no-such-webhook"); !errors.Is(err, socotra.ErrNotFound) {
			t.Errorf("Diverted(%T, unknown name) = %v, want ErrNotFound", c, err)
		}
	}
	for name, c := range map[string]backfill.Client{
		"nil": nil, "nil core": (*socotra.CoreClient)(nil), "nil legacy": (*socotra.LegacyClient)(nil),
	} {
		if _, err := b.Diverted(t.Context(), c, "backfill-core"); err == nil || !strings.Contains(err.Error(), "nil client") {
			t.Errorf("Diverted(%s client) = %v", name, err)
		}
		if _, err := b.Stream(t.Context(), c, nil); err == nil || !strings.Contains(err.Error(), "nil client") {
			t.Errorf("Stream(%s client) = %v", name, err)
		}
	}
	if _, err := b.Diverted(t.Context(), otherClient{}, "x"); err == nil || !strings.Contains(err.Error(), "needs a *socotra.CoreClient or a *socotra.LegacyClient") {
		t.Errorf("Diverted(other client) = %v", err)
	}
	cp, _ := backfill.NewFileCheckpoint(filepath.Join(t.TempDir(), "cp"))
	all, _ := backfill.New(f.h, backfill.WithFromBeginning())
	if _, err := all.Stream(t.Context(), otherClient{}, cp); err == nil || !strings.Contains(err.Error(), "EventStream returned nil") {
		t.Errorf("Stream(client without a stream) = %v", err)
	}
	if _, err := b.Diverted(t.Context(), f.core, ""); err == nil || !strings.Contains(err.Error(), "empty webhook name") {
		t.Errorf("Diverted(empty name) = %v", err)
	}
}

// otherClient is a Client that is neither of the SDK's.
type otherClient struct{}

func (otherClient) EventStream(socotra.EventQuery) *socotra.EventStream { return nil }

// WithMinAge leaves events younger than the age for a later run, on both platforms, and loses none.
func TestStreamMinAgeLeavesYoungEventsForLater(t *testing.T) {
	t.Parallel()
	for _, p := range platforms {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			f, _, cp := platformStream(t)
			now := time.Now()
			var old, young []string
			for i := range 5 {
				at, list := now.Add(-time.Hour+time.Duration(i)*time.Second), &old
				if i >= 3 {
					at, list = now.Add(time.Duration(i)*time.Millisecond), &young
				}
				e, err := f.srv.Emit(t.Context(), p, socotratest.Event{Type: streamTypes[p][0], Time: at})
				if err != nil {
					t.Fatal(err)
				}
				*list = append(*list, e.ID)
			}
			b, err := backfill.New(f.h, backfill.WithFromBeginning(), backfill.WithPageSize(2), backfill.WithMinAge(time.Hour/2))
			if err != nil {
				t.Fatal(err)
			}
			rep, err := b.Stream(t.Context(), f.client(p), cp)
			if err != nil || rep.Handled != 3 {
				t.Fatalf("first run: %s, %v; want the 3 old events only", rep, err)
			}
			f.rec.Check(t, old)
			later, _ := backfill.New(f.h)
			if rep, err := later.Stream(t.Context(), f.client(p), cp); err != nil || rep.Handled != 2 {
				t.Fatalf("later run: %s, %v; want the 2 events left", rep, err)
			}
			f.rec.Check(t, append(old, young...))
		})
	}
	if _, err := backfill.New(webhooks.NewHandler(), backfill.WithMinAge(-time.Second)); err == nil || !strings.Contains(err.Error(), "WithMinAge(-1s)") {
		t.Errorf("New(WithMinAge(-1s)) = %v", err)
	}
}
