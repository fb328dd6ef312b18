// Package events names the webhook events of both Socotra platforms, Core
// (Socotra Insurance Suite) and Legacy (Connected Core), and types the data
// that Core events carry.
//
// A [Name] is an event type such as [PolicyQuoteAccept] ("policy.quote.accept").
// There is one constant per known name, and [All] lists them; each knows its
// [Name.Platforms] and [Name.Category]. [Parse] accepts any well-formed name,
// known or not, because Socotra adds names and tenants emit their own, and it
// says exactly what is wrong with a malformed one. [Suggest] finds the known
// name a typo was meant to be.
//
// The platform is part of every name's meaning: Core sends "claim.fnol.create"
// and never "claim.create", Legacy the reverse. [Names] lists one platform's
// names, [Name.SentBy] and [Name.ForeignTo] test a name against a platform,
// and [SuggestOn] and [MatchingOn] stay within the platform asked about, so a
// Core typo is never "corrected" to a name only Legacy sends.
//
// [Match] tests a name against a pattern in which '*' stands for any run of
// characters, dots included: "policy.*", "*.create", "*". Check patterns
// once with [ValidPattern]; [Matching] lists the known names a pattern
// covers.
//
// [NewData] returns a new value of a Core event's data type, such as
// [*PolicyTransactionData], so a receiver decodes typed data without a type
// switch:
//
//	data, ok := events.NewData(ev.Type)
//	if ok {
//		if err := json.Unmarshal(ev.Data, data); err != nil {
//			return err
//		}
//	}
//	if tx, ok := data.(*events.PolicyTransactionData); ok {
//		fmt.Println("transaction", tx.TransactionLocator, "on policy", tx.PolicyLocator)
//	}
//
// The names and data types are generated from api/events/core.json and the
// EventType enum of api/legacy.yaml; run go generate ./... after changing them.
package events
