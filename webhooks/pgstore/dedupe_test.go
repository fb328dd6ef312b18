//go:build unix

package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/pgstore"
)

func TestDeduperSequences(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	type step struct {
		op   string // claim (with want), complete, release
		want webhooks.Claim
	}
	for i, tc := range []struct {
		name  string
		steps []step
	}{
		{"first claim wins", []step{{"claim", webhooks.Claimed}, {"claim", webhooks.InProgress}}},
		{"complete makes it done", []step{{"claim", webhooks.Claimed}, {"complete", 0}, {"claim", webhooks.Done}, {"claim", webhooks.Done}}},
		{"release lets it run again", []step{{"claim", webhooks.Claimed}, {"release", 0}, {"claim", webhooks.Claimed}}},
		{"release after complete keeps done", []step{{"claim", webhooks.Claimed}, {"complete", 0}, {"release", 0}, {"claim", webhooks.Done}}},
		{"complete without claim", []step{{"complete", 0}, {"claim", webhooks.Done}}},
		{"release without claim", []step{{"release", 0}, {"claim", webhooks.Claimed}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := newStore(t, pool, pgstore.WithTablePrefix(fmt.Sprintf("seq%d_", i)), pgstore.WithCleanupInterval(0)).Deduper()
			for i, s := range tc.steps {
				var err error
				switch s.op {
				case "claim":
					var got webhooks.Claim
					got, err = d.Claim(t.Context(), "ev1")
					if err == nil && got != s.want {
						t.Fatalf("step %d: Claim = %s, want %s", i, got, s.want)
					}
				case "complete":
					err = d.Complete(t.Context(), "ev1")
				case "release":
					err = d.Release(t.Context(), "ev1")
				}
				if err != nil {
					t.Fatalf("step %d (%s): %v", i, s.op, err)
				}
			}
		})
	}
}

func TestDeduperLeaseAndRetention(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	s := newStore(t, pool, pgstore.WithLease(30*time.Second), pgstore.WithRetention(time.Hour))
	d := s.Deduper()
	dedupe, _, _ := s.Tables()
	ctx := t.Context()
	left := func() time.Duration {
		t.Helper()
		var secs float64
		if err := pool.QueryRow(ctx, "SELECT extract(epoch FROM expires_at - now()) FROM "+dedupe+" WHERE id = 'ev1'").Scan(&secs); err != nil {
			t.Fatal(err)
		}
		return time.Duration(secs * float64(time.Second))
	}
	if _, err := d.Claim(ctx, "ev1"); err != nil {
		t.Fatal(err)
	}
	if l := left(); l <= 25*time.Second || l > 30*time.Second {
		t.Errorf("claim expires in %s, want the 30s lease", l)
	}
	if err := d.Complete(ctx, "ev1"); err != nil {
		t.Fatal(err)
	}
	if l := left(); l <= 59*time.Minute || l > time.Hour {
		t.Errorf("done mark expires in %s, want the 1h retention", l)
	}
	// Past the retention the event is forgotten, even before a cleanup deletes the row.
	run(t, pool, "UPDATE "+dedupe+" SET expires_at = now() - interval '1 second'")
	if c, err := d.Claim(ctx, "ev1"); c != webhooks.Claimed || err != nil {
		t.Errorf("Claim past the retention = %s, %v; want claimed", c, err)
	}
}

