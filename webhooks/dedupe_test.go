package webhooks

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"
	"weak"
)

func TestMemoryDeduperStates(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := NewMemoryDeduper(time.Hour, 10)
	steps := []struct {
		do   string
		id   string
		want Claim
	}{
		{"claim", "a", Claimed},
		{"claim", "a", InProgress},
		{"release", "a", 0},
		{"claim", "a", Claimed},
		{"complete", "a", 0},
		{"claim", "a", Done},
		{"claim", "b", Claimed},
	}
	for i, s := range steps {
		switch s.do {
		case "claim":
			if got, err := d.Claim(ctx, s.id); err != nil || got != s.want {
				t.Fatalf("step %d: Claim(%s) = %v, %v; want %v", i, s.id, got, err, s.want)
			}
		case "release":
			_ = d.Release(ctx, s.id)
		case "complete":
			_ = d.Complete(ctx, s.id)
		}
	}
	if d.Len() != 1 {
		t.Errorf("Len = %d, want 1 (running ids do not count)", d.Len())
	}
}

func TestMemoryDeduperByteCap(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const budget = 100 * (4 + DedupeEntryOverhead) // about 100 ids of 4 bytes
	d := NewMemoryDeduper(time.Hour, budget)
	for i := range 1000 {
		id := fmt.Sprintf("%04d", i)
		d.Claim(ctx, id)
		d.Complete(ctx, id)
		if d.Bytes() > budget || len(d.cur)+len(d.prev) > 100 {
			t.Fatalf("after %d ids: %d bytes, %d ids; want at most %d bytes", i+1, d.Bytes(), len(d.cur)+len(d.prev), budget)
		}
	}
	// The oldest were forgotten, the newest are remembered: at least half the budget's worth.
	if c, _ := d.Claim(ctx, "0000"); c != Claimed {
		t.Errorf("oldest id: %v, want forgotten (claimed)", c)
	}
	for i := 999; i >= 950; i-- {
		if c, _ := d.Claim(ctx, fmt.Sprintf("%04d", i)); c != Done {
			t.Fatalf("id %d of the last 50: %v, want done", i, c)
		}
	}
}

// Regression: the store was bounded by entries, so 2 000 ids of 64 KiB grew it by 125 MiB. Counted in
// bytes, long ids take their share of the budget.
func TestMemoryDeduperLongIDsStayInBudget(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const budget = 1 << 20
	d := NewMemoryDeduper(time.Hour, budget)
	for i := range 2000 {
		id := fmt.Sprintf("%05d", i) + strings.Repeat("x", 64<<10)
		d.Claim(ctx, id)
		d.Complete(ctx, id)
	}
	if d.Bytes() > budget {
		t.Fatalf("2000 ids of 64 KiB take %d bytes, budget %d", d.Bytes(), budget)
	}
	if n, most := len(d.cur)+len(d.prev), budget/(64<<10); n > most {
		t.Errorf("the store holds %d ids of 64 KiB, budget room for %d", n, most)
	}
}

func TestMemoryDeduperTTL(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		d := NewMemoryDeduper(time.Minute, 0)
		d.Claim(ctx, "a")
		d.Complete(ctx, "a")
		time.Sleep(30 * time.Second)
		d.Claim(ctx, "b")
		d.Complete(ctx, "b")
		time.Sleep(30*time.Second - time.Nanosecond)
		if c, _ := d.Claim(ctx, "a"); c != Done {
			t.Errorf("just inside the TTL: %v, want done", c)
		}
		time.Sleep(time.Nanosecond)
		if c, _ := d.Claim(ctx, "a"); c != Claimed {
			t.Errorf("at the TTL: %v, want forgotten", c)
		}
		if d.Len() != 1 {
			t.Errorf("Len = %d, want 1 (b only)", d.Len())
		}
		// a is claimed again, completed again, and remembered anew.
		d.Complete(ctx, "a")
		time.Sleep(45 * time.Second)
		if c, _ := d.Claim(ctx, "a"); c != Done || d.Len() != 1 {
			t.Errorf("a re-completed: %v with %d ids, want done with b expired", c, d.Len())
		}
	})
}

