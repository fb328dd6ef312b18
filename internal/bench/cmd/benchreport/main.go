// Command benchreport runs the receive-path benchmarks, the loopback load test and the dedupe memory check
// of internal/bench, summarises the benchmarks with benchstat, and writes BENCHMARKS.md at the repository root.
//
// Run it from internal/bench (run.sh does):
//
//	go run ./cmd/benchreport          # full run, about 6 minutes on 2 cores
//	go run ./cmd/benchreport -quick   # rough figures in about a minute, printed instead of written
//
// The benchmark suite runs -count times as whole rounds, one process per round, so every sample of every row
// is taken close in time to the samples of the other rows: a load change on a shared machine then moves all
// rows of a round together instead of skewing one row's samples.
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/socotra-go/sdk/internal/bench"
)

type options struct {
	quick     bool
	count     int
	benchtime string
	out       string
	raw       string
	skipLoad  bool
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "rough run: 1 round of 20ms per row, short load test; prints the report unless -out is given")
	flag.IntVar(&o.count, "count", 6, "rounds of the benchmark suite: samples per row (benchstat needs 6 for a confidence interval)")
	flag.StringVar(&o.benchtime, "benchtime", "400ms", "-test.benchtime of every row in every round")
	flag.StringVar(&o.out, "out", "", "report path (default: BENCHMARKS.md at the repository root; stdout with -quick)")
	flag.StringVar(&o.raw, "raw", "", "where to keep the raw benchmark output for later benchstat comparisons (default: results/latest.txt; none with -quick)")
	flag.BoolVar(&o.skipLoad, "skip-load", false, "skip the load test and the dedupe memory check")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if o.quick {
		o.count, o.benchtime = 1, "20ms"
	}
	if o.count < 1 {
		return fmt.Errorf("-count must be at least 1, got %d", o.count)
	}
	if o.out == "" && !o.quick {
		o.out = filepath.Join(root, "BENCHMARKS.md")
	}
	if o.raw == "" && !o.quick {
		o.raw = filepath.Join("results", "latest.txt")
	}
	tmp, err := os.MkdirTemp("", "benchreport")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	started := time.Now()
	bin := filepath.Join(tmp, "bench.test")
	logf("building the benchmark binary")
	if err := command(ctx, nil, "go", "test", "-c", "-o", bin, ".").Run(); err != nil {
		return fmt.Errorf("go test -c: %w", err)
	}

	var raw bytes.Buffer
	for i := range o.count {
		logf("benchmark round %d of %d (-benchtime %s)", i+1, o.count, o.benchtime)
		cmd := command(ctx, &raw, bin, "-test.run=^$", "-test.bench=^(BenchmarkDelivery|BenchmarkReceiverParts)$", "-test.timeout=30m",
			"-test.benchtime="+o.benchtime, "-test.count=1", "-test.benchmem")
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("benchmark round %d: %w", i+1, err)
		}
	}
	rawPath := filepath.Join(tmp, "raw.txt")
	if err := os.WriteFile(rawPath, raw.Bytes(), 0o644); err != nil {
		return err
	}

	r := report{opts: o, started: started.UTC(), loadBefore: loadAverage()}
	if r.stats, r.statText, err = benchstat(ctx, root, rawPath); err != nil {
		return err
	}
	if !o.skipLoad {
		r.load, r.dedupe = &bench.LoadReport{}, &bench.DedupeReport{}
		if err := runCheck(ctx, bin, tmp, "TestLoadLoopback", "load", o.quick, r.load); err != nil {
			return err
		}
		if err := runCheck(ctx, bin, tmp, "TestDedupeMemoryBounded", "dedupe", o.quick, r.dedupe); err != nil {
			return err
		}
	}
	if r.machine, err = machine(ctx); err != nil {
		return err
	}
	if r.peers, err = peerVersions(ctx); err != nil {
		return err
	}
	r.loadAfter = loadAverage()
	r.notes, _ = os.ReadFile("NOTES.md") // optional hand-written findings
	r.elapsed = time.Since(started)
	md := r.markdown()

	if o.raw != "" {
		if err := os.MkdirAll(filepath.Dir(o.raw), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(o.raw, raw.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if o.out == "" {
		_, err := os.Stdout.Write(md)
		return err
	}
	logf("writing %s (run took %s)", o.out, r.elapsed.Round(time.Second))
	return os.WriteFile(o.out, md, 0o644)
}

// receiverBudget is the most the full receive stack may cost at 2 KiB, as a multiple of the per-call floor.
const receiverBudget = 2.5

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s benchreport: %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// command prepares name args with stderr passed through and stdout into out (or passed through when nil).
func command(ctx context.Context, out io.Writer, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if out != nil {
		cmd.Stdout = out
	}
	return cmd
}

// repoRoot checks that the working directory is the bench module and returns the repository root.
func repoRoot() (string, error) {
	mod, err := os.ReadFile("go.mod")
	if err != nil || !bytes.Contains(mod, []byte("module github.com/socotra-go/sdk/internal/bench\n")) {
		return "", errors.New("run me from internal/bench (internal/bench/run.sh does that)")
	}
	return filepath.Abs(filepath.Join("..", ".."))
}

// stat is benchstat's summary of one benchmark and unit.
type stat struct {
	value float64
	ci    string // benchstat's confidence interval, e.g. "3%", or "∞" with too few samples
}

// key names one benchmark row: size and impl.
type key struct{ size, impl string }

// benchName matches BenchmarkDelivery's names (impl=<row>) and BenchmarkReceiverParts' (part=<stage>, kept
// as impl "part:<stage>").
var benchName = regexp.MustCompile(`^(?:Delivery|ReceiverParts)/size=([^/]+)/(impl=|part=)(.+?)(?:-\d+)?$`)

// benchstat runs benchstat on the raw output twice: as text for the report, and as CSV for the tables.
func benchstat(ctx context.Context, root, rawPath string) (map[key]map[string]stat, string, error) {
	tool := []string{"tool", "-modfile=" + filepath.Join(root, "tools", "go.mod"), "benchstat"}
	var text, csvOut bytes.Buffer
	if err := command(ctx, &text, "go", append(tool, rawPath)...).Run(); err != nil {
		return nil, "", fmt.Errorf("benchstat: %w", err)
	}
	cmd := command(ctx, &csvOut, "go", append(tool, "-format", "csv", rawPath)...)
	cmd.Stderr = io.Discard // footnotes about sample counts, already in the text form
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("benchstat -format csv: %w", err)
	}
	stats, err := parseCSV(csvOut.Bytes())
	return stats, strings.ReplaceAll(text.String(), rawPath, "samples"), err
}

// parseCSV reads benchstat's CSV: blocks of a file header line, a ",unit,CI" line, then "name,value,CI" lines.
func parseCSV(data []byte) (map[key]map[string]stat, error) {
	stats := map[key]map[string]stat{}
	unit := ""
	for line := range strings.Lines(string(data)) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			unit = ""
			continue
		}
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil || len(rec) < 3 {
			continue
		}
		if rec[0] == "" {
			if rec[2] == "CI" {
				unit = rec[1]
			}
			continue
		}
		m := benchName.FindStringSubmatch(rec[0])
		if m == nil || unit == "" {
			continue
		}
		v, err := strconv.ParseFloat(rec[1], 64)
		if err != nil {
			return nil, fmt.Errorf("benchstat CSV: %q: %w", line, err)
		}
		k := key{m[1], m[3]}
		if m[2] == "part=" {
			k.impl = "part:" + m[3]
		}
		if stats[k] == nil {
			stats[k] = map[string]stat{}
		}
		stats[k][unit] = stat{v, rec[2]}
	}
	if len(stats) == 0 {
		return nil, errors.New("benchstat CSV held no BenchmarkDelivery results")
	}
	return stats, nil
}

