package socotra_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func ExampleNewCoreClient() {
	tenant := socotratest.NewServer() // a fake Core tenant; use https://api.sandbox.socotra.com for real
	defer tenant.Close()
	ctx := context.Background()

	c, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		log.Fatal(err)
	}
	w, err := c.CreateWebhook(ctx, socotra.Webhook{
		Name:     "quotes",
		Enabled:  true,
		Events:   []events.Name{events.PolicyQuoteAccept},
		Endpoint: socotra.Endpoint{URL: "https://app.example/hooks/quotes", HMAC: true, Secret: "s3cret", Tag: "v1"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(w.Name, w.Enabled, w.Events, w.Endpoint)
	// Output: quotes true [policy.quote.accept] {URL:https://app.example/hooks/quotes Headers:map[] InsecureSkipVerify:false HMAC:true Secret:[REDACTED] Tag:v1}
}

func ExampleNewLegacyClient() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	ctx := context.Background()

	user, pass, host := tenant.LegacyCredentials()
	admin, adminPass := tenant.LegacyAdminCredentials()
	c, err := socotra.NewLegacyClient(tenant.URL(), socotra.LegacyCredentials{
		Username: user, Password: pass, HostName: host, // tokens are fetched and renewed as needed
		AdminUsername: admin, AdminPassword: adminPass, // for the integrations API
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.CreateIntegration(ctx, socotra.Integration{Name: "crm", URL: "https://crm.example/socotra"}); err != nil {
		log.Fatal(err)
	}
	w, err := c.PutWebhook(ctx, socotra.LegacyWebhook{
		Name: "crm-policies", IntegrationName: "crm", Enabled: true, Events: []events.Name{events.PolicyIssue},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(w.Name, "->", w.IntegrationName, w.Events)
	// Output: crm-policies -> crm [policy.issue]
}

func ExampleCoreClient_Webhooks() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	ctx := context.Background()
	c, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"a", "b", "c"} {
		w, err := c.CreateWebhook(ctx, socotra.Webhook{Name: name, Enabled: true,
			Events: []events.Name{events.PolicyChangeIssue}, Endpoint: socotra.Endpoint{URL: "https://app.example/" + name}})
		if err != nil {
			log.Fatal(err)
		}
		if name == "b" { // a webhook is created enabled; disabling one is an update
			if _, err := c.UpdateWebhook(ctx, w.Locator, socotra.WebhookUpdate{Enabled: new(false)}); err != nil {
				log.Fatal(err)
			}
		}
	}

	// Pages are fetched as the loop needs them (here two per request).
	enabled := true
	for w, err := range c.Webhooks(ctx, socotra.WebhookFilter{Enabled: &enabled, PageSize: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(w.Name, w.Endpoint.URL)
	}
	// Output:
	// a https://app.example/a
	// c https://app.example/c
}

func ExampleCoreClient_EventStream() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	ctx := context.Background()
	c, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		log.Fatal(err)
	}
	for range 3 {
		if _, err := tenant.EmitCore(ctx, events.PolicyChangeIssue, map[string]string{"policyLocator": "P1", "transactionLocator": "T1"}); err != nil {
			log.Fatal(err)
		}
	}

	stream := c.EventStream(socotra.EventQuery{Type: events.PolicyChangeIssue, PageSize: 2})
	n := 0
	for ev, err := range stream.Events(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		n++
		fmt.Println(n, ev.Type)
	}
	// Save stream.Token() to resume later with EventQuery{PagingToken: token}.
	fmt.Println("checkpoint saved:", stream.Token() != "")
	// Output:
	// 1 policy.change.issue
	// 2 policy.change.issue
	// 3 policy.change.issue
	// checkpoint saved: true
}

func ExampleDiff() {
	current := socotra.Webhook{
		Events:   []events.Name{events.PolicyChangeCreate, events.PolicyChangeIssue},
		Endpoint: socotra.Endpoint{Headers: map[string][]string{"X-Env": {"test"}}},
	}
	desired := socotra.Webhook{
		Events:   []events.Name{events.PolicyChangeIssue, events.PolicyCancellationIssue},
		Endpoint: socotra.Endpoint{Headers: map[string][]string{"X-Env": {"prod"}}},
	}
	u := socotra.Diff(current, desired)
	fmt.Println("add:", u.AddEvents, "remove:", u.RemoveEvents)
	// A changed header is removed and added: removals apply first, so the new value stays.
	// Header values may be credentials: printed, they are hidden; indexed, they are read.
	fmt.Println("headers: add", u.Endpoint.AddHeaders, "remove", u.Endpoint.RemoveHeaders)
	fmt.Println("X-Env:", u.Endpoint.AddHeaders["X-Env"])
	// Output:
	// add: [policy.cancellation.issue] remove: [policy.change.create]
	// headers: add map[X-Env:[[REDACTED]]] remove [X-Env]
	// X-Env: [prod]
}

func ExampleCoreClient_Registrar() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	ctx := context.Background()
	c, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		log.Fatal(err)
	}

	reg := c.Registrar() // LegacyClient.Registrar works the same way
	r := socotra.Registration{Name: "my-app/orders", URL: "https://app.example/orders",
		Events: []events.Name{events.PolicyChangeIssue}, Secret: "s3cret", Tag: "v1"}
	if err := reg.Register(ctx, r); err != nil {
		log.Fatal(err)
	}
	r.Events = append(r.Events, events.PolicyCancellationIssue)
	if err := reg.Register(ctx, r); err != nil { // updates the same webhook in place
		log.Fatal(err)
	}

	regs, err := reg.Registrations(ctx, "my-app/")
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range regs {
		fmt.Println(r.Name, r.Events)
	}
	// Output: my-app/orders [policy.change.issue policy.cancellation.issue]
}

func ExampleAPIError() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	c, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		log.Fatal(err)
	}

	_, err = c.Webhook(context.Background(), "01ARZ3NDEKTSV4RRFFQ69G5FAV")
	var apiErr *socotra.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, errors.Is(err, socotra.ErrNotFound))
	}
	// Output: 404 true
}

// Legacy takes failure status codes, not Core's classes: a class becomes every code of it.
func ExampleLegacyStatusCodes() {
	codes, onTimeout, err := socotra.LegacyStatusCodes([]string{"503", "timeout"})
	fmt.Println(codes, onTimeout, err)
	codes, _, _ = socotra.LegacyStatusCodes([]string{"5xx"})
	fmt.Println(codes)
	_, _, err = socotra.LegacyStatusCodes([]string{"5XY"})
	fmt.Println(errors.Is(err, socotra.ErrInvalidInput))
	// Output:
	// [503] true <nil>
	// [500 501 502 503 504 505 506 507 508 510 511]
	// true
}
