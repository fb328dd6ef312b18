// Package pgstore keeps webhook state in PostgreSQL and makes a handler's database writes exactly-once:
// [Store.HandleTx] runs a handler inside a transaction that also records the event as processed, so the
// record and the handler's writes commit together, and a crash at any instant leaves both or neither. A
// redelivery then finds either nothing (and processes the event) or the record (and acknowledges it).
//
// The same [Store] gives a shared [Deduper] for [webhooks.WithDeduper] and backfill [Checkpoint]s, so that
// the instances of a service behind a load balancer share state in the database they already use.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	store, err := pgstore.New(ctx, pool)
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	h := webhooks.NewHandler(webhooks.WithDeduper(nil))
//	err = store.HandleTx(h, "policy.quote.issue", func(ctx context.Context, tx pgx.Tx, ev *webhooks.Event) error {
//		_, err := tx.Exec(ctx, "INSERT INTO quotes_issued (event_id, data) VALUES ($1, $2)", ev.ID, ev.Data)
//		return err
//	})
//
// It is a module of its own so that the SDK's root module does not depend on a PostgreSQL driver. It uses
// github.com/jackc/pgx/v5 through a *pgxpool.Pool.
//
// # Tables
//
// [New] creates three tables when they do not exist, in the connection's current schema or the one
// [WithSchema] names, each name starting with [DefaultTablePrefix] or the [WithTablePrefix] value. With the
// defaults they are:
//
//	CREATE TABLE socotra_webhooks_dedupe (            -- the Deduper's claims and done marks
//		id text PRIMARY KEY,                          -- the event id
//		token text,                                   -- the claim's owner; NULL once done
//		expires_at timestamptz NOT NULL               -- end of the lease, or of the retention once done
//	);
//	CREATE INDEX socotra_webhooks_dedupe_expires_idx ON socotra_webhooks_dedupe (expires_at);
//	CREATE TABLE socotra_webhooks_processed (         -- HandleTx's processed rows
//		event_id text NOT NULL,
//		registration text NOT NULL,                   -- the pattern, "#2"… for a repeated one
//		processed_at timestamptz NOT NULL DEFAULT now(),
//		PRIMARY KEY (event_id, registration)
//	);
//	CREATE INDEX socotra_webhooks_processed_at_idx ON socotra_webhooks_processed (processed_at);
//	CREATE TABLE socotra_webhooks_checkpoints (       -- backfill checkpoints
//		name text PRIMARY KEY,
//		token text NOT NULL,
//		updated_at timestamptz NOT NULL DEFAULT now()
//	);
//
// When the service's role may not create tables, have the schema's owner run these statements and grant
// the role SELECT, INSERT, UPDATE and DELETE on the tables (and USAGE on the schema); New then only checks
// them. Creation takes a transaction-scoped advisory lock, so replicas starting at once create the tables
// once. Rows older than the retention ([WithRetention]) and lapsed claims are deleted by a background
// cleanup ([WithCleanupInterval]) or by [Store.Cleanup].
//
// # Which to use
//
// HandleTx when the handler's effects are writes to the same database: exactly once, across crashes and
// replicas. The [Deduper] for handlers whose effects are elsewhere: each event runs once across replicas,
// but a crash between a handler's effect and the done mark runs it again on redelivery (as with any store
// outside the effect's transaction). Both together when a Handler has both kinds; see [Store.HandleTx].
//
// Errors name the table and what to grant or change. Nothing the Store logs or returns holds data from an
// event's body: only event ids, table names and PostgreSQL's messages.
package pgstore
