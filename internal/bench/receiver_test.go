package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/webhooks"
)

func init() {
	impls["sdk-receiver"] = impl{prepare: prepareSDKReceiver, rotates: true}
	loadTargets = append(loadTargets, receiverTarget)
}

// receiver is the SDK's full receive stack with one route that counts the events it gets.
type receiver struct {
	http.Handler
	handler *webhooks.Handler
	routed  atomic.Int64
}

func newReceiver(tb testing.TB, opts ...webhooks.Option) *receiver {
	r := &receiver{handler: webhooks.NewHandler(opts...)}
	r.handler.On(EventType, func(_ context.Context, ev *webhooks.Event) error {
		if len(ev.ID) != ulid.EncodedSize {
			return fmt.Errorf("event id %q is not a locator", ev.ID)
		}
		r.routed.Add(1)
		return nil
	})
	r.Handler = webhooks.NewReceiver(newVerifier(tb), r.handler)
	return r
}

func receiverTarget(tb testing.TB) loadTarget {
	r := newReceiver(tb)
	return loadTarget{name: "receiver", handler: r, served: r.routed.Load}
}

// locatorSeq numbers the events of fresh deliveries, so no two deliveries in a process share an event id.
var locatorSeq atomic.Uint64

// fresh hands out signed deliveries that are copies of a template, each with a new event locator. It keeps
// a batch ready and re-signs the whole batch when it runs out, with the benchmark timer stopped.
type fresh struct {
	tb       testing.TB
	template []byte
	bodies   [][]byte
	sigs     [][]string // header values, ready to put in a header without allocating
	next     int
}

func newFresh(tb testing.TB, template []byte) *fresh {
	n := min(max((32<<20)/len(template), 16), 4096) // at most 32 MiB of bodies
	f := &fresh{tb: tb, template: template, bodies: make([][]byte, n), sigs: make([][]string, n)}
	for i := range f.bodies {
		f.bodies[i] = make([]byte, len(template))
		f.sigs[i] = make([]string, 1)
	}
	f.refill()
	return f
}

func (f *fresh) refill() {
	for i, body := range f.bodies {
		copy(body, f.template)
		copy(body[LocatorOffset:], Locator(locatorSeq.Add(1)))
		f.sigs[i][0] = SignHex(Secret, body)
	}
	f.next = 0
}

// take returns the next delivery's body and signature header value.
func (f *fresh) take() ([]byte, []string) {
	if f.next == len(f.bodies) {
		if b, ok := f.tb.(*testing.B); ok {
			b.StopTimer()
			defer b.StartTimer()
			start := processCPU()
			defer func() { untimedCPU += processCPU() - start }()
		}
		f.refill()
	}
	f.next++
	return f.bodies[f.next-1], f.sigs[f.next-1]
}

var errNotRouted = errors.New("the delivery was answered 200 but not routed")

func prepareSDKReceiver(tb testing.TB, template []byte) func() error {
	r := newReceiver(tb)
	f := newFresh(tb, template)
	q := newRequest(nil, http.Header{})
	return func() error {
		q.raw, q.r.Header[hmac.HeaderName] = f.take()
		before := r.routed.Load()
		if err := serve(r, q.next()); err != nil {
			return err
		}
		if r.routed.Load() != before+1 {
			return errNotRouted
		}
		return nil
	}
}

