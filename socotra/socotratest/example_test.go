package socotratest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
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
