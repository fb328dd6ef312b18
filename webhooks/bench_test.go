package webhooks

import (
	"bytes"
	"context"
	stdhmac "crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
)

// benchBody returns a realistic Core billing.invoice.generate delivery of about 1.5 KiB with event id
// id: the fields Socotra sends, five policy locators, and a plugin's extra data.
func benchBody(id string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"locator":%q,"requestId":"6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f",`, id)
	b.WriteString(`"userLocator":"0d9e8f7a-6b5c-4d3e-9f1a-2b3c4d5e6f70","timestamp":"2026-11-23T18:04:05.123Z",`)
	b.WriteString(`"type":"billing.invoice.generate","data":{"accountLocator":"01JD7Y3Q8Z5X2W9V4T6R1M0KAC",`)
	b.WriteString(`"generateTime":"2026-11-23T18:04:05Z","invoiceLocator":"01JD7Y3Q8Z5X2W9V4T6R1M0KIN","invoiceType":"normal",`)
	b.WriteString(`"policyLocators":{"listCompleted":false,"items":["01JD7Y3Q8Z5X2W9V4T6R1M0KP1","01JD7Y3Q8Z5X2W9V4T6R1M0KP2",`)
	b.WriteString(`"01JD7Y3Q8Z5X2W9V4T6R1M0KP3","01JD7Y3Q8Z5X2W9V4T6R1M0KP4","01JD7Y3Q8Z5X2W9V4T6R1M0KP5"]},"charges":[`)
	for i := range 8 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"chargeLocator":"01JD7Y3Q8Z5X2W9V4T6R1M0KC%d","amount":%d.25,"currency":"USD","category":"premium","taxable":true}`, i, 100+i)
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}

func TestBenchBodyIsRealistic(t *testing.T) {
	t.Parallel()
	body := benchBody("01JD7Y3Q8Z5X2W9V4T6R1M0KQP")
	if len(body) < 1024 || len(body) > 2048 {
		t.Errorf("bench body is %d bytes, want 1-2 KiB", len(body))
	}
	ev, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != events.BillingInvoiceGenerate {
		t.Errorf("type %s", ev.Type)
	}
}

// floorMeter measures the floor, a pre-keyed HMAC-SHA256 of the same bodies, in short bursts between the
// iterations of a benchmark with its timer stopped, so that the ratio holds on a machine whose load
// changes during the run.
type floorMeter struct {
	mac   hash.Hash
	sum   [sha256.Size]byte
	took  time.Duration
	count int
}

func newFloorMeter() *floorMeter { return &floorMeter{mac: stdhmac.New(sha256.New, secret)} }

// maybeMeasure runs a burst of 32 floor operations every 128th iteration i.
func (f *floorMeter) maybeMeasure(b *testing.B, i int, bodies [][]byte) {
	if i%128 != 0 {
		return
	}
	b.StopTimer()
	start := time.Now()
	for j := range 32 {
		f.mac.Reset()
		f.mac.Write(bodies[(i+j)%len(bodies)])
		f.mac.Sum(f.sum[:0])
	}
	f.took += time.Since(start)
	f.count += 32
	b.StartTimer()
}

// report adds the benchmark's time per operation as a multiple of the floor's, as x-floor.
func (f *floorMeter) report(b *testing.B) {
	if f.count > 0 && b.N > 0 {
		per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(per/(float64(f.took.Nanoseconds())/float64(f.count)), "x-floor")
	}
}

// BenchmarkParse decodes a 1.5 KiB Core event with Parse, and for comparison with encoding/json into a
// struct of the same fields; x-floor is the time as a multiple of an HMAC-SHA256 of the same body.
func BenchmarkParse(b *testing.B) {
	bodies := [][]byte{benchBody("01JD7Y3Q8Z5X2W9V4T6R1M0KQP")}
	run := func(b *testing.B, parse func([]byte) error) {
		floor := newFloorMeter()
		b.SetBytes(int64(len(bodies[0])))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			floor.maybeMeasure(b, i, bodies)
			if err := parse(bodies[0]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		floor.report(b)
	}
	b.Run("sdk", func(b *testing.B) {
		run(b, func(body []byte) error { _, err := Parse(body); return err })
	})
	b.Run("encoding-json", func(b *testing.B) {
		run(b, func(body []byte) error {
			var ev struct {
				Locator     string          `json:"locator"`
				RequestID   string          `json:"requestId"`
				UserLocator string          `json:"userLocator"`
				Timestamp   time.Time       `json:"timestamp"`
				Type        string          `json:"type"`
				Data        json.RawMessage `json:"data"`
			}
			return json.Unmarshal(body, &ev)
		})
	})
}

// receiverBench is a signed delivery replayed through a handler: one request whose body reader and
// signature header are reset before each call, answered to a writer that keeps only the status, so that
// the benchmarks time the handler rather than the construction of requests and recorders.
type receiverBench struct {
	bodies [][]byte
	sigs   []string
	req    *http.Request
	rd     bytes.Reader
	w      statusWriter
	k      int
}

// newReceiverBench signs n distinct Core events of about size bytes.
func newReceiverBench(n, size int) *receiverBench {
	rb := &receiverBench{bodies: make([][]byte, n), sigs: make([]string, n)}
	for i := range n {
		rb.bodies[i] = benchBodySize(fmt.Sprintf("01JD7Y3Q8Z5X2W9V4T%08d", i), size)
		rb.sigs[i] = hmac.Sign(secret, rb.bodies[i])
	}
	rb.req = httptest.NewRequest(http.MethodPost, "/socotra", nil)
	rb.req.Body = io.NopCloser(&rb.rd)
	rb.w.h = http.Header{}
	return rb
}

// serve delivers the next event to h and panics unless it is answered 200.
func (rb *receiverBench) serve(h http.Handler) {
	k := rb.k
	rb.k = (k + 1) % len(rb.bodies)
	rb.rd.Reset(rb.bodies[k])
	rb.req.ContentLength = int64(len(rb.bodies[k]))
	rb.req.Header[hmac.HeaderName] = rb.sigs[k : k+1]
	rb.w.status = 0
	h.ServeHTTP(&rb.w, rb.req)
	if rb.w.status != http.StatusOK {
		panic(fmt.Sprintf("status %d", rb.w.status))
	}
}

// statusWriter is a ResponseWriter that keeps only the status.
type statusWriter struct {
	h      http.Header
	status int
}

func (w *statusWriter) Header() http.Header { return w.h }
func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}
func (w *statusWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}

// benchBodySize is benchBody with charges added until the body is at least size bytes.
func benchBodySize(id string, size int) []byte {
	body := benchBody(id)
	for i := 8; len(body) < size; i++ {
		charge := fmt.Sprintf(`,{"chargeLocator":"01JD7Y3Q8Z5X2W9V4T6R1M0KC%d","amount":%d.25,"currency":"USD","category":"fee","taxable":false}`, i, 100+i)
		body = append(body[:len(body)-3:len(body)-3], charge+"]}}"...)
	}
	return body
}

// handWrittenReceiver is the per-call floor as a handler: what a user writes without this SDK, reading
// the body as the hmac middleware does (under http.MaxBytesReader, into one buffer of the announced
// length) and checking its signature with a new HMAC, then answering 200.
func handWrittenReceiver(w http.ResponseWriter, r *http.Request) {
	body := make([]byte, r.ContentLength)
	_, err := io.ReadFull(http.MaxBytesReader(w, r.Body, hmac.DefaultMaxBodyBytes), body)
	if err != nil || !handWrittenVerify(body, r.Header) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handWrittenVerify is the per-call floor: a new HMAC of the body, the header hex-decoded, compared in
// constant time.
func handWrittenVerify(body []byte, h http.Header) bool {
	got, err := hex.DecodeString(h.Get(hmac.HeaderName))
	if err != nil {
		return false
	}
	m := stdhmac.New(sha256.New, secret)
	m.Write(body)
	return stdhmac.Equal(got, m.Sum(nil))
}

// newStack returns the full receive stack under test: NewReceiver with a deduper that remembers fewer
// events than the benchmark cycles through, so that every claim succeeds and the store stays full.
func newStack(tb testing.TB, distinct int) (http.Handler, *Handler) {
	v, err := hmac.NewVerifier(secret)
	if err != nil {
		tb.Fatal(err)
	}
	h := NewHandler(WithDeduper(NewMemoryDeduper(time.Hour, idBytes(distinct/2))))
	h.On("billing.*", func(ctx context.Context, ev *Event) error { return nil })
	return NewReceiver(v, h), h
}

// idBytes is the budget of a MemoryDeduper that remembers at most n ids of 26 bytes.
func idBytes(n int) int64 { return int64(n) * (26 + DedupeEntryOverhead) }

// BenchmarkReceiver measures, per delivery of distinct 2 KiB Core events, the full stack (NewReceiver:
// verify, decode, dedupe, route), the hmac middleware alone in front of a handler that only answers 200,
// and the hand-written floor handler, for ns/op, B/op and allocs/op. See BenchmarkReceiverRatio for
// ratios that hold on a loaded machine.
func BenchmarkReceiver(b *testing.B) {
	const n = 4096 // distinct events
	rb := newReceiverBench(n, 2<<10)
	stack, h := newStack(b, n)
	v, err := hmac.NewVerifier(secret)
	if err != nil {
		b.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	for _, impl := range []struct {
		name string
		h    http.Handler
	}{
		{"stack", stack},
		{"middleware-only", v.Middleware(ok)},
		{"percall-floor", http.HandlerFunc(handWrittenReceiver)},
	} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(int64(len(rb.bodies[0])))
			b.ReportAllocs()
			for b.Loop() {
				rb.serve(impl.h)
			}
		})
	}
	if s := h.Stats(); s.Duplicates != 0 || s.Handled == 0 {
		b.Fatalf("stats %+v; want every event handled, none a duplicate", s)
	}
}