func TestMemoryDeduperDefaults(t *testing.T) {
	t.Parallel()
	d := NewMemoryDeduper(-1, 0)
	if d.ttl != DefaultDedupeTTL || d.maxBytes != DefaultDedupeBytes {
		t.Errorf("defaults ttl %v maxBytes %d", d.ttl, d.maxBytes)
	}
}

func TestMemoryDeduperConcurrentClaims(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := NewMemoryDeduper(0, 0)
	var mu sync.Mutex
	got := map[Claim]int{}
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			c, _ := d.Claim(ctx, "same")
			mu.Lock()
			got[c]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got[Claimed] != 1 || got[InProgress] != 63 {
		t.Errorf("claims %v, want exactly one claimed", got)
	}
}

func TestClaimString(t *testing.T) {
	t.Parallel()
	for c, want := range map[Claim]string{Claimed: "claimed", InProgress: "in progress", Done: "done", 9: "Claim(?)"} {
		if c.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(c), c.String(), want)
		}
	}
}

func TestMemoryDeduperKeepsNoIDMemory(t *testing.T) {
	t.Parallel()
	d := NewMemoryDeduper(0, 0)
	alive := func() weak.Pointer[byte] {
		body := []byte(strings.Repeat("x", 4096) + "event-id")
		id := unsafe.String(&body[4096], len(body)-4096) // like Event.ID, which shares memory with the rest of the delivery
		d.Claim(t.Context(), id)
		d.Complete(t.Context(), id)
		d.Claim(t.Context(), id+"2")
		return weak.Make(&body[0])
	}()
	for range 3 {
		runtime.GC()
	}
	if alive.Value() != nil {
		t.Error("the store keeps the memory of a delivery's id alive")
	}
	if c, _ := d.Claim(t.Context(), "event-id"); c != Done {
		t.Fatalf("the completed id is %v after a collection, want done", c)
	}
}

// BenchmarkMemoryDeduper times a claim and a completion of a new id with the store at steady state (full,
// forgetting as it goes), and a claim of an id already done, against a floor measured in the same run: a
// lookup and an insert in a plain map under a mutex, the least any in-memory store does. The x-floor
// metric is the ratio.
func BenchmarkMemoryDeduper(b *testing.B) {
	const n = 1 << 16
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("01JD7Y3Q8Z5X2W9V4T%08d", i)
	}
	floor := func() time.Duration {
		var mu sync.Mutex
		m := make(map[string]time.Duration, n/2)
		start := time.Now()
		for i := range n {
			mu.Lock()
			if _, ok := m[ids[i]]; !ok {
				m[ids[i]] = time.Duration(i)
			}
			mu.Unlock()
		}
		return time.Since(start) / n
	}
	for _, tc := range []struct {
		name string
		want Claim // what most claims answer in the steady state
		op   func(d *MemoryDeduper, id string) Claim
	}{
		{"new-id", Claimed, func(d *MemoryDeduper, id string) Claim {
			c, tok := d.claim(id, forever)
			if c == Claimed {
				d.complete(id, tok)
			}
			return c
		}},
		{"done-id", Done, func(d *MemoryDeduper, id string) Claim { c, _ := d.claim(id, forever); return c }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			d := NewMemoryDeduper(time.Hour, idBytes(n/2)) // remembers fewer ids than it is given
			if tc.name == "done-id" {
				d = NewMemoryDeduper(time.Hour, idBytes(2*n))
			}
			for _, id := range ids { // steady state
				tc.op(d, id)
				if tc.name == "done-id" {
					d.Complete(b.Context(), id)
				}
			}
			b.ReportAllocs()
			var floors time.Duration
			var runs, wanted int
			i := 0
			for b.Loop() {
				if tc.op(d, ids[i%n]) == tc.want {
					wanted++
				}
				if i%n == 0 {
					b.StopTimer()
					floors += floor()
					runs++
					b.StartTimer()
				}
				i++
			}
			if wanted < b.N/2 {
				b.Fatalf("%d of %d claims answered %v: the benchmark does not measure what it says", wanted, b.N, tc.want)
			}
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(per/(float64(floors.Nanoseconds())/float64(runs)), "x-floor")
		})
	}
}