// A Store whose lease ran out must not release the claim another Store took over.
func TestDeduperExpiredLeaseIsTakenOverAndNotReleasedByTheOldHolder(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	slowStore := newStore(t, pool, pgstore.WithLease(time.Minute))
	slow, other := slowStore.Deduper(), newStore(t, pool).Deduper()
	dedupe, _, _ := slowStore.Tables()
	ctx := t.Context()
	if c, err := slow.Claim(ctx, "ev1"); c != webhooks.Claimed || err != nil {
		t.Fatalf("first Claim = %s, %v", c, err)
	}
	if c, _ := other.Claim(ctx, "ev1"); c != webhooks.InProgress {
		t.Fatalf("Claim during the lease = %s, want in progress", c)
	}
	run(t, pool, "UPDATE "+dedupe+" SET expires_at = now() - interval '1 millisecond'") // the lease runs out
	if c, err := other.Claim(ctx, "ev1"); c != webhooks.Claimed || err != nil {
		t.Fatalf("Claim after the lease = %s, %v; want claimed", c, err)
	}
	if err := slow.Release(ctx, "ev1"); err != nil {
		t.Fatal(err)
	}
	if c, _ := slow.Claim(ctx, "ev1"); c != webhooks.InProgress {
		t.Fatalf("after the old holder released, Claim = %s; want in progress (the new claim must survive)", c)
	}
	if err := other.Complete(ctx, "ev1"); err != nil {
		t.Fatal(err)
	}
	if c, _ := slow.Claim(ctx, "ev1"); c != webhooks.Done {
		t.Fatalf("after Complete, Claim = %s, want done", c)
	}
}

// The leased methods give every claim a token; only that token completes or releases it.
func TestDeduperLeasedClaims(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	s := newStore(t, pool)
	d := s.Deduper().(*pgstore.Deduper)
	dedupe, _, _ := s.Tables()
	ctx := t.Context()

	// A lease under a millisecond asks for the Store's.
	for _, lease := range []time.Duration{0, -time.Second, time.Microsecond} {
		id := "ev0" + lease.String()
		if c, tok, err := d.ClaimLease(ctx, id, lease); c != webhooks.Claimed || tok == "" || err != nil {
			t.Fatalf("ClaimLease(%s) = %s, %q, %v", lease, c, tok, err)
		}
		var secs float64
		if err := pool.QueryRow(ctx, "SELECT extract(epoch FROM expires_at - now()) FROM "+dedupe+" WHERE id = $1", id).Scan(&secs); err != nil {
			t.Fatal(err)
		}
		if secs < 4*60 || secs > 5*60 {
			t.Errorf("ClaimLease(%s) holds for %.0fs, want the Store's 5-minute lease", lease, secs)
		}
	}
	c, tok1, err := d.ClaimLease(ctx, "ev1", time.Minute)
	if c != webhooks.Claimed || tok1 == "" || err != nil {
		t.Fatalf("ClaimLease = %s, %q, %v", c, tok1, err)
	}
	if c, tok, _ := d.ClaimLease(ctx, "ev1", time.Minute); c != webhooks.InProgress || tok != "" {
		t.Fatalf("second ClaimLease = %s, %q; want in progress and no token", c, tok)
	}
	// The same Deduper, another claim: a wrong token releases nothing.
	if err := d.ReleaseLease(ctx, "ev1", "not-the-token"); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Claim(ctx, "ev1"); c != webhooks.InProgress {
		t.Fatalf("after a release with the wrong token, Claim = %s; want in progress", c)
	}
	// The lease lapses and another delivery takes over; the first can neither release nor complete.
	run(t, pool, "UPDATE "+dedupe+" SET expires_at = now() - interval '1 millisecond'")
	c, tok2, err := d.ClaimLease(ctx, "ev1", time.Minute)
	if c != webhooks.Claimed || tok2 == tok1 || err != nil {
		t.Fatalf("ClaimLease after the lease = %s, %q, %v", c, tok2, err)
	}
	if err := d.ReleaseLease(ctx, "ev1", tok1); err != nil {
		t.Fatal(err)
	}
	if err := d.CompleteLease(ctx, "ev1", tok1); !errors.Is(err, webhooks.ErrLeaseLost) || !strings.Contains(err.Error(), dedupe) {
		t.Errorf("CompleteLease by the old holder = %v; want ErrLeaseLost naming the table", err)
	}
	if c, _ := d.Claim(ctx, "ev1"); c != webhooks.InProgress {
		t.Fatalf("the new claim did not survive: Claim = %s", c)
	}
	if err := d.CompleteLease(ctx, "ev1", tok2); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Claim(ctx, "ev1"); c != webhooks.Done {
		t.Fatalf("after CompleteLease, Claim = %s, want done", c)
	}
	if err := d.CompleteLease(ctx, "ev1", tok1); err != nil {
		t.Errorf("CompleteLease of a done event = %v, want nil", err)
	}
	// A lapsed claim nobody took since is completed by its holder, and by an earlier holder too.
	_, tok4, _ := d.ClaimLease(ctx, "ev3", time.Minute)
	run(t, pool, "UPDATE "+dedupe+" SET expires_at = now() - interval '1 millisecond' WHERE id = 'ev3'")
	if err := d.CompleteLease(ctx, "ev3", tok4); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Claim(ctx, "ev3"); c != webhooks.Done {
		t.Fatalf("Claim = %s, want done", c)
	}
	// A claim lapsed and deleted by a cleanup is still completed by its holder.
	_, tok3, _ := d.ClaimLease(ctx, "ev2", time.Minute)
	run(t, pool, "DELETE FROM "+dedupe+" WHERE id = 'ev2'")
	if err := d.CompleteLease(ctx, "ev2", tok3); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Claim(ctx, "ev2"); c != webhooks.Done {
		t.Fatalf("Claim = %s, want done", c)
	}
}

