// Package conformance checks that a webhook receiver survives what Socotra really does to it. Point [Run]
// (or [Check]) at your own http.Handler with its webhook secret: the kit serves it on a loopback HTTPS
// server, registers it on in-process fake tenants (package socotra/socotratest), delivers events the way
// production will, and reports every expectation the handler broke, in words that say what to change:
//
//	processed the same event 2 times when Socotra delivered it twice; remember processed event ids …
//	accepted a forged signature (answered 200); verify Socotra-Signature over the raw body …
//	answered 500 for an unknown event type, which makes Socotra retry forever …
//	answered 200 although processing failed, so Socotra will not deliver the event again and it is lost …
//	did not answer within the timeout (10s); Socotra counts that as a failed delivery …
//
// # Usage
//
// The kit sees status codes by itself; to see processing, give it a [Probe] and call the probe where your
// handler processes an event. With package webhooks, wrap your function:
//
//	func TestReceiverConforms(t *testing.T) {
//		probe := new(conformance.Probe)
//		h := webhooks.NewHandler()
//		h.On("policy.*", probe.Wrap(app.OnPolicyEvent))
//		recv, err := webhooks.NewSecretReceiver(secret, h)
//		if err != nil {
//			t.Fatal(err)
//		}
//		conformance.Run(t, recv, secret, conformance.WithProbe(probe),
//			conformance.WithEvent(events.PolicyChangeIssue, map[string]string{"policyLocator": "P1", "transactionLocator": "T1"}),
//			conformance.WithTimeout(time.Second))
//	}
//
// Any other handler calls [Probe.Observe] with the event id where the event's processing takes effect, and
// returns its error as a failure (the kit uses it to simulate one). [WithEvent] names the event types your
// handler processes, so that the kit can expect to see them processed.
//
// # Scenarios
//
// [Scenarios] lists them; [Scenario.Expectation] says what each one expects:
//
//   - [ScenarioValid]: a signed delivery of each [WithEvent] type is answered 2xx and processed once.
//   - [ScenarioDuplicate]: Socotra delivers the same event twice; it is processed once, both answered 2xx.
//   - [ScenarioConcurrent]: copies of one delivery arrive at the same time; the event is processed once.
//   - [ScenarioReordered]: an event arrives after a newer one; it is still processed.
//   - [ScenarioLate]: an event arrives hours after it happened (retries keep the original time); it is
//     still processed.
//   - [ScenarioRetry]: the probe makes processing fail once; the handler answers 5xx and processes the
//     event when Socotra delivers it again. It needs a Probe.
//   - [ScenarioForged]: a forged signature, a body changed after signing, and no signature are refused with
//     4xx and nothing is processed.
//   - [ScenarioUnknownType]: an event type the handler has no sample for is answered 2xx: on Core a
//     custom name no platform sends yet; on Legacy, which sends only the names of its event enum (seed
//     003), the first of those names that no WithEvent sample uses, with empty data.
//   - [ScenarioNewFields]: a delivery with a member the handler does not know, at the top and in the data,
//     is processed (Socotra adds fields over time).
//   - [ScenarioMalformed]: a signed body that is not a delivery is refused with 4xx.
//   - [ScenarioOversized]: a body one byte over the limit ([WithMaxBodyBytes]) is refused with 4xx, and one
//     at the limit is processed.
//   - [ScenarioSlow]: a body arriving in pieces is read whole, verified and processed.
//
// In every scenario each delivery must be answered within [WithTimeout]; a delivery left without an answer
// (a timeout, or a panic that closes the connection) is a problem of that scenario.
//
// Deliveries come from the fake tenant where it can make them (valid, duplicated, retried, forged,
// tampered, oversized, out of order, late, unknown type), with a fake clock so that retries take no time;
// the kit sends the others itself (concurrent copies, no signature, new fields, malformed bodies, a body in
// pieces). [WithPlatform] chooses the Core or Legacy format, or both. Scenarios the handler deliberately
// does not follow are left out with [WithSkip].
//
// What Socotra does is partly unpublished (see package socotra/socotratest for the choices its fake makes);
// the expectations here hold whatever the unknowns turn out to be.
package conformance
