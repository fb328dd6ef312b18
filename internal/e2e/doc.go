// Package e2e holds the SDK's end-to-end fault tests, which run several packages together: a fake
// tenant that drops, duplicates and reorders deliveries, a receiver that goes down or crashes mid-event, a
// management API that answers 429 and 503, and an app lifecycle interrupted halfway. Each test checks what a user must be able to rely on:
// every event is processed, exactly once where the dedupe store allows it, and nothing is left behind.
//
// It has no exported API; the tests are the content. Run them with
//
//	go test ./internal/e2e/
//
// The largest, TestTenThousandEventsExactlyOnce, emits 10 000 events and logs its figures with -v;
// TestLegacyExactlyOnceAcrossTwoBackfillRuns does the same on a Legacy tenant, with two backfills of its
// diverted events and its event stream, the second resuming from the first one's checkpoint.
package e2e
