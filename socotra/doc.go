// Package socotra is a typed client for both Socotra platforms' webhook APIs,
// and the runtime and registration lifecycle of Marketplace apps.
//
// [CoreClient] serves Core (Insurance Suite) tenants and [LegacyClient]
// Legacy (Connected Core) tenants. Its types are its own
// ([Webhook], [Endpoint], [FailureHandling], [DivertedEvent], [StreamEvent],
// [LegacyWebhook], [Integration], ...); the generated API clients stay
// internal. It also holds the Marketplace app runtime ([Runtime]) and
// registration lifecycle ([Lifecycle]): see "Marketplace apps".
//
//	c, err := socotra.NewCoreClient("https://api.sandbox.socotra.com", tenantLocator, token)
//	if err != nil {
//		return err
//	}
//	for w, err := range c.Webhooks(ctx, socotra.WebhookFilter{}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(w.Locator, w.Name, w.Endpoint.URL)
//	}
//
// # Errors
//
// Every answer outside 2xx, and every 2xx whose body cannot be used, is one
// [*APIError] carrying the status, the platform's code, message, reference id
// and field errors, the method and path, and the body (truncated). errors.Is
// matches it with [ErrNotFound], [ErrUnauthorized], [ErrForbidden],
// [ErrConflict], [ErrRateLimited], [ErrServer] and [ErrUnexpectedResponse].
// Bad arguments fail before anything is sent, matching [ErrInvalidInput].
// Tokens, passwords and secrets are scrubbed from errors and never logged:
// every member of an APIError is scrubbed of the credentials the request
// carried (secrets, passwords, tokens, delivery header values, the x-smp-key).
//
// # Secrets
//
// Signing secrets are held in [Secret] and delivery headers in [Headers] (and
// [IntegrationHeaders]): types whose String, GoString, Format, LogValue,
// MarshalJSON and MarshalText print [Redacted], so that no fmt verb, slog
// handler, json.Marshal or error shows them, however deeply nested. Literals
// assign to them directly (Secret: "s3cret"); a string variable converts
// (socotra.Secret(s)); [Secret.Reveal] reads the value back. [Registration]
// keeps its Secret a plain string, as code written against it expects, and
// hides it itself in the same ways. [LegacyCredentials],
// [InstallationState] (except when marshalled, since it is the state API's
// wire shape), [CoreClient] and [LegacyClient] print without their tokens and
// passwords too. Locators, names and the x-smp-key are checked before they go
// into a URL path, so that ".." cannot reach another endpoint.
//
// # Retries and tokens
//
// Requests that are safe to repeat (GET, PUT, DELETE, and the PATCHes, which
// are add/remove or unsuspend) are retried on connection failures and on 408,
// 429, 500, 502, 503 and 504, with exponential backoff and jitter, honouring
// Retry-After and the context ([WithRetry], [WithMaxRetryAfter]). A POST is
// retried only when its connection failed before any byte was written. After
// the last attempt the caller gets the last real answer as an [*APIError].
// The Legacy token is renewed a minute before it expires (at half its life when
// it lives under two minutes) and once after a 401,
// and concurrent callers share one renewal. A redirect to another origin
// (scheme, host and port) never carries the Authorization header, and one that
// would resend a request body there is refused; the [http.Client] given to
// [WithHTTPClient] is copied, not changed, to apply this.
//
// # Registering and rotating
//
// [Registrar] is the one interface for both platforms: a named webhook for a
// URL and events, created or updated in place ([CoreClient.Registrar],
// [LegacyClient.Registrar]). [Diff] and [CoreClient.Reconcile] turn a desired
// Core webhook into its add/remove update. [RotateSecret] moves a webhook to a
// new signing secret while an hmac keyring accepts both. [EventStream] pages
// through the Core or Legacy event stream with a checkpoint token.
//
// # Marketplace apps
//
// The Marketplace code lives here, beside the clients: the installation
// state client needs their transport (retries, secret scrubbing of errors,
// the x-smp-key check), and the runtime and lifecycle are built on
// [Registrar]. Package manifest stays the file format alone, with no HTTP.
// [Marketplace] builds the clients for the installation named by a request's
// x-smp-key.
//
// Inside the Marketplace the platform registers the manifest's webhooks when
// it starts the app. A [Runtime] is the app's handler for the platform's
// calls (/health, /_app/start, /_app/stop) and, with [WithDeliveries], for its
// webhook paths; [ListenAddr] reads the port:
//
//	m, err := manifest.Load(manifest.FileName)
//	if err != nil {
//		log.Fatal(err)
//	}
//	rt, err := socotra.NewRuntime(m, receiver, socotra.OnStart(connect))
//	if err != nil {
//		log.Fatal(err)
//	}
//	addr, err := socotra.ListenAddr(":8080")
//	if err != nil {
//		log.Fatal(err)
//	}
//	srv := &http.Server{Addr: addr, Handler: rt, ReadHeaderTimeout: 5 * time.Second,
//		ReadTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10} // see webhooks, "Serving"
//	log.Fatal(srv.ListenAndServe())
//
// Outside the Marketplace, a [Lifecycle] does what the platform does: it
// registers each entry as the app's public URL joined with the entry's path
// through a [Registrar] (Core or Legacy), under names derived from the app,
// the instance ([WithInstance]) and the path, so restarts update rather than
// duplicate and entries dropped from the manifest are removed:
//
//	lc, err := socotra.NewLifecycle(m, "https://hooks.example.com", client.Registrar(),
//		socotra.WithDefaultSettings(socotra.WebhookSettings{Secret: secret}))
//	if err != nil {
//		log.Fatal(err)
//	}
//	if err := lc.Start(ctx); err != nil {
//		log.Fatal(err)
//	}
//	defer lc.Stop(ctx) // runs even when ctx is cancelled
//
// A [Runtime] given [WithRegistrar] drives a Lifecycle from the same
// /_app/start and /_app/stop calls, which it then serves only to callers
// its authenticator accepts ([WithControlSecret], [WithControlAuth]) and
// only for the app's own public URL ([WithPublicURL]).
//
// A [LifecycleOption] ([WithInstance], [WithDefaultSettings],
// [WithLifecycleLogger], [WithStrictManifest], ...) fits both [NewLifecycle]
// and [NewRuntime]; a [RuntimeOption] fits [NewRuntime] only. A manifest
// either refuses matches [ErrInvalidManifest].
//
// # Unconfirmed platform facts
//
// Some behaviour is not published by Socotra and is therefore a setting or a
// lenient reading: the Core Authorization scheme ("Bearer", see
// [WithCoreAuthScheme]); the Core error body (common member names are tried and
// the raw body is kept); the unit of [RetryStrategy].Interval; and where the
// Marketplace state holds the Core tenant locator
// ([InstallationState].TenantLocator).
//
// The Legacy event stream follows Socotra's own tools (socotra/public,
// socotratools/socotratools/client.py and event_test.py), which read only an
// event's id, type and timestamp: the other members are read as those of the
// webhook payload (transactionId, username, data), the timestamp as epoch
// milliseconds in a number or a string, and whether endTimestamp is exclusive
// is not published. It has no type filter that those tools use, so
// [EventQuery].Type is applied by the client.
package socotra
