package hmac

import (
	"bytes"
	stdhmac "crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The benchmarks measure Verify and Middleware beside two floors, in the same run:
//   - "percall": hand-written code a user would write (hmac.New, hex-decode the header, hmac.Equal; for the
//     middleware, io.ReadAll of the body first);
//   - "limit": one keyed HMAC reused with Reset and nothing allocated: the cost of hashing the body.
// Compare ratios within one run: absolute times depend on the machine and its load.

var benchSizes = []struct {
	name string
	n    int
}{{"512B", 512}, {"2KiB", 2 << 10}, {"16KiB", 16 << 10}, {"1MiB", 1 << 20}}

var benchSecret = []byte("whsec_benchmark_secret_0123456789")

func benchBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func BenchmarkVerify(b *testing.B) {
	for _, sz := range benchSizes {
		body := benchBody(sz.n)
		h := http.Header{HeaderName: {Sign(benchSecret, body)}}
		b.Run("impl="+"verify/size="+sz.name, func(b *testing.B) {
			v, err := NewVerifier(benchSecret)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				if err := v.Verify(body, h); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("impl="+"percall/size="+sz.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				if !handWrittenVerify(benchSecret, body, h) {
					b.Fatal("percall floor rejected a valid signature")
				}
			}
		})
		b.Run("impl="+"limit/size="+sz.name, func(b *testing.B) {
			m := stdhmac.New(sha256.New, benchSecret)
			var sum [sha256.Size]byte
			b.ReportAllocs()
			b.SetBytes(int64(sz.n))
			for b.Loop() {
				m.Reset()
				m.Write(body)
				m.Sum(sum[:0])
			}
		})
	}
}

// BenchmarkRatio runs the implementation and its floors in alternating batches of about 100µs and reports,
// as x-limit and x-percall, the ratio of the fastest batch of each: on a shared, noisy machine this is far
// steadier than comparing separate benchmarks. ns/op is meaningless here.
func BenchmarkRatio(b *testing.B) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	for _, sz := range benchSizes {
		body := benchBody(sz.n)
		h := http.Header{HeaderName: {Sign(benchSecret, body)}}
		v, err := NewVerifier(benchSecret, WithMaxBodyBytes(DefaultMaxBodyBytes+1<<20))
		if err != nil {
			b.Fatal(err)
		}
		m := stdhmac.New(sha256.New, benchSecret)
		var sum [sha256.Size]byte
		b.Run("fn=verify/size="+sz.name, func(b *testing.B) {
			compare(b,
				func() { _ = v.Verify(body, h) },
				func() { m.Reset(); m.Write(body); m.Sum(sum[:0]) },
				func() { handWrittenVerify(benchSecret, body, h) })
		})
		b.Run("fn=middleware/size="+sz.name, func(b *testing.B) {
			mw, floor := newServeFunc(v.Middleware(next), body), newServeFunc(handWrittenMiddleware(next), body)
			compare(b, mw, nil, floor)
		})
	}
}

// compare reports fn's best batch against limit's (if any) and percall's.
func compare(b *testing.B, fn, limit, percall func()) {
	fns := []func(){fn, limit, percall}
	best := []float64{0, 0, 0}
	n := 1
	for start := time.Now(); time.Since(start) < 100*time.Microsecond; n *= 2 {
		for range n {
			fn()
		}
	}
	for b.Loop() {
		for i, f := range fns {
			if f == nil {
				continue
			}
			start := time.Now()
			for range n {
				f()
			}
			if d := float64(time.Since(start)) / float64(n); best[i] == 0 || d < best[i] {
				best[i] = d
			}
		}
	}
	if limit != nil {
		b.ReportMetric(best[0]/best[1], "x-limit")
	}
	b.ReportMetric(best[0]/best[2], "x-percall")
}

// newServeFunc returns a function that serves one signed POST of body with h.
func newServeFunc(h http.Handler, body []byte) func() {
	rd := bytes.NewReader(body)
	r := httptest.NewRequest(http.MethodPost, "/hook", rd)
	r.Header.Set(HeaderName, Sign(benchSecret, body))
	w := &discardWriter{h: http.Header{}}
	return func() {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		h.ServeHTTP(w, r)
		if w.status != http.StatusNoContent {
			panic("refused")
		}
	}
}

// handWrittenVerify is the per-call floor: what a user writes without this package.
func handWrittenVerify(secret, body []byte, h http.Header) bool {
	got, err := hex.DecodeString(h.Get(HeaderName))
	if err != nil {
		return false
	}
	m := stdhmac.New(sha256.New, secret)
	m.Write(body)
	return stdhmac.Equal(got, m.Sum(nil))
}

func BenchmarkMiddleware(b *testing.B) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	floor := handWrittenMiddleware(next)
	for _, sz := range benchSizes {
		body := benchBody(sz.n)
		v, err := NewVerifier(benchSecret, WithMaxBodyBytes(DefaultMaxBodyBytes+1<<20))
		if err != nil {
			b.Fatal(err)
		}
		for _, impl := range []struct {
			name string
			h    http.Handler
		}{{"middleware", v.Middleware(next)}, {"percall", floor}} {
			b.Run("impl="+impl.name+"/size="+sz.name, func(b *testing.B) {
				rd := bytes.NewReader(body)
				r := httptest.NewRequest(http.MethodPost, "/hook", rd)
				r.Header.Set(HeaderName, Sign(benchSecret, body))
				w := &discardWriter{h: http.Header{}}
				b.ReportAllocs()
				b.SetBytes(int64(sz.n))
				for b.Loop() {
					rd.Reset(body)
					r.Body = io.NopCloser(rd)
					w.status = 0
					impl.h.ServeHTTP(w, r)
					if w.status != http.StatusNoContent {
						b.Fatalf("status %d", w.status)
					}
				}
			})
		}
	}
}

// handWrittenMiddleware is the per-call middleware floor: io.ReadAll, then handWrittenVerify.
func handWrittenMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, DefaultMaxBodyBytes+1<<20))
		if err != nil || !handWrittenVerify(benchSecret, body, r.Header) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// discardWriter is a ResponseWriter that keeps only the status, so the benchmarks measure the middleware
// rather than a recorder.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }
