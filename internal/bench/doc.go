// Package bench measures the SDK's receive path against two floors and against peer webhook libraries, on
// the same deliveries, and load-tests the receiver over loopback HTTP.
//
// It is a module of its own so that the peer libraries it compares with never enter the SDK's module graph.
// Everything here is reported as a ratio to a floor measured in the same run, because the machines it runs on
// are shared and noisy.
//
// Regenerate BENCHMARKS.md at the repository root with
//
//	internal/bench/run.sh          # full run
//	internal/bench/run.sh -quick   # a fast, rough run
//
// The fixtures are Core event deliveries of exactly the sizes in [Sizes], built by [CoreEvent] and signed
// with [SignHex]; [Locator] gives each delivery a distinct event locator so dedupe never short-circuits.
package bench
