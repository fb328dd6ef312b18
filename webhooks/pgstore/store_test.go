//go:build unix

package pgstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/socotra-go/sdk/webhooks/pgstore"
)

// newStore returns a Store on pool, closed when t ends.
func newStore(t testing.TB, pool *pgxpool.Pool, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	s, err := pgstore.New(context.Background(), pool, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestNewRejectsBadSettings(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(t.Context(), "postgres://nobody@127.0.0.1:1/none") // never contacted
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, tc := range []struct {
		name string
		pool *pgxpool.Pool
		opts []pgstore.Option
		want string
	}{
		{"nil pool", nil, nil, "nil pool"},
		{"empty prefix", pool, []pgstore.Option{pgstore.WithTablePrefix("")}, "WithTablePrefix"},
		{"upper-case prefix", pool, []pgstore.Option{pgstore.WithTablePrefix("App_")}, "WithTablePrefix"},
		{"quote in prefix", pool, []pgstore.Option{pgstore.WithTablePrefix(`a"; drop table x; --`)}, "WithTablePrefix"},
		{"long prefix", pool, []pgstore.Option{pgstore.WithTablePrefix(strings.Repeat("a", 41))}, "WithTablePrefix"},
		{"long schema", pool, []pgstore.Option{pgstore.WithSchema(strings.Repeat("s", 64))}, "WithSchema"},
		{"zero lease", pool, []pgstore.Option{pgstore.WithLease(0)}, "WithLease"},
		{"short retention", pool, []pgstore.Option{pgstore.WithRetention(time.Millisecond)}, "WithRetention"},
		{"negative cleanup", pool, []pgstore.Option{pgstore.WithCleanupInterval(-time.Second)}, "WithCleanupInterval(0)"},
		{"several at once", pool, []pgstore.Option{pgstore.WithLease(0), pgstore.WithRetention(0)}, "such as 5*time.Minute\npgstore: retention 0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := pgstore.New(t.Context(), tc.pool, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "pgstore: ") {
				t.Fatalf("New = %v, %v; want an error mentioning %q", s, err, tc.want)
			}
		})
	}
}

