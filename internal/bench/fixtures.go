package bench

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// Size is one body size the benchmarks run at.
type Size struct {
	Name  string // as it appears in benchmark names, e.g. "2KiB"
	Bytes int
}

// Sizes are the delivery body sizes every benchmark runs at, smallest first.
var Sizes = []Size{
	{"512B", 512},
	{"2KiB", 2 << 10},
	{"16KiB", 16 << 10},
	{"256KiB", 256 << 10},
	{"1MiB", 1 << 20},
}

// Secret is the webhook secret every fixture is signed with.
var Secret = []byte("whsec-bench-0123456789abcdef0123456789abcdef")

// EventType is the Core event type of every fixture delivery.
const EventType = "billing.invoice.generate"

// epoch is the fixed time carried by fixtures, so bodies are reproducible.
var epoch = time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)

// LocatorOffset is where the event locator starts in a body built by [CoreEvent].
const LocatorOffset = len(`{"locator":"`)

// Locator returns the n-th fixture event locator: a valid ULID, distinct for every n.
func Locator(n uint64) string {
	var id ulid.ULID
	if err := id.SetTime(ulid.Timestamp(epoch)); err != nil {
		panic(err) // epoch is a constant within range
	}
	binary.BigEndian.PutUint64(id[8:], n)
	return id.String()
}

// CoreEvent returns a Core event delivery (the event stream's EventResponse shape) of exactly size bytes, with
// the given 26-character locator at [LocatorOffset]. Past the fields Socotra sends, data carries
// charge-like records and then a filler string, as a custom plugin event might, to reach the size. It panics
// when size is too small to hold the event (under 512 bytes is not needed here).
func CoreEvent(size int, locator string) []byte {
	if len(locator) != ulid.EncodedSize {
		panic(fmt.Sprintf("bench: locator %q is not a 26-character ULID", locator))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{"locator":"%s","requestId":"6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f",`, locator)
	fmt.Fprintf(&b, `"userLocator":"0d9e8f7a-6b5c-4d3e-9f1a-2b3c4d5e6f70","timestamp":%q,"type":%q,"data":{`,
		epoch.Format(time.RFC3339), EventType)
	invoiceData(&b)
	return pad(b.String(), `],"memo":"`, `"}}`, size)
}

// StripeEvent returns a body of exactly size bytes shaped as a Stripe event (what stripe-go's ConstructEvent
// accepts: object "event" and a compatible api_version) around the same data as [CoreEvent].
func StripeEvent(size int, apiVersion string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"id":"evt_1SbenchAbCdEfGhIjKlMnOp","object":"event","api_version":%q,"created":%d,`,
		apiVersion, epoch.Unix())
	fmt.Fprintf(&b, `"livemode":false,"pending_webhooks":1,"type":"invoice.created","data":{"object":{`)
	invoiceData(&b)
	return pad(b.String(), `],"memo":"`, `"}}}`, size)
}

// invoiceData writes the data fields Core sends with billing.invoice.generate, and opens the charges list.
func invoiceData(b *strings.Builder) {
	fmt.Fprintf(b, `"accountLocator":%q,"generateTime":%q,"invoiceLocator":%q,"invoiceType":"normal",`,
		Locator(1<<40), epoch.Format(time.RFC3339), Locator(1<<41))
	fmt.Fprintf(b, `"policyLocators":{"listCompleted":true,"items":[%q]},"charges":[`, Locator(1<<42))
}

// pad completes head with charge records, then mid, a filler and tail, to exactly size bytes.
func pad(head, mid, tail string, size int) []byte {
	out := make([]byte, 0, size)
	out = append(out, head...)
	fixed := len(mid) + len(tail)
	for i := 0; ; i++ {
		c := charge(i)
		if len(out)+len(c)+fixed > size {
			break
		}
		out = append(out, c...)
	}
	if len(out)+fixed > size {
		panic(fmt.Sprintf("bench: %d bytes cannot hold an event (need %d)", size, len(out)+fixed))
	}
	out = append(out, mid...)
	for len(out) < size-len(tail) {
		out = append(out, "abcdefghijklmnopqrstuvwxyz"[len(out)%26])
	}
	return append(out, tail...)
}

// charge returns the i-th charge record, with a leading comma after the first.
func charge(i int) string {
	sep := ","
	if i == 0 {
		sep = ""
	}
	cents := 1000 + i*37%90000
	return sep + `{"locator":"` + Locator(uint64(i)+1<<44) + `","type":"premium","amount":"` +
		strconv.Itoa(cents/100) + "." + fmt.Sprintf("%02d", cents%100) + `"}`
}

// SignHex returns the lowercase hex HMAC-SHA256 of body under secret: the Socotra-Signature value, computed
// independently of the SDK so the fixtures also check the SDK's own signing.
func SignHex(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
