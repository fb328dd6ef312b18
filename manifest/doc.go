// Package manifest reads, checks and acts on socotra-app.json, the manifest
// of a Socotra Marketplace app.
//
// [Parse] and [Load] read a manifest. JSON mistakes come back as
// [*SyntaxError] values with a line, a column and the problem in words;
// the reader carries on after most of them, so one run reports each
// comment, trailing comma and unclosed bracket. Sections the SDK does not
// model (app.fields, socotra.fields, autofill, externalRaters, env,
// performancePlan, changeLogFile, releaseNotesFile, keys added later) must
// be valid JSON and are otherwise left alone.
// socotra.lifecycle is modelled ([Socotra.Lifecycle]): the Marketplace calls
// GET /_app/start and /_app/stop only when it lists "start" and "stop".
//
// [Manifest.Validate] reports every rule the manifest breaks at once, each a
// [*Problem] with its JSON path, position and a hint. Event names the SDK
// does not know are allowed (Socotra adds names) and come back from
// [Manifest.Warnings]; [Manifest.ValidateStrict] counts them as errors. The
// command manifestcheck runs the same checks in CI:
//
//	go run github.com/socotra-go/sdk/manifest/cmd/manifestcheck -strict socotra-app.json
//
// Inside the Marketplace the platform registers the manifest's webhooks
// when it starts the app. A [Runtime] is the app's handler for the platform's
// calls (/health, /_app/start, /_app/stop); [ListenAddr] reads the port:
//
//	m, err := manifest.Load(manifest.FileName)
//	if err != nil {
//		log.Fatal(err)
//	}
//	rt, err := manifest.NewRuntime(m, receiver, manifest.OnStart(connect))
//	if err != nil {
//		log.Fatal(err)
//	}
//	addr, err := manifest.ListenAddr(":8080")
//	if err != nil {
//		log.Fatal(err)
//	}
//	srv := &http.Server{Addr: addr, Handler: rt, ReadHeaderTimeout: 5 * time.Second,
//		ReadTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10} // see webhooks, "Serving"
//	log.Fatal(srv.ListenAndServe())
//
// Outside the Marketplace, a [Lifecycle] does what the platform does: it
// registers each entry as the app's public URL joined with the entry's path
// through a socotra.Registrar (Core or Legacy), under names derived from the
// app, the instance ([WithInstance]) and the path, so restarts update rather
// than duplicate and entries dropped from the manifest are removed:
//
//	lc, err := manifest.NewLifecycle(m, "https://hooks.example.com", client.Registrar(),
//		manifest.WithDefaultSettings(manifest.WebhookSettings{Secret: secret}))
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
package manifest
