//go:build unix

package pgstore_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/socotra-go/sdk/webhooks"
)

// BenchmarkHandleTx measures what HandleTx costs per delivery against its floor, a bare transaction that
// inserts the same effect row (BEGIN, INSERT, COMMIT) on the same pool. Each iteration runs the floor,
// then Handler.Handle of a new event through HandleTx with no Deduper, then the same with the Store's
// Deduper, timing each, so that all three share the machine's load; the metrics are deliveries per
// second of each (from the median time per iteration), and HandleTx's throughput as a fraction of the
// floor's: the ratio to report.
func BenchmarkHandleTx(b *testing.B) {
	pool := newDB(b)
	effects(b, pool)
	store := newStore(b, pool)
	ctx := context.Background()
	bare := webhooks.NewHandler(webhooks.WithDeduper(nil))
	deduped := webhooks.NewHandler(webhooks.WithDeduper(store.Deduper()))
	for _, h := range []*webhooks.Handler{bare, deduped} {
		if err := store.HandleTx(h, "*", effect("bench", nil)); err != nil {
			b.Fatal(err)
		}
	}
	var floor, tx, txd []time.Duration
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		id := strconv.Itoa(i)
		t0 := time.Now()
		t, err := pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := t.Exec(ctx, "INSERT INTO effects (event_id, handler) VALUES ($1, 'floor')", id); err != nil {
			b.Fatal(err)
		}
		if err := t.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := bare.Handle(ctx, &webhooks.Event{ID: "tx-" + id, Type: "policy.issue"}); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := deduped.Handle(ctx, &webhooks.Event{ID: "txd-" + id, Type: "policy.issue"}); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		floor, tx, txd = append(floor, t1.Sub(t0)), append(tx, t2.Sub(t1)), append(txd, t3.Sub(t2))
	}
	// Medians: a machine shared with other work stalls some iterations for milliseconds.
	f, x, xd := median(floor), median(tx), median(txd)
	b.ReportMetric(1/f.Seconds(), "bare-tx/s")
	b.ReportMetric(1/x.Seconds(), "handletx/s")
	b.ReportMetric(1/xd.Seconds(), "handletx+deduper/s")
	b.ReportMetric(f.Seconds()/x.Seconds(), "handletx/bare")
	b.ReportMetric(f.Seconds()/xd.Seconds(), "handletx+deduper/bare")
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
