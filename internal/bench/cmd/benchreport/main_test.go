package main

import (
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/internal/bench"
)

const sampleCSV = `goos: linux
goarch: amd64
pkg: github.com/socotra-go/sdk/internal/bench
cpu: AMD EPYC
,samples,
,sec/op,CI
Delivery/size=2KiB/impl=floor-2,2.5e-06,3%
Delivery/size=2KiB/impl=sdk-verify-2,1.5e-06,∞
ReceiverParts/size=2KiB/part=parse-2,9e-07,4%
geomean,2e-06,

,samples,
,cpu-sec/op,CI
Delivery/size=2KiB/impl=floor-2,2e-06,2%
Delivery/size=2KiB/impl=sdk-verify-2,1e-06,1%

,samples,
,allocs/op,CI
Delivery/size=2KiB/impl=floor-2,7,0%
Delivery/size=2KiB/impl=sdk-verify-2,0,0%
`

func TestParseCSV(t *testing.T) {
	t.Parallel()
	stats, err := parseCSV([]byte(sampleCSV))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		impl, unit string
		want       float64
		ci         string
	}{
		{"floor", wallUnit, 2.5e-6, "3%"},
		{"sdk-verify", wallUnit, 1.5e-6, "∞"},
		{"floor", cpuUnit, 2e-6, "2%"},
		{"sdk-verify", "allocs/op", 0, "0%"},
		{"floor", "allocs/op", 7, "0%"},
		{"part:parse", wallUnit, 9e-7, "4%"},
	}
	for _, tt := range tests {
		got, ok := stats[key{"2KiB", tt.impl}][tt.unit]
		if !ok || got.value != tt.want || got.ci != tt.ci {
			t.Errorf("%s %s = %+v (found %v), want %v ± %s", tt.impl, tt.unit, got, ok, tt.want, tt.ci)
		}
	}
	if len(stats) != 3 {
		t.Errorf("parsed %d benchmarks, want 3 (geomean and headers are not benchmarks)", len(stats))
	}
	if _, err := parseCSV([]byte("goos: linux\n")); err == nil {
		t.Error("output without results parsed without error")
	}
}

func TestSpread(t *testing.T) {
	t.Parallel()
	for ci, want := range map[string]float64{"3%": 0.03, "∞": 0, "": 0, "12%": 0.12} {
		if got := (stat{ci: ci}).spread(); got != want {
			t.Errorf("spread(%q) = %v, want %v", ci, got, want)
		}
	}
}

// fakeReport holds every row at every size with CPU times scaled from the limit's.
func fakeReport(scale map[string]float64) *report {
	r := &report{opts: options{count: 6, benchtime: "300ms"}, stats: map[key]map[string]stat{}}
	for _, s := range bench.Sizes {
		limit := float64(s.Bytes) * 0.5e-9
		for _, row := range bench.Rows {
			x, ok := scale[row.Name]
			if !ok {
				x = 3
			}
			allocs := 5.0
			if row.Name == "sdk-verify" || row.Name == bench.Limit {
				allocs = 0
			}
			r.stats[key{s.Name, row.Name}] = map[string]stat{
				cpuUnit:     {limit * x, "1%"},
				wallUnit:    {limit * x, "2%"},
				"allocs/op": {allocs, "0%"},
				"B/op":      {allocs * 100, "0%"},
			}
		}
		r.stats[key{s.Name, "part:parse"}] = map[string]stat{cpuUnit: {limit * scale["part:parse"], "1%"}}
		r.stats[key{s.Name, "part:handle"}] = map[string]stat{cpuUnit: {limit * scale["part:handle"], "1%"}}
	}
	return r
}

func TestTargets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		scale map[string]float64
		want  []string // substrings of the report
	}{
		{"all met", map[string]float64{bench.Limit: 1, "sdk-verify": 1.1, bench.Floor: 1.5, "sdk-receiver": 2.9},
			[]string{"| `Verify` ≤ 1.15× the physical limit at every size | worst 1.10×", "| 1.93× (wall time 1.93×) | met |"}},
		{"verify too slow", map[string]float64{bench.Limit: 1, "sdk-verify": 1.2, bench.Floor: 1.5, "stripe-validate": 1.19},
			[]string{"worst 1.20×", "| **missed** |", "stripe-validate 0.99× (a tie: within the ±2% noise)", "| met, except ties within the noise |"}},
		{"slower than a peer", map[string]float64{bench.Limit: 1, "sdk-verify": 1, bench.Floor: 1.5, "svix": 0.9},
			[]string{"512B svix 0.90×; ", "| `Verify` faster than every peer at every size | closest peer's time over Verify's: 512B svix 0.90×; 2KiB svix 0.90×; 16KiB svix 0.90×; 256KiB svix 0.90×; 1MiB svix 0.90× | **missed** |"}},
		{"receiver too slow", map[string]float64{bench.Limit: 1, "sdk-verify": 1, bench.Floor: 1, "sdk-receiver": 2.6,
			"sdk-middleware": 1.25, "part:parse": 0.75, "part:handle": 0.4},
			[]string{"| Full receive stack ≤ 2.5× the floor at 2 KiB | 2.60× (wall time 2.60×) | **missed** |",
				"| 2KiB | 1.00× | 0.25× | 0.75× | 0.40× | 0.20× | 2.60× | 3.00× |"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			md := string(fakeReport(tt.scale).markdown())
			for _, w := range tt.want {
				if !strings.Contains(md, w) {
					t.Errorf("report lacks %q:\n%s", w, md[:min(len(md), 3000)])
				}
			}
		})
	}
}

func TestReportSections(t *testing.T) {
	t.Parallel()
	r := fakeReport(nil)
	r.load = &bench.LoadReport{
		Runs:     make([]bench.LoadRun, 4),
		Bare:     bench.LoadRun{Handler: "bare", Senders: 64, Deliveries: 100, BodyBytes: 2048, PerSecond: 1000, P50: time.Millisecond, P99: 4 * time.Millisecond},
		Receiver: bench.LoadRun{Handler: "receiver", PerSecond: 700, P50: 2 * time.Millisecond, P99: 6 * time.Millisecond},
		Ratio:    0.7,
		CPURatio: 1.25,
	}
	r.dedupe = &bench.DedupeReport{Events: [2]int{10, 100}, HeapBytes: [2]uint64{1000, 1000}, BytesPerDelivery: [2]float64{180, 180}}
	r.notes = []byte("Parse dominates.\n")
	md := string(r.markdown())
	for _, w := range []string{
		"| Loopback throughput ≥ 0.8× the bare handler's | 0.70× (CPU per delivery 1.25×) | **missed** |",
		"| receiver / bare | 0.70× | 2.00× | 1.50× | 1.25× |",
		"| Memory per delivery does not grow with events processed | live heap +0.00 B per extra event from 10 to 100 events; 180 → 180 B allocated per delivery | met |",
		"## Findings\n\nParse dominates.",
		"### 1MiB",
	} {
		if !strings.Contains(md, w) {
			t.Errorf("report lacks %q", w)
		}
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	for sec, want := range map[float64]string{5e-7: "500 ns", 2.5e-6: "2.5 µs", 1.234e-3: "1.23 ms", 2: "2 s"} {
		if got := duration(sec); got != want {
			t.Errorf("duration(%v) = %q, want %q", sec, got, want)
		}
	}
	for n, want := range map[float64]string{512: "512 B", 2048: "2 KiB", 1536: "1.5 KiB", 1 << 20: "1 MiB"} {
		if got := bytesize(n); got != want {
			t.Errorf("bytesize(%v) = %q, want %q", n, got, want)
		}
	}
}
