package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/socotra-go/sdk/webhooks"
)

// doneValue is the value of a processed event's key; a claim's value is "claim:" and the claimant's token.
const doneValue = "done"

// claimScript takes the claim on KEYS[1] with value ARGV[1] for ARGV[2] milliseconds if nobody holds the
// key, and answers 0 (claimed), 1 (in progress) or 2 (done).
var claimScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	return 0
end
if redis.call('GET', KEYS[1]) == ARGV[3] then
	return 2
end
return 1
`)

// releaseScript deletes KEYS[1] if its value is still ARGV[1] (our claim), and answers how many keys it
// deleted.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

// completeScript marks KEYS[1] done (ARGV[2]) for ARGV[3] milliseconds if it holds the claim ARGV[1], or no
// claim at all (the lease lapsed and nobody took the event since), and answers 1; it answers 0 and leaves
// the key alone when another claim holds it.
var completeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or v == false or v == ARGV[2] then
	redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
	return 1
end
return 0
`)

// Deduper is a [webhooks.LeasedDeduper] kept in Redis, shared by every instance that uses the same Redis
// and prefix. It is safe for concurrent use. See the package documentation for how it works.
type Deduper struct {
	rdb    redis.Cmdable
	prefix string
	lease  int64 // milliseconds
	ttl    time.Duration
	claim  string        // the value of a plain Claim's key; a leased claim's adds ":" and a sequence number
	seq    atomic.Uint64 // numbers leased claims
}

var _ webhooks.LeasedDeduper = (*Deduper)(nil)

// NewDeduper returns a Deduper that keeps its keys in rdb. It fails when rdb is nil or an option is out of
// range; it does not contact Redis (the first Claim does).
func NewDeduper(rdb redis.Cmdable, opts ...Option) (*Deduper, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: nil Redis client; pass one made with redis.NewClient")
	}
	s := settings{prefix: DefaultPrefix, lease: DefaultLease, ttl: DefaultTTL}
	for _, o := range opts {
		if o != nil {
			o.apply(&s)
		}
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	tok := make([]byte, 12)
	_, _ = rand.Read(tok) // never fails
	return &Deduper{
		rdb:    rdb,
		prefix: s.prefix,
		lease:  s.lease.Milliseconds(),
		ttl:    s.ttl.Truncate(time.Millisecond),
		claim:  fmt.Sprintf("claim:%x", tok),
	}, nil
}

// Claim implements [webhooks.Deduper]: it takes the claim on id for the lease, or reports that another
// claimant holds it or that the event was processed. It fails only when Redis does. All plain claims of
// one Deduper share one token, so [Deduper.Release] cannot tell two of them apart; a [webhooks.Handler]
// uses [Deduper.ClaimLease] instead, whose every claim has its own.
func (d *Deduper) Claim(ctx context.Context, id string) (webhooks.Claim, error) {
	return d.claimAs(ctx, id, d.claim, d.lease)
}

// ClaimLease implements [webhooks.LeasedDeduper]: Claim for lease (the [WithLease] setting when lease is
// below a millisecond, Redis's resolution), with a token naming this claim alone.
func (d *Deduper) ClaimLease(ctx context.Context, id string, lease time.Duration) (webhooks.Claim, string, error) {
	ms := d.lease
	if lease >= time.Millisecond {
		ms = (lease + time.Millisecond - 1).Milliseconds() // never shorter than asked
	}
	token := d.claim + ":" + strconv.FormatUint(d.seq.Add(1), 36)
	c, err := d.claimAs(ctx, id, token, ms)
	if err != nil || c != webhooks.Claimed {
		return c, "", err
	}
	return c, token, nil
}

// CompleteLease implements [webhooks.LeasedDeduper]: it marks id processed for the done TTL if token still
// holds the claim or nobody does (its lease lapsed and no one took the event since). When another claim
// holds id it changes nothing and returns an error matching [webhooks.ErrLeaseLost].
func (d *Deduper) CompleteLease(ctx context.Context, id, token string) error {
	n, err := completeScript.Run(ctx, d.rdb, []string{d.prefix + id}, token, doneValue, d.ttl.Milliseconds()).Int()
	if err != nil {
		return fmt.Errorf("redisstore: complete %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("redisstore: complete %s: %w", id, webhooks.ErrLeaseLost)
	}
	return nil
}

// ReleaseLease implements [webhooks.LeasedDeduper]: it drops the claim on id if token still holds it, and
// leaves the key alone otherwise.
func (d *Deduper) ReleaseLease(ctx context.Context, id, token string) error {
	if err := releaseScript.Run(ctx, d.rdb, []string{d.prefix + id}, token).Err(); err != nil {
		return fmt.Errorf("redisstore: release %s: %w", id, err)
	}
	return nil
}

func (d *Deduper) claimAs(ctx context.Context, id, token string, leaseMS int64) (webhooks.Claim, error) {
	n, err := claimScript.Run(ctx, d.rdb, []string{d.prefix + id}, token, leaseMS, doneValue).Int()
	if err != nil {
		return 0, fmt.Errorf("redisstore: claim %s: %w", id, err)
	}
	switch n {
	case 0:
		return webhooks.Claimed, nil
	case 1:
		return webhooks.InProgress, nil
	case 2:
		return webhooks.Done, nil
	}
	return 0, fmt.Errorf("redisstore: claim %s: unexpected answer %d from the claim script", id, n)
}

// Complete implements [webhooks.Deduper]: it marks id processed for the done TTL, whoever holds the claim
// (the event was handled, so a later delivery must not run it again).
func (d *Deduper) Complete(ctx context.Context, id string) error {
	if err := d.rdb.Set(ctx, d.prefix+id, doneValue, d.ttl).Err(); err != nil {
		return fmt.Errorf("redisstore: complete %s: %w", id, err)
	}
	return nil
}

// Release implements [webhooks.Deduper]: it drops this Deduper's plain claim on id so that a redelivery
// processes the event. It leaves the key alone when the claim is no longer this Deduper's plain claim (the
// lease expired and another instance or a leased claim took the event) or the event is done.
func (d *Deduper) Release(ctx context.Context, id string) error {
	return d.ReleaseLease(ctx, id, d.claim)
}
