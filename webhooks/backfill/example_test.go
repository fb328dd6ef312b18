package backfill_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

// A receiver was down while three events happened; the tenant diverted them. The backfill replays them
// through the receiver's Handler and deletes the diverted records.
func ExampleBackfiller_CoreDiverted() {
	ctx := context.Background()
	tenant := socotratest.NewServer()
	defer tenant.Close()

	h := webhooks.NewHandler()
	h.On("policy.*", func(_ context.Context, ev *webhooks.Event) error {
		fmt.Println("handled", ev.Type)
		return nil
	})
	down := httptest.NewServer(nil)
	down.Close() // nothing listens: deliveries fail

	client, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		log.Fatal(err)
	}
	hook, err := client.CreateWebhook(ctx, socotra.Webhook{
		Name: "orders", Enabled: true, Endpoint: socotra.Endpoint{URL: down.URL},
		Events:  []events.Name{events.PolicyQuoteCreate, events.PolicyQuoteIssue},
		Failure: &socotra.FailureHandling{Triggers: []string{"5xx", "timeout"}, Divert: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, typ := range []events.Name{events.PolicyQuoteCreate, events.PolicyQuoteIssue, events.PolicyQuoteCreate} {
		if _, err := tenant.EmitCore(ctx, typ, nil); err != nil {
			log.Fatal(err)
		}
	}
	if err := tenant.Flush(ctx); err != nil {
		log.Fatal(err)
	}

	b, err := backfill.New(h)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := b.CoreDiverted(ctx, client, hook.Locator)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("handled %d, deleted %d, left %d\n", rep.Handled, rep.Deleted, len(tenant.DivertedEvents(hook.Locator)))
	// Output:
	// handled policy.quote.create
	// handled policy.quote.issue
	// handled policy.quote.create
	// handled 3, deleted 3, left 0
}

// Deliveries were lost (the fake tenant drops them all here); the event stream still has the events.
// The first run handles them and saves its position; the second finds nothing new.
func ExampleBackfiller_Stream() {
	ctx := context.Background()
	tenant := socotratest.NewServer()
	defer tenant.Close()
	for _, typ := range []events.Name{events.PolicyQuoteCreate, events.PolicyQuoteIssue} {
		if _, err := tenant.EmitCore(ctx, typ, nil); err != nil {
			log.Fatal(err)
		}
	}
	client, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		log.Fatal(err)
	}
	h := webhooks.NewHandler()
	h.On("policy.quote.*", func(_ context.Context, ev *webhooks.Event) error {
		fmt.Println("handled", ev.Type)
		return nil
	})
	dir, err := os.MkdirTemp("", "backfill")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cp, err := backfill.NewFileCheckpoint(filepath.Join(dir, "stream.checkpoint"))
	if err != nil {
		log.Fatal(err)
	}

	b, err := backfill.New(h, backfill.WithEvents("policy.quote.*"), backfill.WithFromBeginning())
	if err != nil {
		log.Fatal(err)
	}
	for range 2 {
		rep, err := b.Stream(ctx, client, cp)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("handled %d, duplicates %d\n", rep.Handled, rep.Duplicates)
	}
	// Output:
	// handled policy.quote.create
	// handled policy.quote.issue
	// handled 2, duplicates 0
	// handled 0, duplicates 0
}

// A Legacy receiver was down; the tenant diverted its deliveries. Diverted replays them by the name the
// webhook was registered with, on either platform, and deletes the diverted records.
func ExampleBackfiller_Diverted() {
	ctx := context.Background()
	tenant := socotratest.NewServer()
	defer tenant.Close()
	user, password, host := tenant.LegacyCredentials()
	admin, adminPassword := tenant.LegacyAdminCredentials()
	client, err := socotra.NewLegacyClient(tenant.URL(), socotra.LegacyCredentials{
		Username: user, Password: password, HostName: host, AdminUsername: admin, AdminPassword: adminPassword,
	})
	if err != nil {
		log.Fatal(err)
	}
	down := httptest.NewServer(nil)
	down.Close() // nothing listens: deliveries fail
	err = client.Registrar().Register(ctx, socotra.Registration{
		Name: "orders", URL: down.URL, Events: []events.Name{events.PolicyCreate, events.PolicyIssue},
		Failure: &socotra.FailureHandling{Triggers: []string{"5xx", "timeout"}, Divert: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, typ := range []events.Name{events.PolicyCreate, events.PolicyIssue} {
		if _, err := tenant.EmitLegacy(ctx, typ, nil); err != nil {
			log.Fatal(err)
		}
	}
	if err := tenant.Flush(ctx); err != nil {
		log.Fatal(err)
	}

	h := webhooks.NewHandler()
	h.On("policy.*", func(_ context.Context, ev *webhooks.Event) error {
		fmt.Println("handled", ev.Type)
		return nil
	})
	b, err := backfill.New(h)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := b.Diverted(ctx, client, "orders")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("handled %d, deleted %d\n", rep.Handled, rep.Deleted)
	// Output:
	// handled policy.create
	// handled policy.issue
	// handled 2, deleted 2
}