// runCheck runs one of the tests that write a report (-<prefix>.out), in its full form unless quick, and
// decodes the report into v.
func runCheck(ctx context.Context, bin, tmp, test, prefix string, quick bool, v any) error {
	out := filepath.Join(tmp, prefix+".json")
	args := []string{"-test.run=^" + test + "$", "-test.timeout=10m", "-" + prefix + ".out=" + out}
	if !quick {
		args = append(args, "-"+prefix+".full")
	}
	logf("%s", test)
	return runJSON(ctx, bin, args, out, v)
}

func runJSON(ctx context.Context, bin string, args []string, out string, v any) error {
	var log bytes.Buffer
	if err := command(ctx, &log, bin, args...).Run(); err != nil {
		os.Stderr.Write(log.Bytes())
		return fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return fmt.Errorf("%s wrote no report (is the test skipped?): %w", args[0], err)
	}
	return json.Unmarshal(data, v)
}

// peerModules are the modules of the peer libraries, as in go.mod.
var peerModules = []string{
	"github.com/stripe/stripe-go/v84",
	"github.com/standard-webhooks/standard-webhooks/libraries",
	"github.com/svix/svix-webhooks",
	"github.com/go-playground/webhooks/v6",
}

// peerVersions returns "module version" for every peer module, as the bench module resolves them.
func peerVersions(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", append([]string{"list", "-m"}, peerModules...)...).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m: %w", err)
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(string(out), " ", "@")), ", "), nil
}

