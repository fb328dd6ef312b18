// Quickstart shows the SDK's event names. It needs no account, network or setup:
//
//	go run ./examples/quickstart
package main

import (
	"fmt"

	"github.com/socotra-go/sdk/events"
)

func main() {
	all := events.All()
	fmt.Printf("the SDK knows %d Socotra event names\n", len(all))
	for _, n := range []events.Name{events.PolicyQuoteAccept, events.InvoiceIssue} {
		fmt.Printf("  %-22s platforms=%s category=%s\n", n, n.Platforms(), n.Category())
	}
	if _, err := events.Parse("policy..create"); err != nil {
		fmt.Println("malformed:", err)
	}
	if n, ok := events.Suggest("policy.quote.acept"); ok {
		fmt.Println("did you mean:", n)
	}
}
