//go:build unix

package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/pgstore"
)

// effects creates the table a test's handlers write to: one row per handler run that committed.
func effects(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	run(t, pool, "CREATE TABLE IF NOT EXISTS effects (event_id text NOT NULL, handler text NOT NULL)")
}

// effect returns a TxFunc that writes one effect row for handler, and counts its calls.
func effect(handler string, calls *atomic.Int64) pgstore.TxFunc {
	return func(ctx context.Context, tx pgx.Tx, ev *webhooks.Event) error {
		if calls != nil {
			calls.Add(1)
		}
		_, err := tx.Exec(ctx, "INSERT INTO effects (event_id, handler) VALUES ($1, $2)", ev.ID, handler)
		return err
	}
}

// count returns how many effect rows and processed rows event id has.
func count(t testing.TB, pool *pgxpool.Pool, s *pgstore.Store, id string) (effectRows, processedRows int) {
	t.Helper()
	_, processed, _ := s.Tables()
	if err := pool.QueryRow(context.Background(), "SELECT (SELECT count(*) FROM effects WHERE event_id = $1), (SELECT count(*) FROM "+processed+" WHERE event_id = $1)", id).Scan(&effectRows, &processedRows); err != nil {
		t.Fatal(err)
	}
	return effectRows, processedRows
}

