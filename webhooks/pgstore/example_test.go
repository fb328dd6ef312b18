package pgstore_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/pgstore"
)

// Every instance of the service builds its receiver the same way. The quote row and the record that the
// event was processed commit together, so the row exists once however often the event is delivered and
// wherever a process crashes.
func ExampleStore_HandleTx() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := pgstore.New(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	h := webhooks.NewHandler(webhooks.WithDeduper(store.Deduper()), webhooks.WithTimeout(time.Minute))
	err = store.HandleTx(h, "policy.quote.issue", func(ctx context.Context, tx pgx.Tx, ev *webhooks.Event) error {
		_, err := tx.Exec(ctx, "INSERT INTO quotes_issued (event_id, data) VALUES ($1, $2)", ev.ID, ev.Data)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	rcv, err := webhooks.NewSecretReceiver([]byte("the webhook secret"), h)
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("POST /socotra", rcv)
}

// A backfill of the event stream keeps its position in the same database, so that whichever instance runs
// the next one resumes where the last stopped.
func ExampleStore_Checkpoint() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	store, err := pgstore.New(ctx, pool, pgstore.WithSchema("socotra"), pgstore.WithRetention(30*24*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	cp := store.Checkpoint("quotes")
	tok, err := cp.Load(ctx)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("the backfill resumes at %q", tok)
}
