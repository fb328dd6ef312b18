//go:build unix

package pgstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

// proofEvents is how many events the exactly-once proofs deliver: $PGSTORE_EVENTS, else 2000 (1000 with
// -short). PGSTORE_EVENTS=10000 is the full proof; it takes about a minute under -race on two busy cores.
func proofEvents(t *testing.T) int {
	if s := os.Getenv("PGSTORE_EVENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("PGSTORE_EVENTS=%q: want a positive number of events", s)
		}
		return n
	}
	if testing.Short() {
		return 1000
	}
	return 2000
}

func newTenant(t *testing.T, opts ...socotratest.Option) (*socotratest.Server, *socotra.CoreClient) {
	t.Helper()
	srv := socotratest.NewServer(opts...)
	t.Cleanup(srv.Close)
	c, err := socotra.NewCoreClient(srv.URL(), srv.TenantLocator(), srv.CoreToken())
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// effectsOnce checks that every id has exactly one effect row and that there are no others.
func effectsOnce(t *testing.T, pool *pgxpool.Pool, ids []string) {
	t.Helper()
	got := effectCounts(t, pool)
	missing, twice := 0, 0
	for _, id := range ids {
		switch got[id] {
		case 0:
			missing++
		case 1:
		default:
			twice++
			if twice <= 5 {
				t.Errorf("event %s has %d effect rows, want 1", id, got[id])
			}
		}
		delete(got, id)
	}
	if missing > 0 || twice > 0 || len(got) > 0 {
		t.Errorf("of %d events, %d have no effect, %d more than one; %d effect rows of unknown events", len(ids), missing, twice, len(got))
	}
}

// Two receivers behind a round-robin load balancer, each with its own Store on the same tables, receive
// every event twice at once (two webhooks subscribe the same endpoint), with a third of the deliveries
// duplicated, a fifth reordered and some handler runs failing once. One receiver also dedupes through the
// Store's Deduper, the other does not. Every event's effect row exists exactly once.
func TestTwoReceiversExactlyOnce(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	effects(t, pool)
	n := proofEvents(t)
	clock := socotratest.NewFakeClock(time.Now())
	srv, core := newTenant(t, socotratest.WithClock(clock), socotratest.WithFaults(socotratest.Faults{
		Seed: 19, Duplicate: 0.3, Reorder: 0.2, ReorderWindow: 3 * time.Second,
	}))
	var (
		mu         sync.Mutex
		failedOnce = map[string]bool{}
		calls      atomic.Int64
	)
	var replicas []http.Handler
	for i := range 2 {
		store := newStore(t, newPool(t, pool.Config().ConnString()))
		var h *webhooks.Handler
		if i == 0 {
			h = webhooks.NewHandler(webhooks.WithDeduper(store.Deduper()))
		} else {
			h = webhooks.NewHandler(webhooks.WithDeduper(nil))
		}
		if err := store.HandleTx(h, "policy.*", func(ctx context.Context, tx pgx.Tx, ev *webhooks.Event) error {
			calls.Add(1)
			if _, err := tx.Exec(ctx, "INSERT INTO effects (event_id, handler) VALUES ($1, 'proof')", ev.ID); err != nil {
				return err
			}
			mu.Lock()
			fail := ev.ID[len(ev.ID)-1] == '7' && !failedOnce[ev.ID]
			failedOnce[ev.ID] = true
			mu.Unlock()
			if fail { // after the write: the rollback must undo it
				return errors.New("transient failure")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		rcv, err := webhooks.NewSecretReceiver([]byte("lb-secret"), h)
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, rcv)
	}
	var next atomic.Uint64
	served := make([]atomic.Int64, len(replicas))
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := next.Add(1) % uint64(len(replicas))
		served[i].Add(1)
		replicas[i].ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	for _, name := range []string{"lb-a", "lb-b"} {
		if _, err := core.CreateWebhook(t.Context(), socotra.Webhook{
			Name: name, Enabled: true, Events: []events.Name{events.PolicyQuoteIssue},
			Endpoint: socotra.Endpoint{URL: lb.URL, HMAC: true, Secret: "lb-secret"},
			Failure: &socotra.FailureHandling{Triggers: []string{"4xx", "5xx", "timeout"},
				Retry: &socotra.RetryStrategy{Type: socotra.RetryLinear, Interval: 1, Attempts: 10}, Divert: true},
		}); err != nil {
			t.Fatal(err)
		}
	}
	began := time.Now()
	ids := make([]string, 0, n)
	for len(ids) < n {
		for range min(250, n-len(ids)) {
			e, err := srv.EmitCore(t.Context(), events.PolicyQuoteIssue, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, e.ID)
		}
		if err := srv.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	var dups, reordered, attempts int
	for _, d := range srv.Deliveries() {
		attempts++
		if d.Faults.Has(socotratest.FaultDuplicate) {
			dups++
		}
		if d.Faults.Has(socotratest.FaultReorder) {
			reordered++
		}
	}
	for _, hook := range srv.Webhooks() {
		if d := srv.DivertedEvents(hook.ID); len(d) > 0 {
			t.Errorf("webhook %s diverted %d events", hook.Name, len(d))
		}
	}
	if dups == 0 || reordered == 0 || served[0].Load() == 0 || served[1].Load() == 0 || len(failedOnce) == 0 {
		t.Fatalf("%d duplicates, %d reordered, replicas served %d and %d, %d failures: the test needs them all",
			dups, reordered, served[0].Load(), served[1].Load(), len(failedOnce))
	}
	effectsOnce(t, pool, ids)
	t.Logf("%d events, %d delivery attempts (%d duplicates, %d reordered), %d handler calls, in %s",
		n, attempts, dups, reordered, calls.Load(), time.Since(began).Round(time.Millisecond))
}
