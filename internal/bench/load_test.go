package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	loadFull = flag.Bool("load.full", false, "run the full loopback load test (run.sh does) instead of the short check")
	loadOut  = flag.String("load.out", "", "write the load test's LoadReport as JSON to this file")
)

// loadConfig bounds one load test: every run sends exactly deliveries requests, and the whole test gives up
// after timeout.
type loadConfig struct {
	deliveries int
	senders    int
	rounds     int // runs of each target, alternating
	bodyBytes  int
	timeout    time.Duration
}

var (
	shortLoad = loadConfig{deliveries: 1000, senders: 16, rounds: 1, bodyBytes: 2 << 10, timeout: 60 * time.Second}
	fullLoad  = loadConfig{deliveries: 20000, senders: 64, rounds: 5, bodyBytes: 2 << 10, timeout: 5 * time.Minute}
)

// A loadTarget is a handler under load and a count of the deliveries it has fully processed.
type loadTarget struct {
	name    string
	handler http.Handler
	served  func() int64
}

// loadTargets build the targets of the load test, in the order they run within a round. receiver_test.go adds
// the SDK's receiver after the bare handler.
var loadTargets = []func(testing.TB) loadTarget{bareTarget}

// bareTarget is a net/http handler that only reads the body.
func bareTarget(testing.TB) loadTarget {
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		n.Add(1)
	})
	return loadTarget{name: "bare", handler: h, served: n.Load}
}

// TestLoadLoopback drives every load target over real HTTP on 127.0.0.1 with concurrent senders, each
// delivery a distinct signed Core event, and checks that every delivery was answered 200 and processed once.
// With -load.full it runs longer and -load.out writes the figures run.sh puts in BENCHMARKS.md.
func TestLoadLoopback(t *testing.T) {
	cfg := shortLoad
	if *loadFull {
		cfg = fullLoad
	}
	if len(loadTargets) < 2 {
		t.Fatal("the SDK's receiver is not among the load targets")
	}
	ctx, cancel := context.WithTimeout(t.Context(), cfg.timeout)
	defer cancel()
	var locators atomic.Uint64 // shared by all runs, so every delivery of the test is a new event
	var rep LoadReport
	var ratios, cpuRatios []float64
	for round := range cfg.rounds {
		order := slices.Clone(loadTargets)
		if round%2 == 1 {
			slices.Reverse(order) // so neither target always runs on a machine warmed by the other
		}
		perSecond, cpu := map[string]float64{}, map[string]float64{}
		for _, build := range order {
			target := build(t)
			run, err := runLoad(ctx, target, cfg, &locators)
			if err != nil {
				t.Fatalf("%s: %v", target.name, err)
			}
			if got := target.served(); got != int64(cfg.deliveries) {
				t.Fatalf("%s processed %d deliveries, want %d", target.name, got, cfg.deliveries)
			}
			t.Logf("%s: %.0f deliveries/s, p50 %s, p99 %s, CPU %s per delivery", run.Handler, run.PerSecond, run.P50, run.P99, run.CPUPerDelivery)
			rep.Runs = append(rep.Runs, run)
			perSecond[run.Handler], cpu[run.Handler] = run.PerSecond, float64(run.CPUPerDelivery)
		}
		ratios = append(ratios, perSecond["receiver"]/perSecond["bare"])
		cpuRatios = append(cpuRatios, cpu["receiver"]/cpu["bare"])
	}
	rep.Bare, rep.Receiver = medianRun(rep.Runs, "bare"), medianRun(rep.Runs, "receiver")
	rep.Ratio = median(ratios, func(x float64) float64 { return x })
	rep.CPURatio = median(cpuRatios, func(x float64) float64 { return x })
	t.Logf("receiver/bare: throughput %.2f×, CPU per delivery %.2f×", rep.Ratio, rep.CPURatio)
	writeJSON(t, *loadOut, rep)
}

