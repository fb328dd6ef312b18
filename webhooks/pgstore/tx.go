package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/socotra-go/sdk/webhooks"
)

// TxFunc handles one event inside a transaction that [Store.HandleTx] opens: write the event's effects
// with tx, and they commit together with the record that the event was processed. Returning an error or
// panicking rolls both back, and the delivery fails, so the event is processed again on redelivery. Do not
// commit or roll tx back yourself, and write through tx rather than the pool: tx holds one of the pool's
// connections until fn returns, and only what goes through tx commits with the processed row.
type TxFunc func(ctx context.Context, tx pgx.Tx, ev *webhooks.Event) error

// HandleTx registers fn on h for the events whose name matches pattern, as [webhooks.Handler.On] does
// (same patterns, same order among h's other functions), but runs fn inside a transaction that also
// inserts a processed row for the event and this registration. Its effects and that row commit together,
// so a crash at any instant leaves both or neither:
//
//   - when the row exists (the event was processed before, by this instance or another on the same
//     database), fn is not called and the event counts as handled for this registration;
//   - when a concurrent delivery of the same event holds the row, the insert waits for its transaction:
//     if it commits, this delivery is acknowledged without calling fn; if it rolls back, fn runs here;
//   - when fn returns an error or panics, the transaction rolls back and the delivery fails.
//
// The processed row is keyed by the event id and the registration: pattern, followed by "#2", "#3"… for a
// second or third HandleTx registration of the same pattern on h. Two registrations matching one event
// each run once; keep the order of registrations stable across releases, or a renamed registration runs
// again for events delivered after the change. Rows are kept for the retention ([WithRetention]).
//
// # With or without the Deduper
//
// HandleTx needs no Deduper: with webhooks.WithDeduper(nil) every delivery opens a transaction, and a
// concurrent copy waits for the first instead of being answered 409. Choose that when every effect is a
// write to this database. Add webhooks.WithDeduper(store.Deduper()) when h also runs functions with
// effects elsewhere (calls to other services, messages): the Deduper answers duplicates before any
// transaction begins and shares claims between replicas, while HandleTx keeps its own effects exactly once
// even when a crash falls between its commit and the Deduper's done mark. The two never block each other.
// h's default in-memory Deduper is fine for HandleTx too, but not shared.
//
// HandleTx fails when h or fn is nil or pattern is malformed (see [webhooks.Handler.Register]).
func (s *Store) HandleTx(h *webhooks.Handler, pattern string, fn TxFunc) error {
	if h == nil {
		return errors.New("pgstore: HandleTx with a nil Handler; pass the one made with webhooks.NewHandler")
	}
	if fn == nil {
		return fmt.Errorf("pgstore: HandleTx with a nil function for pattern %q", pattern)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := regKey{h, pattern}
	n := s.regs[k] + 1
	reg := pattern
	if n > 1 {
		reg += "#" + strconv.Itoa(n)
	}
	err := h.Register(pattern, func(ctx context.Context, ev *webhooks.Event) error {
		return s.runTx(ctx, reg, ev, fn)
	})
	if err != nil {
		return err
	}
	s.regs[k] = n
	return nil
}

// runTx runs fn for ev in a transaction that inserts the processed row for (ev.ID, reg).
func (s *Store) runTx(ctx context.Context, reg string, ev *webhooks.Event, fn TxFunc) error {
	if ev.ID == "" {
		return errors.New("pgstore: event has no id, so it cannot be recorded as processed; check what delivers it")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.fail("begin the transaction for event "+ev.ID, s.processed, err)
	}
	// Rolls back on an error and on a panic (deferred calls run while it unwinds); after Commit it does
	// nothing.
	defer tx.Rollback(context.WithoutCancel(ctx))
	tag, err := tx.Exec(ctx, `INSERT INTO `+s.processed.quoted+` (event_id, registration) VALUES ($1, $2)
ON CONFLICT (event_id, registration) DO NOTHING`, ev.ID, reg)
	if err != nil {
		return s.fail("record event "+ev.ID+" as processed", s.processed, err)
	}
	if tag.RowsAffected() == 0 {
		return nil // processed before, or by a concurrent delivery that committed first
	}
	if err := fn(ctx, tx, ev); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return s.fail("commit event "+ev.ID, s.processed, err)
	}
	return nil
}
