package socotra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

// A handler fetches the policy behind the event's policyLocator with the client's HTTPClient, which
// brings the token, the user agent and the retries of the client's own calls.
func ExampleCoreClient_HTTPClient() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	_ = tenant.PutPolicy(events.Core, "01JD7Y3Q8Z5X2W9V4T6R1M0KQB", map[string]string{
		"locator": "01JD7Y3Q8Z5X2W9V4T6R1M0KQB", "productName": "personal-auto"})

	c, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		panic(err)
	}
	api := c.HTTPClient()
	h := webhooks.NewHandler()
	err = webhooks.HandleData(h, events.PolicyChangeIssue,
		func(ctx context.Context, ev *webhooks.Event, d *events.PolicyTransactionData) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet,
				"/policy/"+tenant.TenantLocator()+"/policies/"+d.PolicyLocator, nil)
			if err != nil {
				return err
			}
			resp, err := api.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("policy %s: %s", d.PolicyLocator, resp.Status)
			}
			var policy struct{ ProductName string }
			if err := json.NewDecoder(resp.Body).Decode(&policy); err != nil {
				return err
			}
			fmt.Printf("%s on a %s policy\n", ev.Type, policy.ProductName)
			return nil
		})
	if err != nil {
		panic(err)
	}

	const secret = "example-secret-0123456789"
	recv, err := webhooks.NewSecretReceiver([]byte(secret), h)
	if err != nil {
		panic(err)
	}
	endpoint := httptest.NewServer(recv)
	defer endpoint.Close()
	if _, err := tenant.AddCoreWebhook(endpoint.URL, secret, events.PolicyChangeIssue); err != nil {
		panic(err)
	}
	ctx := context.Background()
	if _, err := tenant.EmitCore(ctx, events.PolicyChangeIssue, map[string]string{
		"policyLocator": "01JD7Y3Q8Z5X2W9V4T6R1M0KQB", "transactionLocator": "01JD7Y3Q8Z5X2W9V4T6R1M0KQT"}); err != nil {
		panic(err)
	}
	if err := tenant.Flush(ctx); err != nil {
		panic(err)
	}
	// Output:
	// policy.change.issue on a personal-auto policy
}