// TestReceiverRow checks what the sdk-receiver row relies on: fresh deliveries are each routed once, a
// repeated delivery is answered 200 without running the route again, and a tampered one is refused.
func TestReceiverRow(t *testing.T) {
	t.Parallel()
	op := prepareSDKReceiver(t, CoreEvent(2<<10, Locator(0)))
	for i := range 40 { // more than one batch of fresh deliveries would need at 1 MiB
		if err := op(); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}

	r := newReceiver(t)
	body := CoreEvent(2<<10, Locator(1<<50))
	h := http.Header{hmac.HeaderName: {SignHex(Secret, body)}}
	for range 2 {
		if err := serve(r, newRequest(body, h).next()); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.routed.Load(); got != 1 {
		t.Fatalf("one event delivered twice was routed %d times, want 1", got)
	}
	tampered := bytes.Clone(body)
	copy(tampered[LocatorOffset:], Locator(1<<51))
	if err := serve(r, newRequest(tampered, h).next()); err == nil {
		t.Fatal("a delivery whose body no longer matches its signature was accepted")
	}
	if got := r.routed.Load(); got != 1 {
		t.Fatalf("a refused delivery was routed (routed %d, want 1)", got)
	}
}

// defaultCapacity is how many 26-byte ids the default dedupe store has room for.
const defaultCapacity = int(webhooks.DefaultDedupeBytes / (26 + webhooks.DedupeEntryOverhead))

var (
	dedupeFull = flag.Bool("dedupe.full", false, "run the dedupe memory check at full size (run.sh does)")
	dedupeOut  = flag.String("dedupe.out", "", "write the dedupe memory check's DedupeReport as JSON to this file")
)

// TestDedupeMemoryBounded checks, through webhooks' public API only, that a Handler with its default dedupe
// store keeps a bounded live heap and a constant allocation per delivery however many distinct events it has
// processed: it measures after N events and again after several times N, with N past the store's capacity.
func TestDedupeMemoryBounded(t *testing.T) {
	// The store's map settles at its final size after about twice its capacity of events (deletions leave
	// it larger than when first full), so N is three times the capacity.
	n, times := 3*defaultCapacity, 2
	if *dedupeFull {
		times = 10
	}
	const batch = 10_000
	ctx := t.Context()
	h := webhooks.NewHandler()
	var routed atomic.Int64
	h.On(EventType, func(context.Context, *webhooks.Event) error { routed.Add(1); return nil })
	tmpl, err := webhooks.Parse(CoreEvent(512, Locator(0)))
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	rep := DedupeReport{BaselineHeapBytes: ms.HeapAlloc, Capacity: defaultCapacity}
	handled := 0
	ev := *tmpl // one copy, reused, so the measure is the handler's allocation plus the new id
	handle := func(count int) {
		for range count {
			ev.ID = Locator(uint64(1<<60 + handled))
			if err := h.Handle(ctx, &ev); err != nil {
				t.Fatalf("event %d: %v", handled, err)
			}
			handled++
		}
	}
	for i, upTo := range [2]int{n, times * n} {
		handle(upTo - handled)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		rep.Events[i], rep.HeapBytes[i] = handled, ms.HeapAlloc
		before := ms.TotalAlloc
		handle(batch)
		runtime.ReadMemStats(&ms)
		rep.BytesPerDelivery[i] = float64(ms.TotalAlloc-before) / batch
	}
	rep.GrowthPerEvent = (float64(rep.HeapBytes[1]) - float64(rep.HeapBytes[0])) / float64(rep.Events[1]-rep.Events[0])
	t.Logf("%+v", rep)

	if got := routed.Load(); got != int64(handled) {
		t.Fatalf("routed %d of %d distinct events", got, handled)
	}
	recent := *tmpl
	recent.ID = Locator(uint64(1<<60 + handled - 1))
	if err := h.Handle(ctx, &recent); !errors.Is(err, webhooks.ErrDuplicate) {
		t.Fatalf("the last event handled again: %v, want ErrDuplicate (is dedupe on?)", err)
	}
	// An unbounded store would keep about 100 bytes per event; a bounded one keeps nothing more once full.
	if rep.GrowthPerEvent > 1 {
		t.Errorf("live heap grew by %.1f bytes per event between %d and %d events processed", rep.GrowthPerEvent, rep.Events[0], rep.Events[1])
	}
	if rep.BytesPerDelivery[1] > 1.25*rep.BytesPerDelivery[0]+64 {
		t.Errorf("allocation per delivery grew from %.0f to %.0f bytes", rep.BytesPerDelivery[0], rep.BytesPerDelivery[1])
	}
	writeJSON(t, *dedupeOut, rep)
}

// BenchmarkReceiverParts times the receiver's stages on their own, through webhooks' public API, so the
// report can say where the full stack's time goes: parse is webhooks.Parse of the delivery body, handle is
// Handler.Handle of a decoded event with a new id each time (dedupe with the default store, then routing).
// Two references from encoding/json put parse in context: stdjson-valid (json.Valid of the body) and
// stdjson-decode (json.Unmarshal into the event's fields with data kept raw, what a plain decoder does).
func BenchmarkReceiverParts(b *testing.B) {
	for _, s := range Sizes {
		body := CoreEvent(s.Bytes, Locator(0))
		b.Run("size="+s.Name+"/part=stdjson-valid", func(b *testing.B) {
			b.SetBytes(int64(s.Bytes))
			measure(b, func() error {
				if !json.Valid(body) {
					return errors.New("invalid JSON")
				}
				return nil
			})
		})
		b.Run("size="+s.Name+"/part=stdjson-decode", func(b *testing.B) {
			b.SetBytes(int64(s.Bytes))
			measure(b, func() error {
				var ev struct {
					Locator, RequestID, UserLocator, Type string
					Timestamp                             time.Time
					Data                                  json.RawMessage
				}
				return json.Unmarshal(body, &ev)
			})
		})
		b.Run("size="+s.Name+"/part=parse", func(b *testing.B) {
			b.SetBytes(int64(s.Bytes))
			measure(b, func() error {
				_, err := webhooks.Parse(body)
				return err
			})
		})
		b.Run("size="+s.Name+"/part=handle", func(b *testing.B) {
			r := newReceiver(b)
			tmpl, err := webhooks.Parse(body)
			if err != nil {
				b.Fatal(err)
			}
			ids := newIDRing(b)
			ctx := b.Context()
			ev := *tmpl // one copy, reused: Handle keeps nothing of it after it returns
			measure(b, func() error {
				ev.ID = ids.take()
				return r.handler.Handle(ctx, &ev)
			})
		})
	}
}

// idRing hands out new event locators from a prepared batch, refilled with the benchmark timer stopped.
type idRing struct {
	b    *testing.B
	ids  []string
	next int
}

func newIDRing(b *testing.B) *idRing {
	r := &idRing{b: b, ids: make([]string, 1<<14)}
	r.refill()
	return r
}

func (r *idRing) refill() {
	for i := range r.ids {
		r.ids[i] = Locator(locatorSeq.Add(1))
	}
	r.next = 0
}

func (r *idRing) take() string {
	if r.next == len(r.ids) {
		r.b.StopTimer()
		start := processCPU()
		r.refill()
		untimedCPU += processCPU() - start
		r.b.StartTimer()
	}
	r.next++
	return r.ids[r.next-1]
}