// BenchmarkReceiverRatio runs the full stack and its floors in alternating batches of about 100µs and
// reports the ratio of the fastest batch of each (ns/op is meaningless here):
//   - x-percall: to the per-call floor, a new HMAC of the body plus hex decoding and a constant-time
//     compare, on bytes already in memory;
//   - x-percall-io: to the same floor served as a handler that reads the body as the stack does
//     (handWrittenReceiver), with the same request, body reader and writer;
//   - x-limit: to one keyed HMAC reused with Reset, the cost of hashing the body.
func BenchmarkReceiverRatio(b *testing.B) {
	const n = 4096
	for _, size := range []int{512, 2 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			rb := newReceiverBench(n, size)
			stack, _ := newStack(b, n)
			floorIO := newReceiverBench(n, size)
			mac := stdhmac.New(sha256.New, secret)
			var sum [sha256.Size]byte
			hdr := http.Header{}
			k := 0
			next := func() int { k = (k + 1) % n; hdr[hmac.HeaderName] = rb.sigs[k : k+1]; return k }
			fns := []func(){
				func() { rb.serve(stack) },
				func() { handWrittenVerify(rb.bodies[next()], hdr) },
				func() { floorIO.serve(http.HandlerFunc(handWrittenReceiver)) },
				func() { mac.Reset(); mac.Write(rb.bodies[next()]); mac.Sum(sum[:0]) },
			}
			best := interleave(b, fns)
			b.ReportMetric(best[0]/best[1], "x-percall")
			b.ReportMetric(best[0]/best[2], "x-percall-io")
			b.ReportMetric(best[0]/best[3], "x-limit")
		})
	}
}

