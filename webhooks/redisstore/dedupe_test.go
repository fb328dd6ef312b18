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