// loadAverage returns the 1-minute load average, a hint of how busy the shared machine was.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(data)); err == nil && len(fields) > 0 {
		return fields[0]
	}
	return "unknown"
}

// machine describes where the run happened.
func machine(ctx context.Context) (string, error) {
	ver, err := exec.CommandContext(ctx, "go", "version").Output()
	if err != nil {
		return "", fmt.Errorf("go version: %w", err)
	}
	cpu := "unknown CPU"
	if info, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(info)) {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimLeft(name, " \t:"))
				break
			}
		}
	}
	return fmt.Sprintf("%s; GOOS/GOARCH %s/%s; %d CPUs (nproc), GOMAXPROCS %d; %s",
		strings.TrimSpace(string(ver)), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), cpu), nil
}

type report struct {
	opts                  options
	loadBefore, loadAfter string
	peers                 string
	started               time.Time
	elapsed               time.Duration
	machine               string
	stats                 map[key]map[string]stat
	statText              string
	load                  *bench.LoadReport
	dedupe                *bench.DedupeReport
	notes                 []byte
}

// The units compared: process CPU time per delivery (primary: steady on a shared machine) and wall time.
const (
	cpuUnit  = "cpu-sec/op"
	wallUnit = "sec/op"
)

// ratio returns the median of unit for a row at a size over that of base, and whether both were measured.
func (r *report) ratioIn(unit, size, impl, base string) (float64, bool) {
	a, ok1 := r.stats[key{size, impl}][unit]
	b, ok2 := r.stats[key{size, base}][unit]
	if !ok1 || !ok2 || b.value == 0 {
		return 0, false
	}
	return a.value / b.value, true
}

// ratio is ratioIn for CPU time.
func (r *report) ratio(size, impl, base string) (float64, bool) {
	return r.ratioIn(cpuUnit, size, impl, base)
}

// wallNote returns " (wall time: 1.23×)" for the same ratio in wall time, or "".
func (r *report) wallNote(size, impl, base string) string {
	if x, ok := r.ratioIn(wallUnit, size, impl, base); ok {
		return fmt.Sprintf(" (wall time %.2f×)", x)
	}
	return ""
}

func (r *report) markdown() []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Benchmarks\n\n")
	p("Generated by `internal/bench/run.sh` on %s in %s. Do not edit by hand: regenerate it with\n\n", r.started.Format("2006-01-02 15:04 MST"), r.elapsed.Round(time.Second))
	p("```sh\ninternal/bench/run.sh           # full run: writes this file and internal/bench/results/latest.txt\ninternal/bench/run.sh -quick    # rough figures in about a minute, printed only\n```\n\n")
	p("Compare a later run with this one: `go tool -modfile=tools/go.mod benchstat internal/bench/results/latest.txt new.txt`.\n\n")
	p("- **Machine**: %s. 1-minute load average %s at the start, %s at the end (the machine is shared).\n", r.machine, r.loadBefore, r.loadAfter)
	p("- **Method**: the whole suite ran %d time(s) (`-count %d` as rounds, one process each, so every row's samples are spread over the run), `-benchtime %s` per row; each figure is benchstat's median of the %d samples. ", r.opts.count, r.opts.count, r.opts.benchtime, r.opts.count)
	p("Ratios divide medians of rows measured in the same run. They use **CPU time per delivery** (`cpu-ns/op`: the process's user+system time over the timed loop, read with getrusage), which unlike wall time (`ns/op`) does not grow while another program holds the core, and does include the garbage collector's work on the other core; wall-time ratios are given beside the targets and in the per-size tables.\n")
	p("- **Deliveries**: Core events (`%s`, the event stream's shape) padded to each size with charge-like records; every row gets the same body signed its own way (stripe-construct gets a Stripe event envelope of the same size around the same data, as its API requires). ", bench.EventType)
	p("The receiver row gets a new event locator on every delivery, so dedupe never short-circuits it.\n")
	p("- **Peers**: %s, each through its own public API.\n", r.peers)
	p("- **Heap**: the benchmark process keeps 32 MiB of pointer-free live heap, about what a receiver's full default dedupe store holds, so the garbage collector runs as often per allocated byte as in such a server instead of every few megabytes.\n")
	p("- **Floors**: *floor* is what a user would write per call (`hmac.New`, hex decode, `hmac.Equal`); *limit* is the physical limit, one keyed HMAC reused with `Reset` and nothing allocated.\n\n")

	r.targets(p)
	r.matrix(p, "CPU time per delivery as a multiple of the per-call floor", bench.Floor)
	r.matrix(p, "CPU time per delivery as a multiple of the physical limit", bench.Limit)
	r.breakdown(p)
	r.details(p)
	r.loadSection(p)
	r.dedupeSection(p)
	if len(r.notes) > 0 {
		p("## Findings\n\n%s\n", bytes.TrimSpace(r.notes))
		p("\n*(from `internal/bench/NOTES.md`, written by hand)*\n\n")
	}
	p("## benchstat summary\n\n<details><summary>benchstat output for the %d samples of every row</summary>\n\n```\n%s```\n\n</details>\n", r.opts.count, r.statText)
	return b.Bytes()
}

