package manifest

import (
	"encoding/json"
	"os"
	"testing"
)

// BenchmarkParse compares Parse with encoding/json decoding the same file
// into a map (the floor): Parse also records the position of each value.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/sections/full.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("floor=encoding-json-map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v map[string]any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	m, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	errs, warns := m.Check()
	b.Run("Check", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if e, w := m.Check(); len(e) != len(errs) || len(w) != len(warns) {
				b.Fatalf("Check found %d errors and %d warnings, then %d and %d", len(errs), len(warns), len(e), len(w))
			}
		}
	})
}