// Replicas that start at once create the tables once, with no options, in the current schema.
func TestNewConcurrentStartsCreateTheTablesOnce(t *testing.T) {
	t.Parallel()
	pool, schema := newSchema(t)
	var wg sync.WaitGroup
	stores := make([]*pgstore.Store, 8)
	for i := range stores {
		wg.Go(func() {
			s, err := pgstore.New(t.Context(), pool)
			if err != nil {
				t.Error(err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()
	for _, s := range stores {
		if s != nil {
			s.Close()
		}
	}
	if t.Failed() {
		return
	}
	d, p, c := stores[0].Tables()
	if d != schema+".socotra_webhooks_dedupe" || p != schema+".socotra_webhooks_processed" || c != schema+".socotra_webhooks_checkpoints" {
		t.Errorf("Tables = %s, %s, %s", d, p, c)
	}
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'socotra_webhooks_%'`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d tables, want 3", n)
	}
	// Once more, on existing tables: New only checks them.
	s := newStore(t, pool)
	if err := s.Checkpoint("x").Save(t.Context(), "tok"); err != nil {
		t.Fatal(err)
	}
}

func TestNewWithSchemaAndPrefix(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	a := newStore(t, pool, pgstore.WithSchema("Hooks Schema"), pgstore.WithTablePrefix("app1_"))
	b := newStore(t, pool, pgstore.WithSchema("Hooks Schema"), pgstore.WithTablePrefix("app2_"))
	if a.Schema() != "Hooks Schema" {
		t.Errorf("Schema = %q", a.Schema())
	}
	if d, _, _ := a.Tables(); d != "Hooks Schema.app1_dedupe" {
		t.Errorf("dedupe table %s", d)
	}
	// The two applications' rows are apart.
	if err := a.Checkpoint("orders").Save(t.Context(), "a-token"); err != nil {
		t.Fatal(err)
	}
	if tok, err := b.Checkpoint("orders").Load(t.Context()); tok != "" || err != nil {
		t.Errorf("other prefix loads %q, %v", tok, err)
	}
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'Hooks Schema'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Errorf("%d tables in the schema, want 6", n)
	}
}

// A role without the rights New needs gets an error that names the table or schema and the fix.
func TestNewErrorsNameTheFix(t *testing.T) {
	t.Parallel()
	dsn := newDatabase(t)
	admin := newPool(t, dsn)
	role := fmt.Sprintf("pgstore_limited_%s_%d", runID, dbs.Add(1))
	if _, err := admin.Exec(t.Context(), "CREATE ROLE "+role+" LOGIN PASSWORD 'limited-pw'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(context.Background(), "DROP OWNED BY "+role)
		adminPool.Exec(context.Background(), "DROP ROLE "+role)
	})
	if _, err := admin.Exec(t.Context(), "REVOKE CREATE ON SCHEMA public FROM PUBLIC"); err != nil {
		t.Fatal(err)
	}
	limited := newPool(t, withUser(t, dsn, role, "limited-pw"))
	ctx := t.Context()

	t.Run("may not create the tables", func(t *testing.T) {
		_, err := pgstore.New(ctx, limited, pgstore.WithTablePrefix("a_"))
		want(t, err, "may not create table public.a_dedupe", `GRANT CREATE ON SCHEMA "public" TO `+role)
	})
	t.Run("may not create the schema", func(t *testing.T) {
		_, err := pgstore.New(ctx, limited, pgstore.WithSchema("hooks"))
		want(t, err, "schema hooks does not exist", "may not create it", "WithSchema")
	})
	t.Run("no usage on the schema", func(t *testing.T) {
		if _, err := admin.Exec(ctx, "CREATE SCHEMA private"); err != nil {
			t.Fatal(err)
		}
		_, err := pgstore.New(ctx, limited, pgstore.WithSchema("private"))
		want(t, err, "may not use schema private", `GRANT USAGE ON SCHEMA "private" TO `+role)
	})
	t.Run("tables created by the owner, no rights on them", func(t *testing.T) {
		newStore(t, admin, pgstore.WithTablePrefix("b_"))
		_, err := pgstore.New(ctx, limited, pgstore.WithTablePrefix("b_"))
		want(t, err, "lacks rights on table public.b_dedupe", `GRANT SELECT, INSERT, UPDATE, DELETE ON "public"."b_dedupe" TO `+role)
		// The documented fix works: grants on the tables the owner created, and New only checks them.
		if _, err := admin.Exec(ctx, "GRANT SELECT, INSERT, UPDATE, DELETE ON public.b_dedupe, public.b_processed, public.b_checkpoints TO "+role); err != nil {
			t.Fatal(err)
		}
		s := newStore(t, limited, pgstore.WithTablePrefix("b_"))
		if _, err := s.Deduper().Claim(ctx, "ev1"); err != nil {
			t.Fatal(err)
		}
		// Rights taken away later: the error names the table and the grant.
		if _, err := admin.Exec(ctx, "REVOKE ALL ON public.b_dedupe FROM "+role); err != nil {
			t.Fatal(err)
		}
		_, err = s.Deduper().Claim(ctx, "ev2")
		want(t, err, "permission denied on table public.b_dedupe", `GRANT SELECT, INSERT, UPDATE, DELETE ON "public"."b_dedupe"`)
	})
	t.Run("another application's table under the same name", func(t *testing.T) {
		if _, err := admin.Exec(ctx, "CREATE TABLE c_dedupe (x int)"); err != nil {
			t.Fatal(err)
		}
		_, err := pgstore.New(ctx, admin, pgstore.WithTablePrefix("c_"))
		want(t, err, "table public.c_dedupe exists but is not one of this package's", "WithTablePrefix")
	})
	t.Run("table dropped after New", func(t *testing.T) {
		s := newStore(t, admin, pgstore.WithTablePrefix("d_"))
		if _, err := admin.Exec(ctx, "DROP TABLE d_checkpoints"); err != nil {
			t.Fatal(err)
		}
		_, err := s.Checkpoint("orders").Load(ctx)
		want(t, err, "table public.d_checkpoints does not exist", "call pgstore.New")
	})
}

// want fails t unless err's message holds every part.
func want(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestCleanup(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	s := newStore(t, pool, pgstore.WithRetention(time.Hour), pgstore.WithCleanupInterval(0))
	dd := s.Deduper()
	ctx := t.Context()
	for _, id := range []string{"old-done", "new-done"} {
		if err := dd.Complete(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := dd.Claim(ctx, "lapsed"); err != nil {
		t.Fatal(err)
	}
	if _, err := dd.Claim(ctx, "live"); err != nil {
		t.Fatal(err)
	}
	dedupe, processed, _ := s.Tables()
	run(t, pool, "UPDATE "+dedupe+" SET expires_at = now() - interval '1 second' WHERE id IN ('old-done', 'lapsed')")
	run(t, pool, "INSERT INTO "+processed+" (event_id, registration, processed_at) VALUES ('old', '*', now() - interval '2 hours'), ('new', '*', now())")
	n, err := s.Cleanup(ctx)
	if err != nil || n != 3 {
		t.Fatalf("Cleanup = %d, %v; want 3 rows deleted", n, err)
	}
	var left []string
	rows, _ := pool.Query(ctx, "SELECT id FROM "+dedupe+" UNION ALL SELECT event_id FROM "+processed+" ORDER BY 1")
	for rows.Next() {
		var id string
		rows.Scan(&id)
		left = append(left, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(left, ",") != "live,new,new-done" {
		t.Errorf("rows left: %v", left)
	}

	// The background cleanup does the same on its own.
	bg := newStore(t, pool, pgstore.WithRetention(time.Hour), pgstore.WithCleanupInterval(20*time.Millisecond))
	run(t, pool, "UPDATE "+dedupe+" SET expires_at = now() - interval '1 second'")
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+dedupe).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the background cleanup left %d expired rows", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	bg.Close()
	bg.Close() // twice is fine
}

// run runs a statement with the names the Store reports (schema.table: no quoting needed for the
// defaults).
func run(t testing.TB, pool *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

func TestCheckpoint(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	s := newStore(t, pool)
	ctx := t.Context()
	a, b := s.Checkpoint("a"), s.Checkpoint("b")
	if tok, err := a.Load(ctx); tok != "" || err != nil {
		t.Fatalf("Load before Save = %q, %v", tok, err)
	}
	for _, tok := range []string{"page-1", "page-2"} {
		if err := a.Save(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if got, err := a.Load(ctx); got != tok || err != nil {
			t.Fatalf("Load after Save(%q) = %q, %v", tok, got, err)
		}
	}
	if tok, _ := b.Load(ctx); tok != "" {
		t.Errorf("another name sees %q", tok)
	}
	// Another instance (its own pool and Store) resumes from the same position.
	other := newStore(t, newPool(t, pool.Config().ConnString()))
	if tok, _ := other.Checkpoint("a").Load(ctx); tok != "page-2" {
		t.Errorf("second instance loads %q, want page-2", tok)
	}
	if cp, ok := a.(*pgstore.Checkpoint); !ok || cp.Name() != "a" {
		t.Errorf("Checkpoint is %T", a)
	}
	empty := s.Checkpoint("")
	if _, err := empty.Load(ctx); err == nil || !strings.Contains(err.Error(), "empty checkpoint name") {
		t.Errorf("Load with no name: %v", err)
	}
	if err := empty.Save(ctx, "x"); err == nil || !strings.Contains(err.Error(), "empty checkpoint name") {
		t.Errorf("Save with no name: %v", err)
	}
}
