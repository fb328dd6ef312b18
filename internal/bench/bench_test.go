package bench

import (
	"slices"
	"syscall"
	"testing"
	"time"
)

// bodyFor builds the impl's delivery body of the given size.
func (m impl) bodyFor(size int) []byte {
	if m.body != nil {
		return m.body(size)
	}
	return CoreEvent(size, Locator(0))
}

// implFor returns the impl of row r, failing tb when it has none.
func implFor(tb testing.TB, r Row) impl {
	m, ok := impls[r.Name]
	if !ok {
		tb.Fatalf("row %q has no impl", r.Name)
	}
	return m
}

// BenchmarkDelivery accepts one signed delivery per iteration, for every row at every size. Names are
// size=<size>/impl=<row>, which the runner turns into BENCHMARKS.md.
func BenchmarkDelivery(b *testing.B) {
	for _, s := range Sizes {
		for _, r := range Rows {
			b.Run("size="+s.Name+"/impl="+r.Name, func(b *testing.B) {
				m, ok := impls[r.Name]
				if !ok {
					b.Skipf("row %q has no impl; TestRowsAcceptAndReject fails for it", r.Name)
				}
				op := m.prepare(b, m.bodyFor(s.Bytes))
				if err := op(); err != nil {
					b.Fatalf("a valid delivery was refused: %v", err)
				}
				b.SetBytes(int64(s.Bytes))
				measure(b, op)
			})
		}
	}
}

// measure runs op in the benchmark loop, reporting allocations and CPU time per operation besides wall time.
func measure(b *testing.B, op func() error) {
	b.ReportAllocs()
	untimedCPU = 0
	start := processCPU()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-start-untimedCPU)/float64(b.N), "cpu-ns/op")
}

// untimedCPU is the process CPU time a benchmark spent with its timer stopped (preparing deliveries), to be
// left out of its cpu-ns/op.
var untimedCPU time.Duration

// processCPU returns the CPU time the process has used, in user and system mode, on all threads. Unlike
// the wall time behind ns/op it does not count time spent waiting for a core another program holds, so it
// is the steadier measure on a shared machine; it does count the garbage collector's work on other cores.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestRowsAcceptAndReject checks that every row accepts its valid delivery and that every verifying row
// refuses the same delivery with one byte changed, so the benchmarks measure real verification.
func TestRowsAcceptAndReject(t *testing.T) {
	t.Parallel()
	for _, s := range Sizes[:2] {
		for _, r := range Rows {
			t.Run(s.Name+"/"+r.Name, func(t *testing.T) {
				t.Parallel()
				m := implFor(t, r)
				body := m.bodyFor(s.Bytes)
				op := m.prepare(t, body)
				for i := range 2 { // twice: rows that reuse state must stay correct
					if err := op(); err != nil {
						t.Fatalf("attempt %d: valid delivery refused: %v", i+1, err)
					}
				}
				if r.Kind == KindHarness || m.rotates {
					return
				}
				body[len(body)-len(`"}}`)-1] ^= 1 // inside the filler: still valid JSON
				if err := op(); err == nil {
					t.Fatal("a delivery with one byte changed was accepted")
				}
			})
		}
	}
}

// TestEveryImplHasARow keeps [Rows] (what the report lists) and impls (what runs) in step.
func TestEveryImplHasARow(t *testing.T) {
	t.Parallel()
	for name := range impls {
		if !slices.ContainsFunc(Rows, func(r Row) bool { return r.Name == name }) {
			t.Errorf("impl %q is not listed in Rows", name)
		}
	}
}
