package conformance_test

import (
	"context"
	"fmt"
	"time"

	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/conformance"
)

// A receiver built with package webhooks passes every scenario. The probe wraps the function that does the
// work, so the kit sees each event processed.
func Example() {
	secret := []byte("whsec-example")
	probe := new(conformance.Probe)
	h := webhooks.NewHandler()
	h.On("policy.*", probe.Wrap(func(ctx context.Context, ev *webhooks.Event) error {
		return nil // the application's work
	}))
	recv, err := webhooks.NewSecretReceiver(secret, h)
	if err != nil {
		panic(err)
	}
	// In a test: conformance.Run(t, recv, secret, …), which fails t for each problem.
	rep, err := conformance.Check(context.Background(), recv, secret,
		conformance.WithProbe(probe), conformance.WithTimeout(2*time.Second))
	if err != nil {
		panic(err)
	}
	fmt.Print(rep)
	// Output:
	// ok   core valid: a signed delivery is answered 2xx and processed once
	// ok   core duplicate: an event delivered twice is processed once and both deliveries are answered 2xx
	// ok   core concurrent: an event delivered several times at once is processed once
	// ok   core reordered: an event arriving after a newer one is still processed
	// ok   core late: an event delivered hours after it happened is still processed
	// ok   core retry: a failure is answered 5xx and the redelivery is processed
	// ok   core forged: a missing, forged or tampered signature is refused with 4xx and nothing is processed
	// ok   core unknown-type: an event type the handler does not know is answered 2xx
	// ok   core new-fields: a delivery with fields the handler does not know is processed
	// ok   core malformed: a signed body that is not a delivery is refused with 4xx
	// ok   core oversized: a body over the limit is refused with 4xx; one at the limit is processed
	// ok   core slow: a body arriving in pieces is read whole and processed
}

// A receiver whose fallback fails on event types it has no function for: Socotra would retry such events
// until it gives up.
func ExampleCheck() {
	secret := []byte("whsec-example")
	probe := new(conformance.Probe)
	h := webhooks.NewHandler(webhooks.WithFallback(func(ctx context.Context, ev *webhooks.Event) error {
		return fmt.Errorf("no function for %s", ev.Type)
	}))
	h.On("policy.*", probe.Wrap(func(ctx context.Context, ev *webhooks.Event) error { return nil }))
	recv, _ := webhooks.NewSecretReceiver(secret, h)

	rep, err := conformance.Check(context.Background(), recv, secret,
		conformance.WithProbe(probe), conformance.WithTimeout(2*time.Second))
	if err != nil {
		panic(err)
	}
	for _, p := range rep.Problems() {
		fmt.Printf("%s: %s\n", p.Scenario, p.Message)
	}
	// Output:
	// unknown-type: answered 500 for an unknown event type, which makes Socotra retry forever (or divert the event, or suspend the webhook); acknowledge event types you do not handle with 2xx, since Socotra and tenants add new ones
}
