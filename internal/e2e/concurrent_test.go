package e2e

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/socotra-go/sdk/internal/exactlyonce"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

// A backfill of the event stream runs over and over while the tenant is still delivering (dropping and
// duplicating some deliveries), as when a service backfills at start-up while Socotra retries: the two
// paths race for the same events, and each event is still processed exactly once.
func TestBackfillWhileDeliveriesArrive(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envConfig{faults: socotratest.Faults{Seed: 7, Drop: 0.2, Duplicate: 0.2}})
	b, err := backfill.New(e.h, backfill.WithFromBeginning(), backfill.WithPageSize(25))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := backfill.NewFileCheckpoint(filepath.Join(t.TempDir(), "stream"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := exactlyonce.Backfill(t.Context())

	const batches, size = 12, 50
	stop := make(chan struct{})
	ran := make(chan struct{}, 1) // a backfill run has completed
	var wg sync.WaitGroup
	runs := 0
	wg.Go(func() {
		for {
			if _, err := b.Stream(ctx, e.core, cp); err != nil {
				t.Error(err)
				return
			}
			runs++
			select {
			case ran <- struct{}{}:
			default:
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})
	var ids []string
	for i := range batches * size {
		ids = append(ids, e.emit(t, i))
		if i%size == size-1 { // let a backfill run overlap the deliveries of each batch
			select {
			case <-ran:
			case <-time.After(30 * time.Second):
				t.Fatal("no backfill run completed within 30s")
			}
		}
	}
	e.flush(t)
	close(stop)
	wg.Wait()
	rep, err := b.Stream(ctx, e.core, cp) // a last run after the deliveries settled
	if err != nil {
		t.Fatal(err)
	}
	e.rec.Check(t, ids)
	t.Logf("%d events: %d handled live, %d by %d concurrent backfill runs; final run: %s",
		len(ids), e.rec.Live(), e.rec.Backfilled(), runs, rep)
}