func TestDeduperConcurrentClaimsHaveOneWinner(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	dds := []webhooks.Deduper{newStore(t, pool).Deduper(), newStore(t, pool).Deduper(), newStore(t, pool).Deduper()}
	const ids, racers = 50, 12
	var mu sync.Mutex
	wins := map[string]int{}
	var wg sync.WaitGroup
	for r := range racers {
		wg.Go(func() {
			d := dds[r%len(dds)]
			for i := range ids {
				id := fmt.Sprintf("ev%d", i)
				c, err := d.Claim(t.Context(), id)
				if err != nil {
					t.Error(err)
					return
				}
				if c == webhooks.Claimed {
					mu.Lock()
					wins[id]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(wins) != ids {
		t.Fatalf("%d ids claimed, want %d", len(wins), ids)
	}
	for id, n := range wins {
		if n != 1 {
			t.Errorf("%s claimed %d times, want once", id, n)
		}
	}
}

func TestDeduperReportsDatabaseFailures(t *testing.T) {
	t.Parallel()
	pool, schema := newSchema(t)
	s := newStore(t, pool)
	d := s.Deduper()
	pool.Close() // every call now fails
	ctx := t.Context()
	if _, err := d.Claim(ctx, "ev1"); err == nil || !strings.HasPrefix(err.Error(), "pgstore: claim ev1 (table "+schema+".socotra_webhooks_dedupe): ") {
		t.Errorf("Claim = %v, want a pgstore error naming the table", err)
	}
	if err := d.Complete(ctx, "ev1"); err == nil || !strings.HasPrefix(err.Error(), "pgstore: complete ev1 ") {
		t.Errorf("Complete = %v", err)
	}
	if err := d.Release(ctx, "ev1"); err == nil || !strings.HasPrefix(err.Error(), "pgstore: release ev1 ") {
		t.Errorf("Release = %v", err)
	}
	// Through a Handler, a store failure runs no handler and answers ErrDedupe (503, so Socotra retries).
	h := webhooks.NewHandler(webhooks.WithDeduper(d))
	ran := false
	h.On("*", func(context.Context, *webhooks.Event) error { ran = true; return nil })
	err := h.Handle(ctx, &webhooks.Event{ID: "ev1", Type: "policy.create"})
	if !errors.Is(err, webhooks.ErrDedupe) || ran {
		t.Errorf("Handle = %v (handler ran: %t), want ErrDedupe and no handler run", err, ran)
	}
}
