package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/socotra-go/sdk/webhooks"
)

// Store keeps webhook state in PostgreSQL: a [Deduper], backfill [Checkpoint]s and the processed rows of
// [Store.HandleTx]. It is safe for concurrent use; every instance of a service makes its own Store on the
// same database. See the package documentation for the tables.
type Store struct {
	pool                           *pgxpool.Pool
	set                            settings
	schema                         string
	dedupe, processed, checkpoints table
	dd                             *Deduper

	mu   sync.Mutex
	regs map[regKey]int // HandleTx registrations per Handler and pattern

	stop    context.CancelFunc
	stopped chan struct{}
	close   sync.Once
}

type regKey struct {
	h       *webhooks.Handler
	pattern string
}

// table is one of the Store's tables.
type table struct {
	name   string // schema.table, for messages
	quoted string // "schema"."table", for SQL
}

func newTable(schema, name string) table {
	return table{name: schema + "." + name, quoted: pgx.Identifier{schema, name}.Sanitize()}
}

// New returns a Store on pool, creating its tables when they do not exist. Creation holds a PostgreSQL
// advisory lock, so replicas that start at once do not trip over each other; when the tables exist New
// only checks that they look right and that the role may use them. The errors say what to grant, or
// which option to change, when it may not.
//
// Unless [WithCleanupInterval] is 0, New starts a goroutine that deletes old rows; [Store.Close] stops it.
// New(ctx, pool) with no options puts the tables in the connection's current schema with the defaults.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: nil pool; pass one made with pgxpool.New")
	}
	set := settings{prefix: DefaultTablePrefix, lease: DefaultLease, retention: DefaultRetention,
		cleanup: DefaultCleanupInterval, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		if o != nil {
			o.apply(&set)
		}
	}
	if err := set.validate(); err != nil {
		return nil, err
	}
	schema := set.schema
	if schema == "" {
		var cur *string
		if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&cur); err != nil {
			return nil, fmt.Errorf("pgstore: read the connection's current schema: %w", err)
		}
		if cur == nil {
			return nil, errors.New("pgstore: the connection has no current schema (no schema on its search_path exists); use WithSchema to name one, or set search_path")
		}
		schema = *cur
	}
	s := &Store{
		pool:        pool,
		set:         set,
		schema:      schema,
		dedupe:      newTable(schema, set.prefix+"dedupe"),
		processed:   newTable(schema, set.prefix+"processed"),
		checkpoints: newTable(schema, set.prefix+"checkpoints"),
		regs:        map[regKey]int{},
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	s.dd = &Deduper{s: s, token: newToken()}
	bg, stop := context.WithCancel(context.Background())
	s.stop, s.stopped = stop, make(chan struct{})
	if set.cleanup > 0 {
		go s.cleanupLoop(bg)
	} else {
		close(s.stopped)
	}
	return s, nil
}

// Close stops the background cleanup and waits for a run in progress to end. It does not close the pool.
// The Store keeps working after Close, without the background cleanup.
func (s *Store) Close() {
	s.close.Do(func() {
		s.stop()
		<-s.stopped
	})
}

// Schema returns the schema the tables are in.
func (s *Store) Schema() string { return s.schema }

// Tables returns the schema-qualified names of the Store's tables: the Deduper's claims and done marks,
// the processed rows of HandleTx, and the checkpoints.
func (s *Store) Tables() (dedupe, processed, checkpoints string) {
	return s.dedupe.name, s.processed.name, s.checkpoints.name
}

// Deduper returns the Store's [Deduper], for [webhooks.WithDeduper]. Every call returns the same one.
func (s *Store) Deduper() webhooks.Deduper { return s.dd }

// ddl returns the statements that create t, and the columns a query of t must find.
func (s *Store) ddl(t table) (create []string, columns string) {
	idx := func(suffix string) string { return pgx.Identifier{t.name[len(s.schema)+1:] + suffix}.Sanitize() }
	switch t {
	case s.dedupe:
		return []string{
			`CREATE TABLE IF NOT EXISTS ` + t.quoted + ` (
	id text PRIMARY KEY,
	token text,
	expires_at timestamptz NOT NULL
)`,
			`CREATE INDEX IF NOT EXISTS ` + idx("_expires_idx") + ` ON ` + t.quoted + ` (expires_at)`,
		}, "id, token, expires_at"
	case s.processed:
		return []string{
			`CREATE TABLE IF NOT EXISTS ` + t.quoted + ` (
	event_id text NOT NULL,
	registration text NOT NULL,
	processed_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (event_id, registration)
)`,
			`CREATE INDEX IF NOT EXISTS ` + idx("_at_idx") + ` ON ` + t.quoted + ` (processed_at)`,
		}, "event_id, registration, processed_at"
	}
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + t.quoted + ` (
	name text PRIMARY KEY,
	token text NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
)`,
	}, "name, token, updated_at"
}

