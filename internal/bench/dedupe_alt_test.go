package bench

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/socotra-go/sdk/webhooks"
)

// genDeduper is a sketch of another in-memory webhooks.Deduper, kept here to measure against the default:
// completed ids go into the current generation; when it holds half the capacity it becomes the previous
// one and the older generation is dropped whole. No map ever deletes an entry, so lookups never wade
// through deleted slots, and memory stays bounded by the capacity. It remembers between half and all of
// the last capacity ids.
type genDeduper struct {
	mu       sync.Mutex
	half     int
	ttl      time.Duration
	cur, old map[string]time.Time
	running  map[string]struct{}
}

func newGenDeduper(capacity int, ttl time.Duration) *genDeduper {
	half := max(capacity/2, 1)
	return &genDeduper{half: half, ttl: ttl, cur: make(map[string]time.Time, half),
		old: map[string]time.Time{}, running: map[string]struct{}{}}
}

func (d *genDeduper) Claim(_ context.Context, id string) (webhooks.Claim, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	at, ok := d.cur[id]
	if !ok {
		at, ok = d.old[id]
	}
	if ok && time.Since(at) < d.ttl {
		return webhooks.Done, nil
	}
	if _, ok := d.running[id]; ok {
		return webhooks.InProgress, nil
	}
	d.running[id] = struct{}{}
	return webhooks.Claimed, nil
}

func (d *genDeduper) Complete(_ context.Context, id string) error {
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.running, id)
	d.cur[id] = now
	if len(d.cur) >= d.half {
		d.old, d.cur = d.cur, make(map[string]time.Time, d.half)
	}
	return nil
}

func (d *genDeduper) Release(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.running, id)
	return nil
}

// BenchmarkDedupeStores times Handler.Handle at steady state (the store full, a new id every call) with the
// default store and with the generational sketch of the same capacity. run.sh does not run it; it backs a
// finding in NOTES.md.
func BenchmarkDedupeStores(b *testing.B) {
	stores := []struct {
		name string
		opt  func() webhooks.Option
	}{
		{"default", func() webhooks.Option { return nil }},
		{"generations", func() webhooks.Option {
			return webhooks.WithDeduper(newGenDeduper(defaultCapacity, webhooks.DefaultDedupeTTL))
		}},
	}
	tmpl, err := webhooks.Parse(CoreEvent(2<<10, Locator(0)))
	if err != nil {
		b.Fatal(err)
	}
	for _, st := range stores {
		b.Run("store="+st.name, func(b *testing.B) {
			r := newReceiver(b, st.opt())
			ctx := b.Context()
			for i := range 2 * defaultCapacity { // reach steady state
				ev := *tmpl
				ev.ID = Locator(uint64(1<<62 + i))
				if err := r.handler.Handle(ctx, &ev); err != nil {
					b.Fatal(err)
				}
			}
			ids := newIDRing(b)
			ev := *tmpl
			measure(b, func() error {
				ev.ID = ids.take()
				return r.handler.Handle(ctx, &ev)
			})
		})
	}
}

func TestGenDeduper(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := newGenDeduper(4, time.Hour)
	for i := range 10 {
		id := Locator(uint64(i))
		if c, _ := d.Claim(ctx, id); c != webhooks.Claimed {
			t.Fatalf("new id %d: %v", i, c)
		}
		if c, _ := d.Claim(ctx, id); c != webhooks.InProgress {
			t.Fatalf("id %d claimed twice: %v", i, c)
		}
		d.Complete(ctx, id)
		if c, _ := d.Claim(ctx, id); c != webhooks.Done {
			t.Fatalf("completed id %d: %v", i, c)
		}
	}
	if n := len(d.cur) + len(d.old); n > 4 {
		t.Fatalf("remembers %d ids, capacity 4", n)
	}
	if c, _ := d.Claim(ctx, Locator(0)); c != webhooks.Claimed {
		t.Fatalf("the oldest id is still remembered past the capacity: %v", c)
	}
}
