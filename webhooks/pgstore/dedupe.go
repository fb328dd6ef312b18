package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/socotra-go/sdk/webhooks"
)

// Deduper is a [webhooks.LeasedDeduper] kept in the Store's dedupe table, shared by every Store on the same
// tables. Each event id has one row: a claim (an owner token and the end of its lease) or a done mark (no
// token, and the end of the retention). A claim whose lease ended, and a done mark older than the
// retention, count as absent. All times are the database server's, so the clocks of the service's hosts
// do not matter. It is safe for concurrent use.
//
// Claim, Complete and Release use the Store's lease ([WithLease]) and one owner token per Store, as
// package redisstore's Deduper does; ClaimLease, CompleteLease and ReleaseLease, which a
// [webhooks.Handler] calls instead, take a lease per call and give each claim a token of its own, so that
// a delivery whose lease ran out cannot complete or release the claim another delivery took over since.
//
// The Deduper's rows never block HandleTx's processed rows, nor the other way round: they are separate
// tables, written outside the handler's transaction.
type Deduper struct {
	s     *Store
	token string // the owner token of Claim, Complete and Release
}

var _ webhooks.LeasedDeduper = (*Deduper)(nil)

// Claim implements [webhooks.Deduper]: it takes the claim on id for the Store's lease, or reports that
// another delivery holds it or that the event was processed.
func (d *Deduper) Claim(ctx context.Context, id string) (webhooks.Claim, error) {
	return d.claim(ctx, id, d.s.set.lease, d.token)
}

// Complete implements [webhooks.Deduper]: it marks id processed for the retention, whoever holds the claim
// (the event was handled, so a later delivery must not run it again).
func (d *Deduper) Complete(ctx context.Context, id string) error {
	_, err := d.s.pool.Exec(ctx, `INSERT INTO `+d.s.dedupe.quoted+` AS d (id, token, expires_at)
VALUES ($1, NULL, now() + $2::bigint * interval '1 microsecond')
ON CONFLICT (id) DO UPDATE SET token = NULL, expires_at = excluded.expires_at`, id, d.s.set.retention.Microseconds())
	if err != nil {
		return d.s.fail("complete "+id, d.s.dedupe, err)
	}
	return nil
}

// Release implements [webhooks.Deduper]: it drops this Store's claim on id so that a redelivery processes
// the event. It leaves the row alone when the claim is another Store's (the lease ran out and another
// instance claimed the event) or the event is done.
func (d *Deduper) Release(ctx context.Context, id string) error {
	return d.release(ctx, id, d.token)
}

// ClaimLease implements [webhooks.LeasedDeduper]: Claim with a lease of its own (the Store's, [WithLease],
// when lease is below a millisecond) and a token that names this claim alone when c is
// [webhooks.Claimed] ("" otherwise).
func (d *Deduper) ClaimLease(ctx context.Context, id string, lease time.Duration) (c webhooks.Claim, token string, err error) {
	if lease < time.Millisecond {
		lease = d.s.set.lease
	}
	token = newToken()
	c, err = d.claim(ctx, id, lease, token)
	if c != webhooks.Claimed || err != nil {
		token = ""
	}
	return c, token, err
}

// CompleteLease implements [webhooks.LeasedDeduper]: it marks id processed for the retention if token still
// holds the claim or no live claim does (its lease lapsed and nobody took the event since, or a cleanup
// deleted it). When another delivery holds the claim, taken after token's lease lapsed, it changes nothing
// and returns an error matching [webhooks.ErrLeaseLost]: the handlers may run twice, so the lease is
// shorter than they take.
func (d *Deduper) CompleteLease(ctx context.Context, id, token string) error {
	tag, err := d.s.pool.Exec(ctx, `INSERT INTO `+d.s.dedupe.quoted+` AS d (id, token, expires_at)
VALUES ($1, NULL, now() + $2::bigint * interval '1 microsecond')
ON CONFLICT (id) DO UPDATE SET token = NULL, expires_at = excluded.expires_at
WHERE d.token = $3 OR d.token IS NULL OR d.expires_at <= now()`, id, d.s.set.retention.Microseconds(), token)
	if err != nil {
		return d.s.fail("complete "+id, d.s.dedupe, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: complete %s (table %s): %w; use a lease longer than the handlers take", id, d.s.dedupe.name, webhooks.ErrLeaseLost)
	}
	return nil
}

// ReleaseLease drops the claim on id if token still owns it, so that a redelivery processes the event; it
// leaves a claim another delivery took over, and a done mark, alone.
func (d *Deduper) ReleaseLease(ctx context.Context, id, token string) error {
	return d.release(ctx, id, token)
}

func (d *Deduper) claim(ctx context.Context, id string, lease time.Duration, token string) (webhooks.Claim, error) {
	for range 3 {
		var one int
		err := d.s.pool.QueryRow(ctx, `INSERT INTO `+d.s.dedupe.quoted+` AS d (id, token, expires_at)
VALUES ($1, $2, now() + $3::bigint * interval '1 microsecond')
ON CONFLICT (id) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at
WHERE d.expires_at <= now()
RETURNING 1`, id, token, lease.Microseconds()).Scan(&one)
		if err == nil {
			return webhooks.Claimed, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, d.s.fail("claim "+id, d.s.dedupe, err)
		}
		// A live row is in the way: a claim or a done mark.
		var done bool
		err = d.s.pool.QueryRow(ctx, `SELECT token IS NULL FROM `+d.s.dedupe.quoted+` WHERE id = $1 AND expires_at > now()`, id).Scan(&done)
		switch {
		case err == nil && done:
			return webhooks.Done, nil
		case err == nil:
			return webhooks.InProgress, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return 0, d.s.fail("claim "+id, d.s.dedupe, err)
		}
		// Released or lapsed between the two statements: try again.
	}
	return webhooks.InProgress, nil
}

func (d *Deduper) release(ctx context.Context, id, token string) error {
	if _, err := d.s.pool.Exec(ctx, `DELETE FROM `+d.s.dedupe.quoted+` WHERE id = $1 AND token = $2`, id, token); err != nil {
		return d.s.fail("release "+id, d.s.dedupe, err)
	}
	return nil
}
