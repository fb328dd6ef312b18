package socotratest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// A fake state API serves the installation of a request's x-smp-key to a socotra.Marketplace, which
// caches it and builds a client for the installation's tenant.
func ExampleStateAPI() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	state := socotratest.NewStateAPI()
	defer state.Close()
	state.Install("key-1", tenant, "acme.co.sandbox.socotra.com", map[string]string{"tenantLocator": tenant.TenantLocator()})

	market, err := socotra.NewMarketplace(state.URL()) // what SMP_STATE_API names
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	r := httptest.NewRequest(http.MethodPost, "/socotra/events", nil)
	r.Header.Set(socotra.SMPKeyHeader, "key-1")
	for range 2 {
		in, err := market.Installation(ctx, r)
		if err != nil {
			panic(err)
		}
		fmt.Println(in.State().TenantHostName, "read", state.Reads(), "time(s)")
	}
	in, err := market.Installation(ctx, r)
	if err != nil {
		panic(err)
	}
	core, err := in.CoreClient(ctx)
	if err != nil {
		panic(err)
	}
	n := 0
	for _, err := range core.Webhooks(ctx, socotra.WebhookFilter{}) {
		if err != nil {
			panic(err)
		}
		n++
	}
	fmt.Println("webhooks on the installation's tenant:", n)

	r.Header.Set(socotra.SMPKeyHeader, "key-2")
	_, err = market.Installation(ctx, r)
	fmt.Println("unknown key:", errors.Is(err, socotra.ErrNotFound))
	// Output:
	// acme.co.sandbox.socotra.com read 1 time(s)
	// acme.co.sandbox.socotra.com read 1 time(s)
	// webhooks on the installation's tenant: 0
	// unknown key: true
}