func TestHandleTx(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	effects(t, pool)
	s := newStore(t, pool)
	ev := func(id string) *webhooks.Event { return &webhooks.Event{ID: id, Type: "policy.issue"} }

	for _, dedupe := range []struct {
		name string
		opt  webhooks.Option
	}{
		{"no deduper", webhooks.WithDeduper(nil)},
		{"memory deduper", nil},
		{"store deduper", webhooks.WithDeduper(s.Deduper())},
	} {
		t.Run(dedupe.name, func(t *testing.T) {
			id := func(s string) string { return dedupe.name + "/" + s }
			h := webhooks.NewHandler(dedupe.opt)
			var calls atomic.Int64
			if err := s.HandleTx(h, "policy.*", effect("a", &calls)); err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()

			// Handled once; a redelivery is acknowledged without calling fn.
			for range 3 {
				if err := h.Handle(ctx, ev(id("once"))); err != nil && !errors.Is(err, webhooks.ErrDuplicate) {
					t.Fatal(err)
				}
			}
			if e, p := count(t, pool, s, id("once")); e != 1 || p != 1 || calls.Load() != 1 {
				t.Errorf("after 3 deliveries: %d effect rows, %d processed rows, %d calls; want 1 each", e, p, calls.Load())
			}
			// Processed by another instance that has no memory of it (its own Handler): still once.
			h2 := webhooks.NewHandler(dedupe.opt)
			if err := s.HandleTx(h2, "policy.*", effect("a", &calls)); err != nil {
				t.Fatal(err)
			}
			if err := h2.Handle(ctx, ev(id("once"))); err != nil && !errors.Is(err, webhooks.ErrDuplicate) {
				t.Fatal(err)
			}
			if e, _ := count(t, pool, s, id("once")); e != 1 || calls.Load() != 1 {
				t.Errorf("another instance ran it again: %d effect rows, %d calls", e, calls.Load())
			}
		})
	}

	t.Run("error and panic roll both back", func(t *testing.T) {
		h := webhooks.NewHandler(webhooks.WithDeduper(s.Deduper()))
		var fail atomic.Value
		fail.Store("error")
		if err := s.HandleTx(h, "policy.issue", func(ctx context.Context, tx pgx.Tx, ev *webhooks.Event) error {
			if err := effect("b", nil)(ctx, tx, ev); err != nil {
				return err
			}
			switch fail.Load() {
			case "error":
				return errors.New("downstream refused")
			case "panic":
				panic("handler bug")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		err := h.Handle(ctx, ev("rollback"))
		if err == nil || !strings.Contains(err.Error(), "downstream refused") {
			t.Fatalf("Handle = %v, want the handler's error", err)
		}
		if e, p := count(t, pool, s, "rollback"); e != 0 || p != 0 {
			t.Fatalf("after an error: %d effect rows, %d processed rows; want none", e, p)
		}
		fail.Store("panic")
		var pe *webhooks.PanicError
		if err := h.Handle(ctx, ev("rollback")); !errors.As(err, &pe) || pe.Value != "handler bug" {
			t.Fatalf("Handle = %v, want a PanicError", err)
		}
		if e, p := count(t, pool, s, "rollback"); e != 0 || p != 0 {
			t.Fatalf("after a panic: %d effect rows, %d processed rows; want none", e, p)
		}
		fail.Store("")
		if err := h.Handle(ctx, ev("rollback")); err != nil {
			t.Fatal(err)
		}
		if e, p := count(t, pool, s, "rollback"); e != 1 || p != 1 {
			t.Fatalf("the redelivery: %d effect rows, %d processed rows; want 1 each", e, p)
		}
	})

	t.Run("every registration runs once", func(t *testing.T) {
		h := webhooks.NewHandler(webhooks.WithDeduper(nil))
		var failSecond atomic.Bool
		failSecond.Store(true)
		for _, r := range []struct {
			pattern string
			fn      pgstore.TxFunc
		}{
			{"policy.*", effect("first", nil)},
			{"*", effect("second", nil)},
			{"*", func(ctx context.Context, tx pgx.Tx, ev *webhooks.Event) error {
				if failSecond.Load() {
					return errors.New("not yet")
				}
				return effect("third", nil)(ctx, tx, ev)
			}},
		} {
			if err := s.HandleTx(h, r.pattern, r.fn); err != nil {
				t.Fatal(err)
			}
		}
		ctx := t.Context()
		if err := h.Handle(ctx, ev("multi")); err == nil {
			t.Fatal("the failing registration did not fail the delivery")
		}
		failSecond.Store(false)
		for range 2 {
			if err := h.Handle(ctx, ev("multi")); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := pool.Query(ctx, "SELECT handler, count(*) FROM effects WHERE event_id = 'multi' GROUP BY 1 ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var h string
			var n int
			err := r.Scan(&h, &n)
			return h + "=" + string(rune('0'+n)), err
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, " ") != "first=1 second=1 third=1" {
			t.Errorf("effects: %v; want each registration once", got)
		}
		_, processed, _ := s.Tables()
		rows, _ = pool.Query(ctx, "SELECT registration FROM "+processed+" WHERE event_id = 'multi' ORDER BY 1")
		regs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(regs, " ") != "* *#2 policy.*" {
			t.Errorf("registrations %q", regs)
		}
	})

	t.Run("bad registrations", func(t *testing.T) {
		h := webhooks.NewHandler()
		for _, tc := range []struct {
			h       *webhooks.Handler
			pattern string
			fn      pgstore.TxFunc
			want    string
		}{
			{nil, "*", effect("x", nil), "nil Handler"},
			{h, "*", nil, "nil function"},
			{h, "policy..issue", effect("x", nil), `"policy..issue"`},
		} {
			if err := s.HandleTx(tc.h, tc.pattern, tc.fn); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("HandleTx(%q) = %v, want an error mentioning %q", tc.pattern, err, tc.want)
			}
		}
		// A refused registration does not take a number: the next one of the pattern is the first.
		if err := s.HandleTx(h, "*", effect("x", nil)); err != nil {
			t.Fatal(err)
		}
		if err := h.Handle(t.Context(), &webhooks.Event{Type: "policy.issue"}); err == nil {
			t.Error("an event without an id was handled")
		}
	})
}

// Concurrent copies of one event, with no Deduper: the second waits on the first's row and is acknowledged
// once it commits; fn runs once.
func TestHandleTxConcurrentCopies(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	effects(t, pool)
	s := newStore(t, pool)
	var calls atomic.Int64
	hs := []*webhooks.Handler{webhooks.NewHandler(webhooks.WithDeduper(nil)), webhooks.NewHandler(webhooks.WithDeduper(nil))}
	for _, h := range hs {
		if err := s.HandleTx(h, "*", effect("c", &calls)); err != nil {
			t.Fatal(err)
		}
	}
	const events, copies = 20, 6
	var wg sync.WaitGroup
	for i := range events * copies {
		wg.Go(func() {
			id := "ev" + string(rune('A'+i%events))
			if err := hs[i%2].Handle(t.Context(), &webhooks.Event{ID: id, Type: "policy.issue"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var rows, distinct int
	if err := pool.QueryRow(t.Context(), "SELECT count(*), count(DISTINCT event_id) FROM effects").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != events || distinct != events || calls.Load() != events {
		t.Errorf("%d effect rows for %d events, %d calls; want %d each", rows, distinct, calls.Load(), events)
	}
}
