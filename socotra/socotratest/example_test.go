package socotratest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// A test of a receiver: register it on the fake tenant, emit an event, flush, check what happened.
func Example() {
	ctx := context.Background()
	srv := socotratest.NewServer()
	defer srv.Close()
	verifier, err := hmac.NewVerifier([]byte("s3cret"))
	if err != nil {
		log.Fatal(err)
	}
	recv := httptest.NewServer(verifier.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := hmac.VerifiedBody(r.Context())
		fmt.Printf("verified %t\n", ok && len(body) > 0)
	})))
	defer recv.Close()

	if _, err := srv.AddCoreWebhook(recv.URL, "s3cret", events.PolicyChangeIssue); err != nil {
		log.Fatal(err)
	}
	if _, err := srv.EmitCore(ctx, events.PolicyChangeIssue, map[string]string{"policyLocator": "P1", "transactionLocator": "T1"}); err != nil {
		log.Fatal(err)
	}
	if err := srv.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	for _, d := range srv.Deliveries() {
		fmt.Println(d.EventType, "attempt", d.Attempt, "status", d.Status)
	}
	// Output:
	// verified true
	// policy.change.issue attempt 1 status 200
}

// Retries with backoff run instantly on a fake clock: Flush moves time to each pending retry.
func ExampleFakeClock() {
	ctx := context.Background()
	clock := socotratest.NewFakeClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	srv := socotratest.NewServer(socotratest.WithClock(clock))
	defer srv.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()

	// Registered through the Core API, with three retries 30 units apart, doubling.
	c, err := socotra.NewCoreClient(srv.URL(), srv.TenantLocator(), srv.CoreToken())
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.CreateWebhook(ctx, socotra.Webhook{
		Name: "flaky", Enabled: true, Events: []events.Name{events.PolicyChangeIssue},
		Endpoint: socotra.Endpoint{URL: down.URL},
		Failure: &socotra.FailureHandling{
			Retry: &socotra.RetryStrategy{Type: socotra.RetryExponential, Interval: 30, Attempts: 3},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := srv.EmitCore(ctx, events.PolicyChangeIssue, nil); err != nil {
		log.Fatal(err)
	}
	if err := srv.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	for _, d := range srv.Deliveries() {
		fmt.Println(d.Attempt, d.Status, d.Time.Format(time.TimeOnly))
	}
	// Output:
	// 1 503 09:00:00
	// 2 503 09:00:30
	// 3 503 09:01:30
	// 4 503 09:03:30
}

// Faults make deliveries misbehave, reproducibly: here every delivery arrives twice.
func ExampleFaults() {
	ctx := context.Background()
	srv := socotratest.NewServer(socotratest.WithFaults(socotratest.Faults{Seed: 1, Duplicate: 1}))
	defer srv.Close()
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer recv.Close()

	if _, err := srv.AddCoreWebhook(recv.URL, "", events.PolicyChangeIssue); err != nil {
		log.Fatal(err)
	}
	if _, err := srv.EmitCore(ctx, events.PolicyChangeIssue, nil); err != nil {
		log.Fatal(err)
	}
	if err := srv.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	for _, d := range srv.Deliveries() {
		fmt.Println(d.Attempt, d.Status, d.Faults)
	}
	// Output:
	// 1 200 none
	// 1 200 duplicate
}