func mark(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// targets checks the project's targets against the measurements.
func (r *report) targets(p func(string, ...any)) {
	p("## Targets\n\n| Target | Measured | |\n|---|---|---|\n")
	const verify, receiver = "sdk-verify", "sdk-receiver"

	allocs, worst, measured := 0.0, 0.0, true
	worstSize := ""
	for _, s := range bench.Sizes {
		a, ok := r.stats[key{s.Name, verify}]["allocs/op"]
		x, ok2 := r.ratio(s.Name, verify, bench.Limit)
		if !ok || !ok2 {
			measured = false
			continue
		}
		allocs = max(allocs, a.value)
		if x > worst {
			worst, worstSize = x, s.Name
		}
	}
	if !measured {
		p("| Verify measured at every size | not measured | **missed** |\n")
	}
	p("| `Verify` allocation-free | at most %g allocs/op | %s |\n", allocs, mark(measured && allocs == 0))
	p("| `Verify` ≤ 1.15× the physical limit at every size | worst %.2f× (at %s)%s | %s |\n", worst, worstSize,
		r.wallNote(worstSize, verify, bench.Limit), mark(measured && worst <= 1.15))

	var perSize []string
	verdict, measuredPeers := "met", true
	for _, s := range bench.Sizes {
		peer, x, noise := r.closestPeer(s.Name, verify)
		if peer == "" {
			measuredPeers = false
			continue
		}
		cell := fmt.Sprintf("%s %s %.2f×", s.Name, peer, x)
		switch {
		case x > 1:
		case x > 1-noise:
			cell += fmt.Sprintf(" (a tie: within the ±%.0f%% noise)", 100*noise)
			if verdict == "met" {
				verdict = "met, except ties within the noise"
			}
		default:
			verdict = "**missed**"
		}
		perSize = append(perSize, cell)
	}
	if !measuredPeers {
		verdict = "**missed**"
	}
	p("| `Verify` faster than every peer at every size | closest peer's time over Verify's: %s | %s |\n", strings.Join(perSize, "; "), verdict)

	if x, ok := r.ratio("2KiB", receiver, bench.Floor); ok {
		p("| Full receive stack ≤ %g× the floor at 2 KiB | %.2f×%s | %s |\n", receiverBudget, x, r.wallNote("2KiB", receiver, bench.Floor), mark(x <= receiverBudget))
	} else {
		p("| Full receive stack ≤ %g× the floor at 2 KiB | not measured | **missed** |\n", receiverBudget)
	}
	if r.load != nil && r.load.Ratio > 0 {
		p("| Loopback throughput ≥ 0.8× the bare handler's | %.2f× (CPU per delivery %.2f×) | %s |\n", r.load.Ratio, r.load.CPURatio, mark(r.load.Ratio >= 0.8))
	} else {
		p("| Loopback throughput ≥ 0.8× the bare handler's | not measured | **missed** |\n")
	}
	if d := r.dedupe; d != nil && d.Events[0] > 0 {
		grow := d.BytesPerDelivery[1] / math.Max(d.BytesPerDelivery[0], 1)
		ok := d.GrowthPerEvent < 1 && grow < 1.1
		p("| Memory per delivery does not grow with events processed | live heap %+.2f B per extra event from %d to %d events; %.0f → %.0f B allocated per delivery | %s |\n",
			d.GrowthPerEvent, d.Events[0], d.Events[1], d.BytesPerDelivery[0], d.BytesPerDelivery[1], mark(ok))
	} else {
		p("| Memory per delivery does not grow with events processed | not measured | **missed** |\n")
	}
	p("\n")
}

// closestPeer returns the peer whose time is nearest to (or below) base's at size, its time over base's, and
// the noise of that ratio: the sum of the two rows' benchstat confidence intervals, as a fraction.
func (r *report) closestPeer(size, base string) (peer string, ratio, noise float64) {
	ratio = math.Inf(1)
	for _, row := range bench.Rows {
		if row.Kind != bench.KindPeer {
			continue
		}
		if x, ok := r.ratio(size, row.Name, base); ok && x < ratio {
			peer, ratio = row.Name, x
		}
	}
	if peer == "" {
		return "", 0, 0
	}
	return peer, ratio, r.stats[key{size, peer}][cpuUnit].spread() + r.stats[key{size, base}][cpuUnit].spread()
}

// spread returns the confidence interval as a fraction of the median; 0 when benchstat gave none.
func (s stat) spread() float64 {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s.ci, "%"), 64)
	if err != nil || math.IsInf(v, 0) || !strings.HasSuffix(s.ci, "%") {
		return 0
	}
	return v / 100
}

