package socotra_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

// A Runtime answers the Marketplace's calls; in the Marketplace the platform
// registers the webhooks itself, and calls /_app/start because the manifest
// declares it.
func ExampleRuntime() {
	m, err := manifest.Parse([]byte(`{"name": "acme/claims", "version": "1.0.0",
  "socotra": {"lifecycle": ["start"], "webhooks": [{"path": "/hooks", "events": ["claim.create"]}]}}`))
	if err != nil {
		panic(err)
	}
	rt, err := socotra.NewRuntime(m, http.NotFoundHandler(), socotra.OnStart(func(_ context.Context, publicURL string) error {
		fmt.Println("starting at", publicURL)
		return nil
	}))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(rt)
	defer srv.Close()
	for _, path := range []string{"/health", "/_app/start?route=" + url.QueryEscape("https://abc123.example.com")} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			panic(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			panic(err)
		}
		fmt.Printf("%d %s", resp.StatusCode, body)
	}
	// Output:
	// 200 ok
	// starting at https://abc123.example.com
	// 200 started
}

// A self-hosted integration registers its manifest's webhooks on start and
// removes them on stop; here against the fake tenant.
func ExampleNewLifecycle() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	client, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		panic(err)
	}
	m, err := manifest.Parse([]byte(`{"name": "acme/claims", "version": "1.0.0",
  "socotra": {"webhooks": [{"path": "/hooks/quotes", "events": ["policy.quote.accept"]}]}}`))
	if err != nil {
		panic(err)
	}
	lc, err := socotra.NewLifecycle(m, "https://claims.example.com", client.Registrar(),
		socotra.WithInstance("eu"),
		socotra.WithDefaultSettings(socotra.WebhookSettings{Secret: "from-your-secret-store"}))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := lc.Start(ctx); err != nil {
		panic(err)
	}
	regs, _ := client.Registrar().Registrations(ctx, lc.Prefix())
	for _, r := range regs {
		fmt.Println(r.Name, r.URL, r.Events)
	}
	if err := lc.Stop(ctx); err != nil {
		panic(err)
	}
	regs, _ = client.Registrar().Registrations(ctx, lc.Prefix())
	fmt.Println("after Stop:", len(regs))
	// Output:
	// acme-claims_eu_d3fdac49fece_hooks-quotes-0e2abe0a https://claims.example.com/hooks/quotes [policy.quote.accept]
	// after Stop: 0
}

// A self-hosted Runtime serves /_app/start only to callers with the shared
// secret, and only for the app's own public URL.
func ExampleWithControlSecret() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	client, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		panic(err)
	}
	m, err := manifest.Parse([]byte(`{"name": "acme/claims", "version": "1.0.0", "targetPlatform": "EnterpriseCore",
  "socotra": {"webhooks": [{"path": "/hooks/quotes", "events": ["policy.quote.accept"]}]}}`))
	if err != nil {
		panic(err)
	}
	const controlSecret = "from-your-secret-store-0123456789"
	rt, err := socotra.NewRuntime(m, nil, socotra.WithRegistrar(client.Registrar()),
		socotra.WithDefaultSettings(socotra.WebhookSettings{Secret: "webhook-secret"}),
		socotra.WithControlSecret(controlSecret), socotra.WithPublicURL("https://claims.example.com"))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(rt)
	defer srv.Close()
	start := func(route, authorization string) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/_app/start?route="+url.QueryEscape(route), nil)
		if err != nil {
			panic(err)
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(route, "->", resp.StatusCode)
	}
	start("https://attacker.example", "")
	start("https://attacker.example", "Bearer "+controlSecret)
	start("https://claims.example.com", "Bearer "+controlSecret)
	for r, err := range client.Webhooks(context.Background(), socotra.WebhookFilter{}) {
		if err != nil {
			panic(err)
		}
		fmt.Println("registered:", r.Endpoint.URL)
	}
	// Output:
	// https://attacker.example -> 401
	// https://attacker.example -> 400
	// https://claims.example.com -> 200
	// registered: https://claims.example.com/hooks/quotes
}

// A Marketplace app's Runtime serves its webhook path: each delivery is
// verified, then its installation is read from the x-smp-key and handed to
// the handler in its context.
func ExampleWithDeliveries() {
	state := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The platform's state API: GET /state/{x-smp-key}.
		fmt.Fprint(w, `{"socotraApiUrl": "https://api.sandbox.socotra.com", "tenantHostName": "acme.co.sandbox.socotra.com",
  "token": "pat-of-the-installation", "settings": {}, "mappings": []}`)
	}))
	defer state.Close()
	market, err := socotra.NewMarketplace(state.URL)
	if err != nil {
		panic(err)
	}
	h := webhooks.NewHandler()
	h.On("policy.quote.accept", func(ctx context.Context, ev *webhooks.Event) error {
		in, _ := socotra.InstallationFrom(ctx)
		fmt.Println(ev.Type, "for", in.State().TenantHostName)
		return nil
	})
	m, err := manifest.Parse([]byte(`{"name": "acme/claims", "version": "1.0.0", "targetPlatform": "EnterpriseCore",
  "socotra": {"webhooks": [{"path": "/hooks/quotes", "events": ["policy.quote.accept"]}]}}`))
	if err != nil {
		panic(err)
	}
	const secret = "webhook-secret"
	rt, err := socotra.NewRuntime(m, nil, socotra.WithDeliveries(h), socotra.WithMarketplace(market),
		socotra.WithDefaultSettings(socotra.WebhookSettings{Secret: secret}))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(rt)
	defer srv.Close()

	body := []byte(`{"locator": "01JD7Q3Z5X6Y7Z8A9B0C1D2E3F", "type": "policy.quote.accept",
  "timestamp": "2026-11-23T18:04:05Z", "data": {"quoteLocator": "Q-1"}}`)
	for _, key := range []string{"", secret} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/hooks/quotes", bytes.NewReader(body))
		if key != "" {
			req, err = hmac.NewSignedRequest(http.MethodPost, srv.URL+"/hooks/quotes", body, []byte(key))
		}
		if err != nil {
			panic(err)
		}
		req.Header.Set(socotra.SMPKeyHeader, "installation-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println("delivery signed:", key != "", "->", resp.StatusCode)
	}
	// Output:
	// delivery signed: false -> 401
	// policy.quote.accept for acme.co.sandbox.socotra.com
	// delivery signed: true -> 200
}
