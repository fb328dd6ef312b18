package socotra_test

import (
	"context"
	"fmt"
	"log"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func ExampleLegacyClient_EventStream() {
	tenant := socotratest.NewServer()
	defer tenant.Close()
	ctx := context.Background()
	user, password, host := tenant.LegacyCredentials()
	c, err := socotra.NewLegacyClient(tenant.URL(), socotra.LegacyCredentials{
		Username: user, Password: password, HostName: host,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, typ := range []events.Name{events.PolicyCreate, events.PolicyIssue, events.ClaimCreate} {
		if _, err := tenant.EmitLegacy(ctx, typ, nil); err != nil {
			log.Fatal(err)
		}
	}

	stream := c.EventStream(socotra.EventQuery{PageSize: 2})
	for ev, err := range stream.Events(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Type)
	}
	// The Legacy token stays valid once caught up: save it, and a later stream resumes after the last event.
	token := stream.Token()
	if _, err := tenant.EmitLegacy(ctx, events.ClaimClose, nil); err != nil {
		log.Fatal(err)
	}
	for ev, err := range c.EventStream(socotra.EventQuery{PagingToken: token}).Events(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("later:", ev.Type)
	}
	// Output:
	// policy.create
	// policy.issue
	// claim.create
	// later: claim.close
}
