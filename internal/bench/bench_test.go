package bench

import (
	"testing"
)

// bodyFor builds r's delivery body of the given size.
func (r row) bodyFor(size int) []byte {
	if r.body != nil {
		return r.body(size)
	}
	return CoreEvent(size, Locator(0))
}

// BenchmarkDelivery accepts one signed delivery per iteration, for every row at every size. Names are
// size=<size>/impl=<row>, which the runner turns into BENCHMARKS.md.
func BenchmarkDelivery(b *testing.B) {
	for _, s := range Sizes {
		for _, r := range rows {
			b.Run("size="+s.Name+"/impl="+r.name, func(b *testing.B) {
				op := r.prepare(b, r.bodyFor(s.Bytes))
				if err := op(); err != nil {
					b.Fatalf("a valid delivery was refused: %v", err)
				}
				b.SetBytes(int64(s.Bytes))
				b.ReportAllocs()
				for b.Loop() {
					if err := op(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestRowsAcceptAndReject checks that every row accepts its valid delivery and that every verifying row
// refuses the same delivery with one byte changed, so the benchmarks measure real verification.
func TestRowsAcceptAndReject(t *testing.T) {
	t.Parallel()
	for _, s := range Sizes[:2] {
		for _, r := range rows {
			t.Run(s.Name+"/"+r.name, func(t *testing.T) {
				t.Parallel()
				body := r.bodyFor(s.Bytes)
				op := r.prepare(t, body)
				for i := range 2 { // twice: rows that reuse state must stay correct
					if err := op(); err != nil {
						t.Fatalf("attempt %d: valid delivery refused: %v", i+1, err)
					}
				}
				if r.harness {
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
