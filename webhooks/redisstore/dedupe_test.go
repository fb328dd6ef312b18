package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/redisstore"
)

func newDeduper(t *testing.T, rdb redis.Cmdable, opts ...redisstore.Option) *redisstore.Deduper {
	t.Helper()
	d, err := redisstore.NewDeduper(rdb, append([]redisstore.Option{redisstore.WithPrefix(prefix(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNewDeduperRejectsBadSettings(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never contacted
	defer rdb.Close()
	for _, tc := range []struct {
		name string
		rdb  redis.Cmdable
		opts []redisstore.Option
		want string
	}{
		{"nil client", nil, nil, "nil Redis client"},
		{"zero lease", rdb, []redisstore.Option{redisstore.WithLease(0)}, "WithLease"},
		{"sub-millisecond lease", rdb, []redisstore.Option{redisstore.WithLease(time.Microsecond)}, "WithLease"},
		{"negative ttl", rdb, []redisstore.Option{redisstore.WithTTL(-time.Hour)}, "WithTTL"},
		{"both at once", rdb, []redisstore.Option{redisstore.WithLease(0), redisstore.WithTTL(0)}, "WithLease with a positive duration such as 5*time.Minute\nredisstore: TTL 0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := redisstore.NewDeduper(tc.rdb, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "redisstore: ") {
				t.Fatalf("NewDeduper = %v, %v; want an error mentioning %q", d, err, tc.want)
			}
		})
	}
}

func TestDeduperSequences(t *testing.T) {
	t.Parallel()
	rdb := newClient(t)
	type step struct {
		op   string // claim (with want), complete, release
		want webhooks.Claim
	}
	for _, tc := range []struct {
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
			d := newDeduper(t, rdb)
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

func TestDeduperKeysAndTTLs(t *testing.T) {
	t.Parallel()
	rdb := newClient(t)
	d := newDeduper(t, rdb, redisstore.WithLease(30*time.Second), redisstore.WithTTL(time.Hour))
	key := prefix(t) + "ev1"
	if _, err := d.Claim(t.Context(), "ev1"); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(t.Context(), key).Val(); ttl <= 25*time.Second || ttl > 30*time.Second {
		t.Errorf("claimed key %s expires in %s, want the 30s lease", key, ttl)
	}
	if err := d.Complete(t.Context(), "ev1"); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(t.Context(), key).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("done key %s expires in %s, want the 1h TTL", key, ttl)
	}
}

// An instance whose lease ran out must not release the claim another instance took over.
func TestDeduperExpiredLeaseIsTakenOverAndNotReleasedByTheOldHolder(t *testing.T) {
	t.Parallel()
	rdb := newClient(t)
	slow := newDeduper(t, rdb, redisstore.WithLease(time.Minute))
	other := newDeduper(t, rdb)
	ctx := t.Context()
	if c, err := slow.Claim(ctx, "ev1"); c != webhooks.Claimed || err != nil {
		t.Fatalf("first Claim = %s, %v", c, err)
	}
	if c, _ := other.Claim(ctx, "ev1"); c != webhooks.InProgress {
		t.Fatalf("Claim during the lease = %s, want in progress", c)
	}
	// The lease runs out now, however slowly the test got here.
	if err := rdb.PExpire(ctx, prefix(t)+"ev1", time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := other.Claim(ctx, "ev1")
		if err != nil {
			t.Fatal(err)
		}
		if c == webhooks.Claimed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the claim did not expire with its lease")
		}
		time.Sleep(10 * time.Millisecond)
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

func TestDeduperConcurrentClaimsHaveOneWinner(t *testing.T) {
	t.Parallel()
	rdb := newClient(t)
	dds := []*redisstore.Deduper{newDeduper(t, rdb), newDeduper(t, rdb), newDeduper(t, rdb)}
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

func TestDeduperReportsRedisFailures(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	d := newDeduper(t, rdb)
	if _, err := d.Claim(t.Context(), "ev1"); err == nil || !strings.HasPrefix(err.Error(), "redisstore: claim ev1: ") {
		t.Errorf("Claim = %v, want a redisstore error", err)
	}
	if err := d.Complete(t.Context(), "ev1"); err == nil || !strings.HasPrefix(err.Error(), "redisstore: complete ev1: ") {
		t.Errorf("Complete = %v, want a redisstore error", err)
	}
	if err := d.Release(t.Context(), "ev1"); err == nil || !strings.HasPrefix(err.Error(), "redisstore: release ev1: ") {
		t.Errorf("Release = %v, want a redisstore error", err)
	}
	// Through a Handler, a store failure runs no handler and answers ErrDedupe (503, so Socotra retries).
	h := webhooks.NewHandler(webhooks.WithDeduper(d))
	ran := false
	h.On("*", func(context.Context, *webhooks.Event) error { ran = true; return nil })
	err := h.Handle(t.Context(), &webhooks.Event{ID: "ev1", Type: "policy.create"})
	if !errors.Is(err, webhooks.ErrDedupe) || ran {
		t.Errorf("Handle = %v (handler ran: %t), want ErrDedupe and no handler run", err, ran)
	}
}

func TestDeduperLeasedClaimsHaveTheirOwnTokens(t *testing.T) {
	t.Parallel()
	rdb := newClient(t)
	d := newDeduper(t, rdb, redisstore.WithLease(time.Minute))
	ctx := t.Context()
	key := prefix(t) + "ev1"
	c, stale, err := d.ClaimLease(ctx, "ev1", 30*time.Second)
	if c != webhooks.Claimed || err != nil || stale == "" {
		t.Fatalf("ClaimLease = %s, %q, %v", c, stale, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 25*time.Second || ttl > 30*time.Second {
		t.Errorf("leased claim expires in %s, want the 30s asked for", ttl)
	}
	if c, tok, _ := d.ClaimLease(ctx, "ev1", 0); c != webhooks.InProgress || tok != "" {
		t.Fatalf("second ClaimLease = %s, %q; want in progress and no token", c, tok)
	}
	rdb.Del(ctx, key) // the lease lapses
	c, live, err := d.ClaimLease(ctx, "ev1", 0)
	if c != webhooks.Claimed || err != nil || live == stale {
		t.Fatalf("ClaimLease after the lapse = %s, %q (stale %q), %v; want a new token", c, live, stale, err)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 55*time.Second || ttl > time.Minute {
		t.Errorf("claim with lease 0 expires in %s, want the WithLease minute", ttl)
	}
	// The stale holder, in the same Deduper, neither releases nor completes the live claim.
	if err := d.ReleaseLease(ctx, "ev1", stale); err != nil {
		t.Fatal(err)
	}
	if err := d.Release(ctx, "ev1"); err != nil { // a plain Release cannot drop a leased claim either
		t.Fatal(err)
	}
	if err := d.CompleteLease(ctx, "ev1", stale); !errors.Is(err, webhooks.ErrLeaseLost) {
		t.Fatalf("CompleteLease by the stale holder = %v, want ErrLeaseLost", err)
	}
	if c, _ := d.Claim(ctx, "ev1"); c != webhooks.InProgress {
		t.Fatalf("after the stale holder's calls, Claim = %s; want in progress (the live claim survives)", c)
	}
	if err := d.CompleteLease(ctx, "ev1", live); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Claim(ctx, "ev1"); c != webhooks.Done {
		t.Fatalf("after CompleteLease, Claim = %s, want done", c)
	}
	// A holder whose lease lapsed with nobody taking the event over still records it done.
	if c, tok, _ := d.ClaimLease(ctx, "ev2", 0); c == webhooks.Claimed {
		rdb.Del(ctx, prefix(t)+"ev2")
		if err := d.CompleteLease(ctx, "ev2", tok); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := d.Claim(ctx, "ev2"); c != webhooks.Done {
		t.Fatalf("completed after a lapse nobody used: %s, want done", c)
	}
}

// Regression: the claim token was one per Deduper, so within one instance a handler that outlived its
// lease released the claim a redelivery had taken since, and a third delivery ran alongside the second.
func TestHandlerStaleReleaseKeepsTheLiveClaim(t *testing.T) {
	t.Parallel()
	rdb := newClient(t)
	d := newDeduper(t, rdb)
	ctx := t.Context()
	key := prefix(t) + "ev1"
	first, second := webhooks.NewHandler(webhooks.WithDeduper(d)), webhooks.NewHandler(webhooks.WithDeduper(d))
	inFirst, inSecond := make(chan struct{}), make(chan struct{})
	letFirstFail, letSecondFinish := make(chan struct{}), make(chan struct{})
	first.On("*", func(context.Context, *webhooks.Event) error {
		close(inFirst)
		<-letFirstFail
		return errors.New("failed late")
	})
	second.On("*", func(context.Context, *webhooks.Event) error {
		close(inSecond)
		<-letSecondFinish
		return nil
	})
	ev := &webhooks.Event{ID: "ev1", Type: "policy.create"}
	errs := make(chan error, 2)
	go func() { errs <- first.Handle(ctx, ev) }()
	<-inFirst
	rdb.Del(ctx, key) // the first claim's lease lapses
	go func() { errs <- second.Handle(ctx, ev) }()
	<-inSecond
	close(letFirstFail)
	if err := <-errs; err == nil {
		t.Fatal("the first delivery succeeded; want its handler's error")
	}
	if c, _ := d.Claim(ctx, "ev1"); c != webhooks.InProgress {
		t.Errorf("after the stale holder failed, Claim = %s; want in progress (the second delivery still runs)", c)
	}
	close(letSecondFinish)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Claim(ctx, "ev1"); c != webhooks.Done {
		t.Errorf("after the second delivery, Claim = %s, want done", c)
	}
}
