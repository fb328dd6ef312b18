// Package socotra is a typed client for the Socotra webhook APIs of both
// platforms: [CoreClient] for Core (Insurance Suite) tenants and
// [LegacyClient] for Legacy (Connected Core) tenants.
//
// Both clients authorise every request, retry what is safe to retry
// (honouring Retry-After and the context), and report every failed call as one
// [*APIError] that errors.Is matches with [ErrNotFound], [ErrUnauthorized],
// [ErrForbidden], [ErrConflict], [ErrRateLimited] and [ErrServer]. Tokens and
// secrets never appear in errors or logs.
//
//	c, err := socotra.NewCoreClient("https://api.sandbox.socotra.com", tenant, token)
//	if err != nil { ... }
//	for wh, err := range c.Webhooks(ctx, socotra.WebhookFilter{}) {
//		if err != nil { ... }
//		fmt.Println(wh.Locator, wh.Name, wh.Endpoint.URL)
//	}
//
// Lists that page are iterators ([iter.Seq2]). [CoreClient.Reconcile] turns a
// desired webhook into the platform's add/remove update. [Registrar] registers
// an app's webhooks by name on either platform; [RotateSecret] moves a webhook
// to a new signing secret while an hmac keyring accepts both. [Marketplace]
// builds the right client for an installation from its x-smp-key.
package socotra
