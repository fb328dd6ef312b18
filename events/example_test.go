package events_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/socotra-go/sdk/events"
)

func ExampleParse() {
	n, err := events.Parse("policy.quote.accept")
	fmt.Println(n, err, n.Known(), n.Platforms(), n.Category())

	n, err = events.Parse("tenant.custom.event")
	fmt.Println(n, err, n.Known())

	_, err = events.Parse("policy..create")
	fmt.Println(err)
	fmt.Println(errors.Is(err, events.ErrMalformedName))
	// Output:
	// policy.quote.accept <nil> true core+legacy policy
	// tenant.custom.event <nil> false
	// events: "policy..create": empty segment at byte 7
	// true
}

func ExampleMatch() {
	fmt.Println(events.Match("policy.*", events.PolicyQuoteAccept))
	fmt.Println(events.Match("*.create", events.PolicyAccountCreate))
	fmt.Println(events.Match("*", "tenant.custom.event"))
	fmt.Println(events.Match("billing.*", events.PolicyCreate))
	fmt.Println(events.ValidPattern("policy..*"))
	// Output:
	// true
	// true
	// true
	// false
	// events: pattern "policy..*": empty segment at byte 7
}

func ExampleMatching() {
	fmt.Println(events.Matching("policy.quote.a*"))
	// Output:
	// [policy.quote.accept policy.quote.anonymize]
}

func ExampleSuggest() {
	for _, typo := range []string{"policy.quote.acept", "Policy.Create", "weather.report"} {
		if n, ok := events.Suggest(typo); ok {
			fmt.Printf("%s: did you mean %s?\n", typo, n)
		} else {
			fmt.Printf("%s: no known name is close\n", typo)
		}
	}
	// Output:
	// policy.quote.acept: did you mean policy.quote.accept?
	// Policy.Create: did you mean policy.create?
	// weather.report: no known name is close
}

func ExampleNewData() {
	// The type and data of a Core delivery.
	typ := events.Name("policy.change.issue")
	raw := []byte(`{"policyLocator":"01JDZ8Q3V9K2M4N6P8R0S2T4V6","transactionLocator":"01JDZ8Q3VAB2C4D6E8F0G2H4J6"}`)

	data, ok := events.NewData(typ)
	if !ok {
		fmt.Println("no typed data for", typ)
		return
	}
	if err := json.Unmarshal(raw, data); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%T %+v\n", data, data)
	// Output:
	// *events.PolicyTransactionData &{PolicyLocator:01JDZ8Q3V9K2M4N6P8R0S2T4V6 TransactionLocator:01JDZ8Q3VAB2C4D6E8F0G2H4J6}
}

func ExampleAll() {
	all := events.All()
	fmt.Println(len(all), len(events.CoreNames()), len(events.LegacyNames()))
	fmt.Println(all[0], all[0].Platforms())
	// Output:
	// 288 193 100
	// account.config.migration.failed core
}

// A message about one platform suggests only names that platform sends:
// "policy.issue" is a Legacy name, so a Core typo of it finds nothing.
func ExampleSuggestOn() {
	n, ok := events.SuggestOn("policy.isue", events.Legacy)
	fmt.Println(n, ok)
	n, ok = events.SuggestOn("policy.isue", events.Core)
	fmt.Printf("%q %v\n", n, ok)
	fmt.Println(events.ClaimCreate.ForeignTo(events.Core), events.ClaimFnolCreate.SentBy(events.Core))
	// Output:
	// policy.issue true
	// "" false
	// true true
}

// Names lists what one platform sends: Core's claim events are the FNOL ones, Legacy's the claim
// and sub-claim lifecycle.
func ExampleNames() {
	fmt.Println(events.MatchingOn("claim.*", events.Core)[:3])
	fmt.Println(events.MatchingOn("claim.*", events.Legacy))
	fmt.Println(len(events.Names(events.Core|events.Legacy)) == len(events.All()))
	// Output:
	// [claim.fnol.anonymize claim.fnol.complete claim.fnol.create]
	// [claim.close claim.create claim.discard claim.open claim.update]
	// true
}
