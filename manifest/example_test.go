package manifest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// The example manifest published with the Marketplace documentation has a
// trailing comma and an unclosed brace; Parse points at both.
func ExampleParse() {
	_, err := manifest.Parse([]byte(`{
  "name": "org-name/app-name",
  "version": "0.0.1",
  "socotra": {
    "webhooks": [
      {"path": "/webhook-notify", "events": ["policy.create"]}
    ],
  }
`))
	for _, e := range manifest.SyntaxErrors(err) {
		fmt.Printf("%d:%d: %s\n", e.Line, e.Column, e.Msg)
	}
	// Output:
	// 7:6: trailing comma before '}': remove the ','
	// 8:4: unexpected end of file: 1 '{' not closed (the '{' opened at line 1, column 1)
}

func ExampleManifest_Check() {
	m, err := manifest.Parse([]byte(`{
  "name": "acme/claims",
  "version": "1.0",
  "socotra": {"webhooks": [
    {"path": "claims", "events": ["claim.create", "claim.craete"]}
  ]}
}`))
	if err != nil {
		panic(err)
	}
	errs, warnings := m.Check()
	for _, p := range append(errs, warnings...) {
		fmt.Println(p)
	}
	// Output:
	// manifest: line 3, column 14: version: "1.0" is not a MAJOR.MINOR.PATCH version; use three numbers separated by dots, such as "1.0.0"
	// manifest: line 5, column 14: socotra.webhooks[0].path: "claims" must start with '/'; write "/claims"
	// manifest: line 5, column 51: warning: socotra.webhooks[0].events[1]: "claim.craete" is not an event name this SDK knows; did you mean "claim.create"?
}

func ExampleManifest_MarshalJSON() {
	m, err := manifest.Parse([]byte(`{"name": "acme/claims", "version": "1.0.0", "env": {"MODE": "eu"}}`))
	if err != nil {
		panic(err)
	}
	m.Version = "1.1.0"
	out, err := m.MarshalJSON()
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output:
	// {
	//   "name": "acme/claims",
	//   "version": "1.1.0",
	//   "env": {
	//     "MODE": "eu"
	//   }
	// }
}

// A Runtime answers the Marketplace's calls; in the Marketplace the platform
// registers the webhooks itself.
func ExampleRuntime() {
	m, err := manifest.Parse([]byte(`{"name": "acme/claims", "version": "1.0.0",
  "socotra": {"webhooks": [{"path": "/hooks", "events": ["claim.create"]}]}}`))
	if err != nil {
		panic(err)
	}
	rt, err := manifest.NewRuntime(m, http.NotFoundHandler(), manifest.OnStart(func(_ context.Context, publicURL string) error {
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
	lc, err := manifest.NewLifecycle(m, "https://claims.example.com", client.Registrar(),
		manifest.WithInstance("eu"),
		manifest.WithDefaultSettings(manifest.WebhookSettings{Secret: "from-your-secret-store"}))
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
