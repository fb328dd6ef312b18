package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/exactlyonce"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

// legacyTypes are Legacy event types the Legacy test webhook subscribes to.
var legacyTypes = []events.Name{events.PolicyCreate, events.PolicyIssue, events.ClaimCreate}

// TestLegacyExactlyOnceAcrossTwoBackfillRuns is the end-to-end promise on a Legacy tenant: signed
// deliveries to an https receiver, with 5% dropped, 5% duplicated and 5% reordered, and the receiver down
// for a while in each of two phases; after each phase a backfill of the diverted events and of the Legacy
// event stream, the second resuming from the first one's checkpoint. Every event reaches the Handler
// exactly once, and the second stream run reads only the events after the first one's checkpoint.
func TestLegacyExactlyOnceAcrossTwoBackfillRuns(t *testing.T) {
	t.Parallel()
	const phases, batches, size = 2, 6, 100
	clock := socotratest.NewFakeClock(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	rec := new(exactlyonce.Recorder)
	h := webhooks.NewHandler()
	h.On("*", rec.Handle)
	rcv, err := webhooks.NewSecretReceiver([]byte(secret), h)
	if err != nil {
		t.Fatal(err)
	}
	var downFrom, downTo atomic.Int64 // the receiver answers 503 while downFrom <= clock < downTo (Unix ns)
	hs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if now := clock.Now().UnixNano(); now >= downFrom.Load() && now < downTo.Load() {
			http.Error(w, "receiver down", http.StatusServiceUnavailable)
			return
		}
		rcv.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	srv := socotratest.NewServer(socotratest.WithClock(clock), socotratest.WithRetryUnit(time.Second),
		socotratest.WithHTTPClient(hs.Client()), // trusts the receiver's test certificate
		socotratest.WithFaults(socotratest.Faults{Seed: 5, Drop: 0.05, Duplicate: 0.05, Reorder: 0.05, ReorderWindow: 3 * time.Second}))
	t.Cleanup(srv.Close)
	user, pass, host := srv.LegacyCredentials()
	admin, adminPass := srv.LegacyAdminCredentials()
	lc, err := socotra.NewLegacyClient(srv.URL(), socotra.LegacyCredentials{
		Username: user, Password: pass, HostName: host, AdminUsername: admin, AdminPassword: adminPass,
	})
	if err != nil {
		t.Fatal(err)
	}
	const name = "e2e-legacy"
	if err := lc.Registrar().Register(t.Context(), socotra.Registration{
		Name: name, URL: hs.URL, Events: legacyTypes, Secret: secret, Failure: retrying,
	}); err != nil {
		t.Fatal(err)
	}
	cp, err := backfill.NewFileCheckpoint(filepath.Join(t.TempDir(), "legacy-stream"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := backfill.New(h, backfill.WithFromBeginning(), backfill.WithPageSize(70))
	if err != nil {
		t.Fatal(err)
	}
	ctx := exactlyonce.Backfill(t.Context())

	var ids []string
	var diverted, fromStream int
	for phase := range phases {
		for batch := range batches {
			switch batch {
			case 3: // down for batch 3: its retries run out and its events are diverted
				downFrom.Store(clock.Now().UnixNano())
				downTo.Store(forever.UnixNano())
			case 4:
				downTo.Store(clock.Now().UnixNano())
			}
			for i := range size {
				ev, err := srv.EmitLegacy(context.Background(), legacyTypes[i%len(legacyTypes)], nil)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, ev.ID)
			}
			flushCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			err := srv.Flush(flushCtx)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second)
		}
		n := len(srv.DivertedEvents(name))
		drep, err := b.Diverted(ctx, lc, name)
		if err != nil || drep.Handled != n || drep.Deleted != n {
			t.Fatalf("phase %d: diverted backfill %s, %v; want all %d handled and deleted", phase, drep, err, n)
		}
		diverted += n
		srep, err := b.Stream(ctx, lc, cp)
		if err != nil {
			t.Fatal(err)
		}
		if srep.Seen != batches*size {
			t.Errorf("phase %d: the stream run saw %d events, want the %d of this phase only", phase, srep.Seen, batches*size)
		}
		fromStream += srep.Handled
		t.Logf("phase %d: diverted %s; stream %s", phase, drep, srep)
	}

	rec.Check(t, ids)
	var dropped int
	for _, d := range srv.Deliveries() {
		if d.Faults.Has(socotratest.FaultDrop) {
			dropped++
		}
	}
	// The scenario must really have happened, or the exactly-once check proves little.
	if diverted == 0 || fromStream == 0 || dropped == 0 || rec.Live() == 0 {
		t.Errorf("diverted %d, recovered from the stream %d, dropped %d, handled live %d: each must be > 0",
			diverted, fromStream, dropped, rec.Live())
	}
	if rec.Live()+rec.Backfilled() != len(ids) || rec.Backfilled() != diverted+fromStream {
		t.Errorf("paths do not add up: live %d + backfill %d (diverted %d, stream %d) for %d events",
			rec.Live(), rec.Backfilled(), diverted, fromStream, len(ids))
	}
}
