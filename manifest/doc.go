// Package manifest reads and checks socotra-app.json, the manifest of a
// Socotra Marketplace app.
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
// The app runtime and the registration lifecycle that act on a manifest are
// in package socotra (socotra.NewRuntime, socotra.NewLifecycle); this package
// is the file format alone and makes no HTTP call.
package manifest
