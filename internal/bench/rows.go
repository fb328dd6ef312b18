package bench

// Kind groups the rows of the benchmark table.
type Kind string

// The kinds of rows.
const (
	KindFloor   Kind = "floor"   // a reference cost measured in the same run
	KindSDK     Kind = "sdk"     // this SDK
	KindPeer    Kind = "peer"    // another webhook library, through its own public API
	KindHarness Kind = "harness" // the cost of the benchmark's request harness, verifying nothing
)

// Row describes one row of the benchmark table: one way of accepting a signed delivery.
type Row struct {
	Name string // the impl key in benchmark names: BenchmarkDelivery/size=<size>/impl=<Name>
	Kind Kind
	// Does says what the row does beyond (+) or short of (−) hmac.Verifier.Verify, which checks the raw
	// body's HMAC-SHA256 against the Socotra-Signature header and nothing else.
	Does string
}

// Rows lists every row of BenchmarkDelivery, in table order. Floor is the per-call floor and Limit the
// physical limit that every other row is compared with.
var Rows = []Row{
	{Floor, KindFloor, "per-call crypto/hmac: new keyed HMAC, SHA-256 of the body, hex decode, hmac.Equal"},
	{Limit, KindFloor, "one keyed HMAC reused with Reset, fixed buffers, nothing allocated (not goroutine-safe)"},
	{"sdk-verify", KindSDK, "hmac.Verifier.Verify(body, header)"},
	{"sdk-verify-rotation", KindSDK, "Verify with two keys during a rotation, deliveries signed with the second (tried first once it matched)"},
	{"sdk-middleware", KindSDK, "+ reads the *http.Request body (size-limited), hands it on via the context; httptest recorder"},
	{"sdk-receiver", KindSDK, "+ middleware, decodes the event, dedupes its id, routes to a handler; a new event id every delivery"},
	{"stripe-validate", KindPeer, "+ parses `t=…,v1=…`, signs `t.body`, checks a 5-minute timestamp tolerance"},
	{"stripe-construct", KindPeer, "as stripe-validate, + decodes the event twice (envelope, then data into map[string]any)"},
	{"standardwebhooks", KindPeer, "+ signs `id.t.body` (copies the body), base64, checks a 5-minute timestamp tolerance"},
	{"svix", KindPeer, "as standardwebhooks (same scheme, own code)"},
	{"goplayground-github", KindPeer, "+ reads the *http.Request body, decodes it into a GitHub ping payload; no timestamp"},
	{"bare-read", KindHarness, "verifies nothing: a handler that only reads the body (io.ReadAll), run like sdk-middleware"},
	{Harness, KindHarness, "does nothing: an empty handler run like sdk-middleware; the request harness's own cost (httptest recorder)"},
}

// Names of the two floors and of the harness-only row.
const (
	Floor   = "floor"
	Limit   = "limit"
	Harness = "harness"
)
