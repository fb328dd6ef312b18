//go:build unix

package pgstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/pgstore"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Everything the Store and the Handler log at debug level, through handled, duplicate and failed events,
// a failing table and the background cleanup, holds event ids and table names but nothing of the bodies.
func TestNothingLoggedHoldsEventData(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	effects(t, pool)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := newStore(t, pool, pgstore.WithLogger(log), pgstore.WithCleanupInterval(10*time.Millisecond))
	h := webhooks.NewHandler(webhooks.WithLogger(log), webhooks.WithDeduper(store.Deduper()))
	if err := store.HandleTx(h, "policy.*", func(ctx context.Context, tx pgx.Tx, ev *webhooks.Event) error {
		if _, err := tx.Exec(ctx, "INSERT INTO effects (event_id, handler) VALUES ($1, 'log')", ev.ID); err != nil {
			return err
		}
		if strings.HasSuffix(ev.ID, "3") {
			return errors.New("downstream refused")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	const marker = "SSN-078-05-1120"
	event := func(i int) *webhooks.Event {
		data, _ := json.Marshal(map[string]string{"insuredTaxId": marker, "note": fmt.Sprint("policy ", i)})
		raw, _ := json.Marshal(map[string]any{"locator": fmt.Sprint("ev", i), "type": "policy.issue", "data": json.RawMessage(data)})
		return &webhooks.Event{ID: fmt.Sprint("ev", i), Type: "policy.issue", Data: data, Raw: raw}
	}
	ctx := t.Context()
	for i := range 6 {
		for range 2 { // a duplicate each
			h.Handle(ctx, event(i))
		}
	}
	_, processed, _ := store.Tables()
	run(t, pool, "DROP TABLE "+processed)
	if err := h.Handle(ctx, event(10)); err == nil || !strings.Contains(err.Error(), processed) {
		t.Errorf("with the table gone: %v; want an error naming %s", err, processed)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "pgstore: cleanup") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	store.Close()
	out := logs.String()
	for _, want := range []string{"event_id=ev1", "downstream refused", processed, "pgstore: cleanup"} {
		if !strings.Contains(out, want) {
			t.Errorf("the logs lack %q; the test sees too little:\n%s", want, out)
		}
	}
	if strings.Contains(out, marker) || strings.Contains(out, "insuredTaxId") {
		t.Errorf("the logs hold data from an event body:\n%s", out)
	}
}