// matrix writes one table: rows × sizes, each cell the row's time over base's at that size.
func (r *report) matrix(p func(string, ...any), title, base string) {
	p("## %s\n\n| Row |", title)
	for _, s := range bench.Sizes {
		p(" %s |", s.Name)
	}
	p("\n|---|")
	for range bench.Sizes {
		p("---:|")
	}
	p("\n")
	for _, row := range bench.Rows {
		p("| %s |", row.Name)
		for _, s := range bench.Sizes {
			if x, ok := r.ratio(s.Name, row.Name, base); ok {
				p(" %.2f× |", x)
			} else {
				p(" – |")
			}
		}
		p("\n")
	}
	p("\n")
}

// breakdown splits the receiver's CPU time into its stages, from the rows and the stage benchmarks.
func (r *report) breakdown(p func(string, ...any)) {
	p("## Where the receive stack's time goes\n\n")
	p("CPU time per delivery as a multiple of the per-call floor, from rows of the same run: *verify* is sdk-verify; *read body* is sdk-middleware − sdk-verify (reading the request, passing the bytes on, and the harness's recorder); ")
	p("*parse* is `webhooks.Parse` alone and *dedupe + route* is `Handler.Handle` alone with a new event id each time (BenchmarkReceiverParts); *rest* is what the receiver row costs beyond those: the glue between stages (the request copy, the status) and the cache misses that stages cause each other when they run back to back, the dedupe store's map most of all (a stage timed alone keeps its data in cache). *harness* is the httptest recorder alone, included in read body and in the receiver.\n\n")
	p("| Size | verify | read body | parse | dedupe + route | rest | receiver | harness |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	get := func(size, impl string) (float64, bool) {
		st, ok := r.stats[key{size, impl}][cpuUnit]
		return st.value, ok
	}
	for _, s := range bench.Sizes {
		floor, ok0 := get(s.Name, bench.Floor)
		verify, ok1 := get(s.Name, "sdk-verify")
		mw, ok2 := get(s.Name, "sdk-middleware")
		parse, ok3 := get(s.Name, "part:parse")
		handle, ok4 := get(s.Name, "part:handle")
		recv, ok5 := get(s.Name, "sdk-receiver")
		harness, ok6 := get(s.Name, bench.Harness)
		if !(ok0 && ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || floor == 0 {
			p("| %s | not measured | | | | | | |\n", s.Name)
			continue
		}
		f := func(v float64) string { return fmt.Sprintf("%.2f×", v/floor) }
		p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", s.Name, f(verify), f(mw-verify), f(parse), f(handle), f(recv-mw-parse-handle), f(recv), f(harness))
	}
	p("\nFor scale, parse's time over encoding/json's on the same body: ")
	var refs []string
	for _, s := range bench.Sizes {
		parse, ok1 := get(s.Name, "part:parse")
		valid, ok2 := get(s.Name, "part:stdjson-valid")
		decode, ok3 := get(s.Name, "part:stdjson-decode")
		if ok1 && ok2 && ok3 && valid > 0 && decode > 0 {
			refs = append(refs, fmt.Sprintf("%s %.2f× `json.Valid`, %.2f× `json.Unmarshal`", s.Name, parse/valid, parse/decode))
		}
	}
	if len(refs) == 0 {
		refs = []string{"not measured"}
	}
	p("%s (into the event's fields, data kept as `json.RawMessage`).\n\n", strings.Join(refs, "; "))
}

// details writes one table per size with every measured figure.
func (r *report) details(p func(string, ...any)) {
	p("## Per size\n\nCPU and wall time are benchstat medians with their 95%% confidence intervals; the multiples are of CPU time.\n\n")
	for _, s := range bench.Sizes {
		p("### %s\n\n| Row | CPU/op | ± | wall/op | ± | × floor | × limit | B/op | allocs/op | Work compared with `Verify` |\n", s.Name)
		p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, row := range bench.Rows {
			st := r.stats[key{s.Name, row.Name}]
			c, ok := st[cpuUnit]
			w := st[wallUnit]
			if !ok {
				p("| %s | not measured | | | | | | | | %s |\n", row.Name, row.Does)
				continue
			}
			xf, _ := r.ratio(s.Name, row.Name, bench.Floor)
			xl, _ := r.ratio(s.Name, row.Name, bench.Limit)
			p("| %s | %s | %s | %s | %s | %.2f× | %.2f× | %s | %g | %s |\n", row.Name, duration(c.value), c.ci,
				duration(w.value), w.ci, xf, xl, bytesize(st["B/op"].value), st["allocs/op"].value, row.Does)
		}
		p("\n")
	}
}

func (r *report) loadSection(p func(string, ...any)) {
	l := r.load
	if l == nil || len(l.Runs) == 0 {
		return
	}
	p("## Loopback load test\n\n")
	p("`go test -run TestLoadLoopback -load.full` in internal/bench: %d concurrent senders post %d deliveries of %s each over real HTTP/1.1 on 127.0.0.1 (keep-alive), ",
		l.Bare.Senders, l.Bare.Deliveries, bytesize(float64(l.Bare.BodyBytes)))
	p("to a bare `net/http` handler that only reads the body and to the SDK's full receiver (verify → decode → dedupe → route), alternating, %d runs each; medians below. ", len(l.Runs)/2)
	p("Senders and server share the same 2 cores, so the client's own cost (signing, HTTP) is in both figures; *CPU/delivery* is the process's CPU time (senders and server) per delivery, which other programs on the machine disturb less than throughput. ")
	p("The throughput and CPU ratios are medians of the ratios within each round; the latency ratios divide the medians.\n\n")
	p("| Handler | deliveries/s | p50 | p99 | CPU/delivery |\n|---|---:|---:|---:|---:|\n")
	for _, run := range []bench.LoadRun{l.Bare, l.Receiver} {
		p("| %s | %.0f | %s | %s | %s |\n", run.Handler, run.PerSecond, duration(run.P50.Seconds()), duration(run.P99.Seconds()), duration(run.CPUPerDelivery.Seconds()))
	}
	p("| receiver / bare | %.2f× | %.2f× | %.2f× | %.2f× |\n\n", l.Ratio,
		l.Receiver.P50.Seconds()/l.Bare.P50.Seconds(), l.Receiver.P99.Seconds()/l.Bare.P99.Seconds(), l.CPURatio)
}

func (r *report) dedupeSection(p func(string, ...any)) {
	d := r.dedupe
	if d == nil || d.Events[0] == 0 {
		return
	}
	p("## Dedupe memory\n\n")
	p("`go test -run TestDedupeMemoryBounded -dedupe.full`: a `webhooks.Handler` with its default dedupe store handles distinct events through its public API; the live heap is read after a GC.\n\n")
	p("| Events handled | live heap over the baseline | allocated per delivery |\n|---:|---:|---:|\n")
	for i := range d.Events {
		p("| %d | %s | %.0f B |\n", d.Events[i], bytesize(float64(d.HeapBytes[i])-float64(d.BaselineHeapBytes)), d.BytesPerDelivery[i])
	}
	if d.Capacity > 0 {
		p("\nThe default store remembers %d ids: %.0f B of live heap per remembered id at steady state.\n", d.Capacity,
			(float64(d.HeapBytes[1])-float64(d.BaselineHeapBytes))/float64(d.Capacity))
	}
	p("\nLive heap growth between the two: %+.2f B per extra event.\n\n", d.GrowthPerEvent)
}

// duration formats seconds like benchstat does.
func duration(sec float64) string {
	ns := sec * 1e9
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	}
	return fmt.Sprintf("%.3g s", sec)
}

func bytesize(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", n), "0"), ".0") + " " + units[i]
}
