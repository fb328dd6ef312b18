package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/socotra-go/sdk/internal/exactlyonce"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

// TestTenThousandEventsExactlyOnce is the SDK's end-to-end promise: the tenant drops 5% of deliveries,
// duplicates 5% and reorders 5%, the receiver is down for a tenth of the run (some events then arrive by
// retry, others are diverted), and a backfill of the diverted events and of the event stream afterwards
// brings every event to the Handler exactly once.
func TestTenThousandEventsExactlyOnce(t *testing.T) {
	const n = 10_000 // about 2 s, or 8 to 11 s under the race detector, on 2 busy cores
	began := time.Now()
	e := newEnv(t, envConfig{faults: socotratest.Faults{
		Seed: 11, Drop: 0.05, Duplicate: 0.05, Reorder: 0.05, ReorderWindow: 5 * time.Second,
	}})
	// Events go out in batches of a hundred, each settled (retries and reorder holds included) before
	// the next, and the fake clock moves a second between batches. The receiver is down from batch 30:
	// batches 30 to 38 exhaust their retries and are diverted; it comes back four seconds into batch
	// 39, whose deliveries then succeed on retry.
	const batches = 100
	size := n / batches
	ids := make([]string, 0, n)
	for b := range batches {
		switch b {
		case 30:
			e.setDown(e.clock.Now(), forever)
		case 39:
			e.setDown(time.Unix(0, 0), e.clock.Now().Add(4*time.Second))
		}
		for i := range size {
			ids = append(ids, e.emit(t, b*size+i))
		}
		e.flush(t)
		e.clock.Advance(time.Second)
	}
	delivered := time.Since(began)

	ctx := exactlyonce.Backfill(t.Context())
	b, err := backfill.New(e.h, backfill.WithFromBeginning(), backfill.WithPageSize(500))
	if err != nil {
		t.Fatal(err)
	}
	diverted := len(e.srv.DivertedEvents(e.hook))
	drep, err := b.CoreDiverted(ctx, e.core, e.hook)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := backfill.NewFileCheckpoint(filepath.Join(t.TempDir(), "stream"))
	if err != nil {
		t.Fatal(err)
	}
	srep, err := b.Stream(ctx, e.core, cp)
	if err != nil {
		t.Fatal(err)
	}

	e.rec.Check(t, ids)

	var st struct{ attempts, dropped, duplicated, reordered, refused, retriedOK int }
	for _, d := range e.srv.Deliveries() {
		st.attempts++
		switch {
		case d.Faults.Has(socotratest.FaultDrop):
			st.dropped++
		case d.Faults.Has(socotratest.FaultDuplicate):
			st.duplicated++
		case d.Status == 503:
			st.refused++
		case d.Attempt > 1 && d.Status == 200:
			st.retriedOK++
		}
		if d.Faults.Has(socotratest.FaultReorder) {
			st.reordered++
		}
	}
	t.Logf("%d events, %d delivery attempts: %d dropped, %d duplicated, %d reordered, %d refused while down, %d delivered on retry",
		n, st.attempts, st.dropped, st.duplicated, st.reordered, st.refused, st.retriedOK)
	t.Logf("handled live %d, by backfill %d (diverted: %s; stream: %s); delivery phase %s, total %s",
		e.rec.Live(), e.rec.Backfilled(), drep, srep, delivered.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

	// The scenario must really have happened, or the exactly-once check proves little.
	for name, v := range map[string]int{
		"dropped": st.dropped, "duplicated": st.duplicated, "reordered": st.reordered,
		"refused while down": st.refused, "delivered on retry": st.retriedOK, "diverted": diverted,
		"recovered from the stream": srep.Handled,
	} {
		if v == 0 {
			t.Errorf("no delivery was %s", name)
		}
	}
	if e.rec.Live()+e.rec.Backfilled() != n || drep.Handled != diverted || drep.Handled+srep.Handled != e.rec.Backfilled() {
		t.Errorf("paths do not add up: live %d + backfill %d (diverted %d of %d, stream %d) for %d events",
			e.rec.Live(), e.rec.Backfilled(), drep.Handled, diverted, srep.Handled, n)
	}
}