// migrate creates what is missing under an advisory lock, then checks the tables and the role's rights.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: begin creating the tables in schema %s: %w", s.schema, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	h := fnv.New64a()
	h.Write([]byte("socotra-go/sdk/webhooks/pgstore\x00" + s.schema + "\x00" + s.set.prefix))
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
		return fmt.Errorf("pgstore: take the advisory lock that serialises table creation: %w", err)
	}
	var role string
	var hasSchema bool
	if err := tx.QueryRow(ctx, "SELECT current_user, EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", s.schema).Scan(&role, &hasSchema); err != nil {
		return fmt.Errorf("pgstore: look up schema %s: %w", s.schema, err)
	}
	if !hasSchema {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.schema}.Sanitize()); err != nil {
			if code(err) == "42501" {
				q := pgx.Identifier{s.schema}.Sanitize()
				return fmt.Errorf("pgstore: schema %s does not exist and role %s may not create it: create it as a role that may (CREATE SCHEMA %s; GRANT USAGE, CREATE ON SCHEMA %s TO %s), or use WithSchema with an existing schema: %w", s.schema, role, q, q, role, err)
			}
			return fmt.Errorf("pgstore: create schema %s: %w", s.schema, err)
		}
	}
	var usage bool
	if err := tx.QueryRow(ctx, "SELECT has_schema_privilege($1, 'USAGE')", s.schema).Scan(&usage); err != nil {
		return fmt.Errorf("pgstore: check role %s's rights on schema %s: %w", role, s.schema, err)
	}
	if !usage {
		return fmt.Errorf("pgstore: role %s may not use schema %s: GRANT USAGE ON SCHEMA %s TO %s, or use WithSchema with another schema", role, s.schema, pgx.Identifier{s.schema}.Sanitize(), role)
	}
	for _, t := range []table{s.dedupe, s.processed, s.checkpoints} {
		create, columns := s.ddl(t)
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", t.quoted).Scan(&exists); err != nil {
			return fmt.Errorf("pgstore: look up table %s: %w", t.name, err)
		}
		if !exists {
			for _, stmt := range create {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					if code(err) == "42501" {
						return fmt.Errorf("pgstore: role %s may not create table %s: GRANT CREATE ON SCHEMA %s TO %s, or have the schema's owner create the tables (the package documentation lists them) and grant SELECT, INSERT, UPDATE, DELETE on them: %w", role, t.name, pgx.Identifier{s.schema}.Sanitize(), role, err)
					}
					return fmt.Errorf("pgstore: create table %s: %w", t.name, err)
				}
			}
			continue
		}
		var ok bool
		if err := tx.QueryRow(ctx, "SELECT has_table_privilege($1, 'SELECT, INSERT, UPDATE, DELETE')", t.quoted).Scan(&ok); err != nil {
			return fmt.Errorf("pgstore: check role %s's rights on table %s: %w", role, t.name, err)
		}
		if !ok {
			return fmt.Errorf("pgstore: role %s lacks rights on table %s: GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %s", role, t.name, t.quoted, role)
		}
		// A table of another application under the same name lacks these columns.
		if _, err := tx.Exec(ctx, "SELECT "+columns+" FROM "+t.quoted+" LIMIT 0"); err != nil {
			return fmt.Errorf("pgstore: table %s exists but is not one of this package's (it needs the columns %s): use WithTablePrefix or WithSchema to choose other names: %w", t.name, columns, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: commit creating the tables in schema %s: %w", s.schema, err)
	}
	return nil
}

// code returns the SQLSTATE of a PostgreSQL error, or "".
func code(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// fail describes a failed operation on t, with what to do when the cause is a missing table or right.
func (s *Store) fail(op string, t table, err error) error {
	switch code(err) {
	case "42P01", "3F000": // undefined_table, invalid_schema_name
		return fmt.Errorf("pgstore: %s: table %s does not exist (dropped since New, or the pool now reaches another database); call pgstore.New, which creates it: %w", op, t.name, err)
	case "42501": // insufficient_privilege
		return fmt.Errorf("pgstore: %s: permission denied on table %s: GRANT SELECT, INSERT, UPDATE, DELETE ON %s (and USAGE on its schema) to the role the pool connects as: %w", op, t.name, t.quoted, err)
	case "42703": // undefined_column
		return fmt.Errorf("pgstore: %s: table %s has the wrong columns (another application's table under the same name?); use WithTablePrefix or WithSchema to choose other names: %w", op, t.name, err)
	}
	return fmt.Errorf("pgstore: %s (table %s): %w", op, t.name, err)
}

// Cleanup deletes the done marks and processed rows older than the retention, and the claims whose lease
// lapsed, in batches so that no statement holds locks for long. It returns how many rows it deleted. The
// background cleanup calls it; call it yourself when [WithCleanupInterval] is 0.
func (s *Store) Cleanup(ctx context.Context) (deleted int64, err error) {
	const batch = 5000
	retention := s.set.retention.Microseconds()
	for _, q := range []struct {
		t     table
		where string
		args  []any
	}{
		{s.dedupe, "expires_at <= now()", nil},
		{s.processed, "processed_at <= now() - $1::bigint * interval '1 microsecond'", []any{retention}},
	} {
		// The condition again in the outer WHERE: a row claimed afresh meanwhile is rechecked and kept.
		stmt := fmt.Sprintf("DELETE FROM %[1]s WHERE ctid = ANY (ARRAY(SELECT ctid FROM %[1]s WHERE %[2]s LIMIT %[3]d)) AND %[2]s", q.t.quoted, q.where, batch)
		for {
			tag, err := s.pool.Exec(ctx, stmt, q.args...)
			if err != nil {
				return deleted, s.fail("clean up", q.t, err)
			}
			deleted += tag.RowsAffected()
			if tag.RowsAffected() < batch {
				break
			}
		}
	}
	return deleted, nil
}

func (s *Store) cleanupLoop(ctx context.Context) {
	defer close(s.stopped)
	t := time.NewTicker(s.set.cleanup)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.Cleanup(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.set.log.LogAttrs(ctx, slog.LevelError, "pgstore: cleanup failed; it runs again at the next interval",
				slog.String("schema", s.schema), slog.String("error", err.Error()))
		case err == nil:
			s.set.log.LogAttrs(ctx, slog.LevelDebug, "pgstore: cleanup", slog.String("schema", s.schema), slog.Int64("deleted", n))
		}
	}
}

// newToken returns a random claim owner token.
func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
