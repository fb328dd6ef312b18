package socotra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// A Marketplace app listens on the port the platform gives in SMP_PORT; run elsewhere, it uses its own.
func ExampleListenAddr() {
	addr, err := socotra.ListenAddr(":8080")
	if err != nil {
		panic(err)
	}
	fmt.Println("locally:", addr)

	os.Setenv(socotra.PortEnv, "3000") // as the Marketplace sets it
	defer os.Unsetenv(socotra.PortEnv)
	if addr, err = socotra.ListenAddr(":8080"); err != nil {
		panic(err)
	}
	fmt.Println("in the Marketplace:", addr)
	// Output:
	// locally: :8080
	// in the Marketplace: :3000
}

// The Legacy client's HTTPClient reads what the webhook clients do not cover, such as the policy an event
// names, with the client's token (renewed as it expires) and retries; a path is relative to the tenant.
func ExampleLegacyClient_HTTPClient() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	if err := tenant.PutPolicy(events.Legacy, "100000001", map[string]string{"locator": "100000001", "productName": "home"}); err != nil {
		panic(err)
	}
	user, pass, host := tenant.LegacyCredentials()
	c, err := socotra.NewLegacyClient(tenant.URL(), socotra.LegacyCredentials{Username: user, Password: pass, HostName: host})
	if err != nil {
		panic(err)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "/policy/100000001", nil)
	if err != nil {
		panic(err)
	}
	resp, err := c.HTTPClient().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var policy struct{ ProductName string }
	if err := json.NewDecoder(resp.Body).Decode(&policy); err != nil {
		panic(err)
	}
	fmt.Println(resp.Status, policy.ProductName)
	// Output: 200 OK home
}
