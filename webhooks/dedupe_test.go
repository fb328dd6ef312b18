package webhooks

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"
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

func TestMemoryDeduperSizeCap(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const max = 100
	d := NewMemoryDeduper(time.Hour, max)
	for i := range 10 * max {
		id := fmt.Sprint(i)
		d.Claim(ctx, id)
		d.Complete(ctx, id)
		if len(d.ids) > max || len(d.order)-d.head > max || cap(d.order) > 4*max {
			t.Fatalf("after %d ids: %d remembered, queue len %d cap %d; want at most %d", i+1, len(d.ids), len(d.order), cap(d.order), max)
		}
	}
	// The oldest were forgotten, the newest are remembered.
	if c, _ := d.Claim(ctx, "0"); c != Claimed {
		t.Errorf("oldest id: %v, want forgotten (claimed)", c)
	}
	if c, _ := d.Claim(ctx, fmt.Sprint(10*max-1)); c != Done {
		t.Errorf("newest id: %v, want done", c)
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
	if d.ttl != DefaultDedupeTTL || d.max != DefaultDedupeMax {
		t.Errorf("defaults ttl %v max %d", d.ttl, d.max)
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

func TestMemoryDeduperCopiesIDs(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 4096) + "event-id"
	id := body[4096:] // like Event.ID, which shares memory with other strings of the delivery
	d := NewMemoryDeduper(0, 0)
	d.Claim(t.Context(), id)
	d.Complete(t.Context(), id)
	for k := range d.ids {
		if unsafe.StringData(k) == unsafe.StringData(id) {
			t.Error("the remembered id shares memory with the caller's string, keeping all of it alive")
		}
	}
}