// writeJSON writes v as JSON to path, when path is not empty: the report a test hands to run.sh.
func writeJSON(t *testing.T, path string, v any) {
	if path == "" {
		return
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runLoad serves target on loopback and posts cfg.deliveries signed deliveries to it from cfg.senders
// goroutines over keep-alive connections. It fails on the first transport error or status other than 200.
func runLoad(ctx context.Context, target loadTarget, cfg loadConfig, locators *atomic.Uint64) (LoadRun, error) {
	srv := httptest.NewServer(target.handler)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConns: cfg.senders, MaxIdleConnsPerHost: cfg.senders, MaxConnsPerHost: cfg.senders}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := srv.URL + "/webhooks/socotra"
	template := CoreEvent(cfg.bodyBytes, Locator(0))

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var issued atomic.Int64
	latencies := make([][]time.Duration, cfg.senders)
	var wg sync.WaitGroup
	start, startCPU := time.Now(), processCPU()
	for s := range cfg.senders {
		wg.Go(func() {
			body := bytes.Clone(template)
			for issued.Add(1) <= int64(cfg.deliveries) {
				copy(body[LocatorOffset:], Locator(locators.Add(1)))
				d, err := post(ctx, client, url, body)
				if err != nil {
					cancel(err)
					return
				}
				latencies[s] = append(latencies[s], d)
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-startCPU
	if err := context.Cause(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return LoadRun{}, fmt.Errorf("not done within %s: %w", cfg.timeout, err)
		}
		return LoadRun{}, err
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	return LoadRun{
		Handler:    target.name,
		Deliveries: len(all),
		Senders:    cfg.senders,
		BodyBytes:  cfg.bodyBytes,
		Elapsed:    elapsed,
		PerSecond:  float64(len(all)) / elapsed.Seconds(),
		P50:        all[len(all)*50/100],
		P99:        all[len(all)*99/100],

		CPUPerDelivery: cpu / time.Duration(len(all)),
	}, nil
}

// post sends one signed delivery and returns how long it took until the response was read.
func post(ctx context.Context, client *http.Client, url string, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Socotra-Signature", SignHex(Secret, body))
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, answer)
	}
	return d, nil
}

// medianRun returns, for the runs of one handler, the median throughput and latencies.
func medianRun(runs []LoadRun, handler string) LoadRun {
	var mine []LoadRun
	for _, r := range runs {
		if r.Handler == handler {
			mine = append(mine, r)
		}
	}
	if len(mine) == 0 {
		return LoadRun{Handler: handler}
	}
	out := mine[0]
	out.PerSecond = median(mine, func(r LoadRun) float64 { return r.PerSecond })
	out.Elapsed = time.Duration(median(mine, func(r LoadRun) float64 { return float64(r.Elapsed) }))
	out.P50 = time.Duration(median(mine, func(r LoadRun) float64 { return float64(r.P50) }))
	out.P99 = time.Duration(median(mine, func(r LoadRun) float64 { return float64(r.P99) }))
	out.CPUPerDelivery = time.Duration(median(mine, func(r LoadRun) float64 { return float64(r.CPUPerDelivery) }))
	return out
}

func median[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func TestMedianRun(t *testing.T) {
	t.Parallel()
	runs := []LoadRun{
		{Handler: "bare", PerSecond: 10, P50: 3, P99: 9},
		{Handler: "receiver", PerSecond: 1},
		{Handler: "bare", PerSecond: 30, P50: 1, P99: 7},
		{Handler: "bare", PerSecond: 20, P50: 2, P99: 8},
	}
	got := medianRun(runs, "bare")
	if got.PerSecond != 20 || got.P50 != 2 || got.P99 != 8 {
		t.Fatalf("medianRun = %+v, want 20/s, p50 2, p99 8", got)
	}
	if got := median([]float64{4, 1, 3, 2}, func(x float64) float64 { return x }); got != 2.5 {
		t.Fatalf("median of 1..4 = %v, want 2.5", got)
	}
}

// TestRunLoadFailures checks that a load run reports a refused delivery and a handler that never answers,
// instead of counting them as served.
func TestRunLoadFailures(t *testing.T) {
	t.Parallel()
	cfg := loadConfig{deliveries: 20, senders: 4, rounds: 1, bodyBytes: 512, timeout: 300 * time.Millisecond}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"refused", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", http.StatusUnauthorized)
		}, "status 401"},
		{"hangs", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // the server notices a gone client only once the body is read
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, "not done within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), cfg.timeout)
			defer cancel()
			var seq atomic.Uint64
			_, err := runLoad(ctx, loadTarget{name: tt.name, handler: tt.handler}, cfg, &seq)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("runLoad error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
