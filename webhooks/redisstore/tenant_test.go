package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/backfill"
	"github.com/socotra-go/sdk/webhooks/redisstore"
)

var _ backfill.Checkpoint = (*redisstore.Checkpoint)(nil)

// counter counts the successful handler runs per event id.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) handle(_ context.Context, ev *webhooks.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[ev.ID]++
	return nil
}

func (c *counter) exactlyOnce(t *testing.T, ids []string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.n) != len(ids) {
		t.Errorf("%d distinct events processed, want %d", len(c.n), len(ids))
	}
	for _, id := range ids {
		if c.n[id] != 1 {
			t.Errorf("event %s processed %d times, want once", id, c.n[id])
		}
	}
}

// newReplica returns a Handler, as one instance of a service builds it: its own Deduper on the shared Redis.
func newReplica(t *testing.T, c *counter, opts ...redisstore.Option) *webhooks.Handler {
	t.Helper()
	dd, err := redisstore.NewDeduper(newClient(t), append([]redisstore.Option{redisstore.WithPrefix(prefix(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	h := webhooks.NewHandler(webhooks.WithDeduper(dd))
	h.On("*", c.handle)
	return h
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

// Two replicas behind a round-robin load balancer receive the fake tenant's deliveries, a third of them
// duplicated and some reordered; each event is processed once.
func TestReplicasBehindALoadBalancer(t *testing.T) {
	t.Parallel()
	_ = newClient(t) // skips without Redis
	clock := socotratest.NewFakeClock(time.Now())
	srv, core := newTenant(t, socotratest.WithClock(clock), socotratest.WithFaults(socotratest.Faults{
		Seed: 5, Duplicate: 0.35, Reorder: 0.2, ReorderWindow: 3 * time.Second,
	}))
	c := &counter{}
	var replicas []http.Handler
	for range 2 {
		rcv, err := webhooks.NewSecretReceiver([]byte("lb-secret"), newReplica(t, c))
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
	if _, err := core.CreateWebhook(t.Context(), socotra.Webhook{
		Name: "lb", Enabled: true, Events: []events.Name{events.PolicyQuoteIssue},
		Endpoint: socotra.Endpoint{URL: lb.URL, HMAC: true, Secret: "lb-secret"},
		Failure: &socotra.FailureHandling{Triggers: []string{"4xx", "5xx", "timeout"},
			Retry: &socotra.RetryStrategy{Type: socotra.RetryLinear, Interval: 1, Attempts: 5}},
	}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 300 {
		e, err := srv.EmitCore(t.Context(), events.PolicyQuoteIssue, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	if err := srv.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	dups := 0
	for _, d := range srv.Deliveries() {
		if d.Faults.Has(socotratest.FaultDuplicate) {
			dups++
		}
	}
	if dups == 0 || served[0].Load() == 0 || served[1].Load() == 0 {
		t.Fatalf("%d duplicates, replicas served %d and %d: the test needs both", dups, served[0].Load(), served[1].Load())
	}
	c.exactlyOnce(t, ids)
}

// A backfill of the event stream crashes halfway; another instance, with its own Deduper and Checkpoint on
// the same Redis, resumes it. Every event is processed exactly once across the two instances.
func TestStreamBackfillResumesOnAnotherInstance(t *testing.T) {
	t.Parallel()
	rdb := newClient(t)
	srv, core := newTenant(t)
	var ids []string
	for range 40 {
		e, err := srv.EmitCore(t.Context(), events.PolicyQuoteIssue, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	c := &counter{}
	checkpoint := func() *redisstore.Checkpoint { // each instance opens it anew
		cp, err := redisstore.NewCheckpoint(rdb, prefix(t)+"checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		return cp
	}

	ctx, crash := context.WithCancel(t.Context())
	var handled atomic.Int32
	crashing := webhooks.NewHandler(webhooks.WithDeduper(mustDeduper(t, rdb)))
	crashing.On("*", func(ctx context.Context, ev *webhooks.Event) error {
		if handled.Add(1) == 17 {
			crash()
		}
		return c.handle(ctx, ev)
	})
	b1, err := backfill.New(crashing, backfill.WithFromBeginning(), backfill.WithPageSize(6))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b1.Stream(ctx, core, checkpoint()); err == nil {
		t.Fatal("the crashed run returned nil")
	}
	b2, err := backfill.New(newReplica(t, c), backfill.WithFromBeginning(), backfill.WithPageSize(6))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b2.Stream(t.Context(), core, checkpoint())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Seen != 40-12 || rep.Duplicates != 5 {
		t.Errorf("resumed run: %s; want it to start at the third page (28 events, 5 of them done)", rep)
	}
	c.exactlyOnce(t, ids)
}

func mustDeduper(t *testing.T, rdb redis.Cmdable) *redisstore.Deduper {
	t.Helper()
	dd, err := redisstore.NewDeduper(rdb, redisstore.WithPrefix(prefix(t)))
	if err != nil {
		t.Fatal(err)
	}
	return dd
}
