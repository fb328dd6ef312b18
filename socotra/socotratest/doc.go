// Package socotratest runs a fake Socotra tenant in the test process: one HTTP server on
// 127.0.0.1 that answers both platforms' webhook APIs and delivers signed events to the
// registered endpoints, with the retries, diversion, suspension and misbehaviour of the real one.
//
// A test of a receiver needs a [Server], a registered webhook and an emitted event:
//
//	srv := socotratest.NewServer(socotratest.WithClock(socotratest.NewFakeClock(time.Now())))
//	defer srv.Close()
//	srv.AddCoreWebhook(recv.URL, "secret", events.PolicyChangeIssue) // or register with the socotra package
//	ev, err := srv.EmitCore(ctx, events.PolicyChangeIssue, map[string]string{"policyLocator": "P1", "transactionLocator": "T1"})
//	err = srv.Flush(ctx)    // every delivery, retry and backoff has settled
//	got := srv.Deliveries() // what was sent: headers, body, status, attempt number
//
// Clients of the socotra package point at [Server.URL] with [Server.TenantLocator] and
// [Server.CoreToken] (Core) or [Server.LegacyCredentials] and [Server.LegacyAdminCredentials]
// (Legacy). [Server.Webhooks], [Server.DivertedEvents] and [Server.Events] show the tenant's state.
//
// # What it models
//
// Core (Insurance Suite): the webhooks API under /event/{tenantLocator}/webhooks with ULID
// locators, the add/remove update semantics (every removal before any addition, so an item in
// both lists ends up present), the members seed 001 marks required on create and update (a
// request without one, or with it null, gets a 400 field error naming it), list paging with
// offset, count and listCompleted and every filter, suspend and unsuspend, diverted events with
// resend, and the event stream with paging tokens that cannot be combined with other query
// parameters; the events of a request are looked up by a ULID request locator. Requests authenticate
// with "Authorization: Bearer <token>" ([Server.CoreToken]; the scheme is [WithCoreAuthScheme]).
//
// Legacy (Connected Core): webhooks keyed by name with PUT upsert, External Service
// Integrations with security specifications (only for https URLs; a tag needs a secret),
// diverted events keyed by transactionId, and tokens from /account/authenticate and
// /account/authenticateAdmin that expire after [WithTokenTTL]; the integrations API needs the
// administrator token. The event stream at /eventstream/events pages with a pagingToken that comes
// with every page, also when caught up, and later picks up new events. Errors have the
// ExceptionResponse shape.
//
// Deliveries: [Server.EmitCore] and [Server.EmitLegacy] record an event in the stream and POST
// it to every enabled, unsuspended webhook subscribed to its type: a Core EventResponse or a
// Legacy WebhookPayload, with the webhook's headers and, when hmacEnabled, a Socotra-Signature
// made by hmac.Sign over the body. A failed delivery (per the webhook's triggers) is retried per
// its retry strategy (attempts counts the retries after the first try), then diverted and/or the
// webhook suspended, and a failure alert goes to the alert endpoint if one is set. First attempts
// to one webhook go out one at a time in emission order; retries and the Reorder and Delay faults
// do not keep that order, and different webhooks are served concurrently. Diverted events are
// listed in event order.
//
// Platform rules: the Core API refuses event names only Legacy sends (a field error naming the
// nearest Core name) and takes custom names; the Legacy API refuses, with a 400 and a field error,
// any name outside its event enum (seed 003). [Server.EmitCore] and [Server.EmitLegacy] refuse
// the same names, and EmitCore checks the data against the event's typed shape
// ([events.NewData]; unknown members and wrong types are errors) unless it is wrapped in
// [CustomData]. Legacy ExceptionResponse codes are integers (Socotra's Errors and Exceptions
// reference). A Legacy failure alert is seed 003's FailureMessage.
//
// [Faults] add duplicates, reordering, late deliveries, drops, corrupted signatures, tampered
// bodies and bodies that stall past a receiver's read timeout, drawn from a seeded generator so
// that runs repeat.
//
// Time comes from a [Clock]. With a [FakeClock], [Server.Flush] moves time to each pending
// backoff, so a test of ten exponential retries takes milliseconds.
//
// # Where it differs from Socotra
//
//   - Facts Socotra does not publish are choices here, each a setting where it matters: the unit
//     of a retry interval ([WithRetryUnit], one second), linear backoff as interval×n and
//     exponential as interval×2ⁿ⁻¹ before retry n, the Core error body
//     ({httpStatus, error, message, fieldErrors}), the default of three attempts and an interval
//     of one unit when a retry strategy leaves them out.
//   - A transport error (connection refused) counts as a "timeout" trigger.
//   - Legacy retry strategies none/one/three wait one retry unit per retry; a Legacy webhook
//     without failure handling treats every non-2xx answer and timeouts as failure and does
//     nothing more, and its failureHandling is left out of responses; an empty actOnStatusCodes
//     means every non-2xx status.
//   - Events emitted while a webhook is suspended or disabled are not queued for it: they are
//     only in the event stream; [Server.Events] shows it.
//   - PUT /webhooks on an existing name replaces its settings; members left out go back to their
//     defaults, except alertIntegrationName, which stays until resetAlertIntegrationName.
//   - GET of a Core webhook returns the endpoint secret; the list returns it only with
//     extended=true.
//   - The Core event stream returns a pagingToken with every page, the last one too, and the last
//     token later picks up new events, as Socotra documents for the Legacy stream; that Core does
//     the same is an assumption.
//   - The Core alert body is not published: the fake sends Legacy's FailureMessage with
//     "webhookLocator" (the webhook's locator) in place of "webhookName". Legacy apiErrorCode
//     values are not reproduced: the fake sends the HTTP status there too.
//   - Redirects are not followed: a 3xx answer is the delivery's status.
//
// # Outside a Go test
//
// [WithListener] serves on an address of the caller's choice and [WithControl] turns on
// [ControlEmitPath], where a POST of an [EmitRequest] carrying the Core token emits an event, so a
// process in any language can drive the fake; [WithHandler] adds pages beside the APIs. The
// socotra-webhooks command's serve runs the fake this way, with a delivery inspector page.
//
// # Marketplace apps
//
// [StateAPI] plays the Marketplace's installation state API (SMP_STATE_API): [StateAPI.Install]
// registers an installation of an app on a [Server] under an x-smp-key, for socotra.NewMarketplace
// and a socotra.Runtime given WithMarketplace.
//
// Every exported method is safe for concurrent use, and no goroutine outlives [Server.Close].
package socotratest
