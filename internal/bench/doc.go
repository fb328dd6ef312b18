// Package bench measures the SDK's receive path against two floors and against peer webhook libraries on
// the same deliveries, load-tests the receiver over loopback HTTP, and checks that dedupe memory stays
// bounded. The results go into BENCHMARKS.md at the repository root.
//
// It is a module of its own, so the peer libraries it compares with (stripe-go, standard-webhooks, svix,
// go-playground/webhooks) never enter the SDK's module graph. Every figure it reports is a ratio to a floor
// measured in the same run, because the machines it runs on are shared and noisy.
//
// Regenerate BENCHMARKS.md with
//
//	internal/bench/run.sh          # full run, about 6 minutes on 2 cores
//	internal/bench/run.sh -quick   # rough figures in about a minute, printed only
//
// What runs:
//   - BenchmarkDelivery: every row of [Rows] at every size of [Sizes]. The deliveries are Core events built
//     by [CoreEvent] and signed by [SignHex], or by each peer's own scheme. The sdk-receiver row gives every
//     delivery a new [Locator], so dedupe never short-circuits it.
//   - BenchmarkReceiverParts: webhooks.Parse and Handler.Handle on their own, plus encoding/json references.
//   - TestLoadLoopback: the receiver and a bare handler under concurrent senders on 127.0.0.1. A short form
//     runs with go test; -load.full is the form the report uses and writes a [LoadReport].
//   - TestDedupeMemoryBounded: the live heap and allocation per delivery after N and after several times N
//     distinct events; -dedupe.full writes a [DedupeReport].
//
// Every benchmark reports cpu-ns/op besides ns/op: the process's CPU time per operation. It is the steadier
// of the two when other programs share the machine. NOTES.md holds hand-written findings from profiles,
// which the report includes.
package bench
