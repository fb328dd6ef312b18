package webhooks

import (
	"bytes"
	"context"
	stdhmac "crypto/hmac"
	"crypto/sha256"
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

// BenchmarkReceiver measures the full stack (NewReceiver: verify, decode, dedupe, route, answer through
// httptest.NewRecorder) on distinct 1.5 KiB Core events, and the hmac middleware alone in front of a handler
// that only answers 200, to show what decoding, dedupe and routing add. x-floor is the time as a multiple
// of an HMAC-SHA256 of the same bodies, the least any verifying receiver must do.
func BenchmarkReceiver(b *testing.B) {
	const n = 4096 // distinct events; the deduper remembers fewer, so each claim succeeds
	bodies := make([][]byte, n)
	sigs := make([]string, n)
	for i := range bodies {
		bodies[i] = benchBody(fmt.Sprintf("01JD7Y3Q8Z5X2W9V4T%08d", i))
		sigs[i] = hmac.Sign(secret, bodies[i])
	}
	run := func(b *testing.B, build func(v *hmac.Verifier) http.Handler) {
		v, err := hmac.NewVerifier(secret)
		if err != nil {
			b.Fatal(err)
		}
		recv := build(v)
		req := httptest.NewRequest(http.MethodPost, "/socotra", nil)
		var rd bytes.Reader
		req.Body = io.NopCloser(&rd)
		floor := newFloorMeter()
		b.SetBytes(int64(len(bodies[0])))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			floor.maybeMeasure(b, i, bodies)
			k := i % n
			rd.Reset(bodies[k])
			req.ContentLength = int64(len(bodies[k]))
			req.Header[hmac.HeaderName] = sigs[k : k+1]
			w := httptest.NewRecorder()
			recv.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
			i++
		}
		floor.report(b)
	}
	b.Run("stack", func(b *testing.B) {
		h := NewHandler(WithDeduper(NewMemoryDeduper(time.Hour, n/2)))
		h.On("billing.*", func(ctx context.Context, ev *Event) error { return nil })
		run(b, func(v *hmac.Verifier) http.Handler { return NewReceiver(v, h) })
		if s := h.Stats(); s.Duplicates != 0 || s.Handled == 0 {
			b.Fatalf("stats %+v; want every event handled, none a duplicate", s)
		}
	})
	b.Run("middleware-only", func(b *testing.B) {
		ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
		run(b, func(v *hmac.Verifier) http.Handler { return v.Middleware(ok) })
	})
}
