package socotra_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// Behind Marketplace.Middleware a handler finds its installation in the
// request's context, and builds the tenant's client from it: the published
// state has no tenant locator, so here it comes from a "tenantLocator"
// setting.
func ExampleInstallationFrom() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	state := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"socotraApiUrl": tenant.URL(), "tenantHostName": "acme.co.sandbox.socotra.com",
			"token": tenant.CoreToken(), "settings": map[string]string{"tenantLocator": tenant.TenantLocator()}, "mappings": []any{}})
	}))
	defer state.Close()
	market, err := socotra.NewMarketplace(state.URL)
	if err != nil {
		panic(err)
	}
	app := market.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, ok := socotra.InstallationFrom(r.Context())
		if !ok {
			http.Error(w, "no installation", http.StatusInternalServerError)
			return
		}
		client, err := in.CoreClient(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		n := 0
		for _, err := range client.Webhooks(r.Context(), socotra.WebhookFilter{}) {
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			n++
		}
		fmt.Fprintf(w, "%s has %d webhooks", in.State().TenantHostName, n)
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set(socotra.SMPKeyHeader, "installation-1")
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 200 acme.co.sandbox.socotra.com has 0 webhooks
}
