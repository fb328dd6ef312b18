package socotratest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/internal/coreapi"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// A test of a receiver: register it on the fake tenant, emit an event, flush, check what happened.
func Example() {
	ctx := context.Background()
	srv := socotratest.NewServer()
	defer srv.Close()
	verifier, _ := hmac.NewVerifier([]byte("s3cret"))
	recv := httptest.NewServer(verifier.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := hmac.VerifiedBody(r.Context())
		fmt.Printf("verified %t\n", len(body) > 0)
	})))
	defer recv.Close()

	srv.AddCoreWebhook(recv.URL, "s3cret", events.PolicyIssue)
	srv.EmitCore(ctx, events.PolicyIssue, map[string]string{"policyLocator": "P1"})
	srv.Flush(ctx)
	for _, d := range srv.Deliveries() {
		fmt.Println(d.EventType, "attempt", d.Attempt, "status", d.Status)
	}
	// Output:
	// verified true
	// policy.issue attempt 1 status 200
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

	// Through the Core API: failureHandling {retryStrategy: {type: exponential, interval: 30, attempts: 3}}.
	registerWithRetries(srv, down.URL)
	srv.EmitCore(ctx, events.PolicyIssue, nil)
	srv.Flush(ctx)
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

	srv.AddCoreWebhook(recv.URL, "", events.PolicyIssue)
	srv.EmitCore(ctx, events.PolicyIssue, nil)
	srv.Flush(ctx)
	for _, d := range srv.Deliveries() {
		fmt.Println(d.Attempt, d.Status, d.Faults)
	}
	// Output:
	// 1 200 none
	// 1 200 duplicate
}

func registerWithRetries(srv *socotratest.Server, url string) {
	c, _ := coreapi.NewClientWithResponses(srv.URL(), coreapi.WithRequestEditorFn(
		func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+srv.CoreToken())
			return nil
		}))
	typ, interval, attempts := coreapi.RetryTypeExponential, int64(30), int32(3)
	c.CreateWebhookWithResponse(context.Background(), srv.TenantLocator(), coreapi.CreateWebhookRequest{
		Name: "flaky", Enabled: true, EventTypes: []string{"policy.issue"},
		Endpoint: coreapi.CreateEndpointRequest{Url: url},
		FailureHandling: &coreapi.FailureHandlingCreateRequest{
			RetryStrategy: &coreapi.RetryStrategyCreateRequest{Type: &typ, Interval: &interval, Attempts: &attempts},
		},
	})
}