// BenchmarkReceiverStages shows what each stage of the stack costs at 2 KiB, as a multiple of one keyed
// HMAC of the body, all measured in alternating batches: the whole stack, the hmac middleware alone (read
// the body, verify, pass it on), Parse alone, and Handler.Handle alone (dedupe, route, count) on parsed
// events with new ids.
func BenchmarkReceiverStages(b *testing.B) {
	const n = 4096
	rb, rbMW := newReceiverBench(n, 2<<10), newReceiverBench(n, 2<<10)
	stack, _ := newStack(b, n)
	v, err := hmac.NewVerifier(secret)
	if err != nil {
		b.Fatal(err)
	}
	mw := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	evs := make([]*Event, n)
	for i := range evs {
		if evs[i], err = Parse(rb.bodies[i]); err != nil {
			b.Fatal(err)
		}
	}
	h := NewHandler(WithDeduper(NewMemoryDeduper(time.Hour, idBytes(n/2))))
	h.On("billing.*", func(ctx context.Context, ev *Event) error { return nil })
	mac := stdhmac.New(sha256.New, secret)
	var sum [sha256.Size]byte
	var parsed, handled, hashed int
	best := interleave(b, []func(){
		func() { rb.serve(stack) },
		func() { rbMW.serve(mw) },
		func() {
			parsed = (parsed + 1) % n
			if _, err := Parse(rb.bodies[parsed]); err != nil {
				panic(err)
			}
		},
		func() {
			handled = (handled + 1) % n
			if err := h.Handle(context.Background(), evs[handled]); err != nil {
				panic(err)
			}
		},
		func() { hashed = (hashed + 1) % n; mac.Reset(); mac.Write(rb.bodies[hashed]); mac.Sum(sum[:0]) },
	})
	for i, name := range []string{"stack", "middleware", "parse", "handle"} {
		b.ReportMetric(best[i]/best[4], "x-limit-"+name)
	}
}

// interleave runs fns in alternating batches of about 100µs each, as long as b.Loop asks, and returns
// each one's fastest time per call.
func interleave(b *testing.B, fns []func()) []float64 {
	best := make([]float64, len(fns))
	n := 1
	for start := time.Now(); time.Since(start) < 100*time.Microsecond; n *= 2 {
		for range n {
			fns[0]()
		}
	}
	for b.Loop() {
		for i, f := range fns {
			start := time.Now()
			for range n {
				f()
			}
			if d := float64(time.Since(start)) / float64(n); best[i] == 0 || d < best[i] {
				best[i] = d
			}
		}
	}
	return best
}

// BenchmarkParseRatio reports Parse of a 2 KiB Core event as a multiple of one keyed HMAC of the same
// body (x-limit), measured in alternating batches like BenchmarkReceiverRatio.
func BenchmarkParseRatio(b *testing.B) {
	body := benchBodySize("01JD7Y3Q8Z5X2W9V4T6R1M0KQP", 2<<10)
	mac := stdhmac.New(sha256.New, secret)
	var sum [sha256.Size]byte
	best := interleave(b, []func(){
		func() {
			if _, err := Parse(body); err != nil {
				panic(err)
			}
		},
		func() { mac.Reset(); mac.Write(body); mac.Sum(sum[:0]) },
	})
	b.ReportMetric(best[0]/best[1], "x-limit")
}
