package socotra

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Redacted is what every formatting path prints instead of a [Secret] or a
// header value.
const Redacted = "[REDACTED]"

// redacted is the marker used throughout the package.
const redacted = Redacted

// Secret is a credential: a webhook signing secret, a password, a token. It
// is a string underneath, so a literal such as "s3cret" can be assigned to
// it, and string(s) or [Secret.Reveal] gives the value back; but it never
// prints itself: String, GoString, Format (every fmt verb), LogValue,
// MarshalJSON and MarshalText all write [Redacted] (or nothing for the empty
// secret), so no %v, %#v, slog handler, json.Marshal or error text shows it,
// however deeply it is nested. Only the code that builds a request body reads
// the value.
type Secret string

// Reveal returns the secret's value. Call it only to hand the value to the
// code that needs it (a request body, an HMAC key), never to print it.
func (s Secret) Reveal() string { return string(s) }

// String returns [Redacted], or "" for the empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the secret as Go syntax, with its value replaced by
// [Redacted]: socotra.Secret("[REDACTED]").
func (s Secret) GoString() string { return "socotra.Secret(" + strconv.Quote(s.String()) + ")" }

// Format writes [Redacted] whatever the verb and flags: %q quotes it, %#v
// writes [Secret.GoString], every other verb writes [Secret.String].
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, s.GoString())
	case verb == 'q':
		io.WriteString(f, strconv.Quote(s.String()))
	default:
		io.WriteString(f, s.String())
	}
}

// LogValue logs [Redacted], or "" for the empty secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes the JSON string "[REDACTED]", or "" for the empty
// secret. Request bodies are built from the value, not through this method.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText writes [Redacted], or nothing for the empty secret, so that
// text encoders (XML, YAML, slog) do not show the value either.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Headers are HTTP headers added to every delivery of a webhook; their
// values may hold the app's own credentials (an Authorization or API key the
// receiver checks). A map[string][]string literal or variable can be assigned
// to it. Printed, logged or marshalled, it shows the header names and hides
// every value as [Redacted]; index it to read a value.
type Headers map[string][]string

// String prints the header names in order with their values hidden, such as
// map[Authorization:[[REDACTED]] X-App:[[REDACTED]]].
func (h Headers) String() string {
	if h == nil {
		return "map[]"
	}
	var b strings.Builder
	b.WriteString("map[")
	for i, k := range slices.Sorted(maps.Keys(h)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k + ":" + fmt.Sprint(hiddenValues(len(h[k]))))
	}
	b.WriteByte(']')
	return b.String()
}

// GoString prints the headers as Go syntax with their values hidden.
func (h Headers) GoString() string { return hiddenGo("socotra.Headers", h, hideAll) }

// Format writes the headers with their values hidden, whatever the verb.
func (h Headers) Format(f fmt.State, verb rune) {
	formatHidden(f, verb, h)
}

// LogValue logs one attribute per header name, each with its values hidden.
func (h Headers) LogValue() slog.Value { return hiddenLog(h, hideAll) }

// MarshalJSON writes the header names with every value replaced by
// [Redacted]. Request bodies are built from the map, not through this method.
func (h Headers) MarshalJSON() ([]byte, error) { return hiddenJSON(h, hideAll) }

// IntegrationHeaders are the headers of a Legacy integration, one value per
// name; like [Headers] they print, log and marshal with every value hidden.
type IntegrationHeaders map[string]string

// String prints the header names in order with their values hidden.
func (h IntegrationHeaders) String() string { return h.multi().String() }

// GoString prints the headers as Go syntax with their values hidden.
func (h IntegrationHeaders) GoString() string {
	return hiddenGo("socotra.IntegrationHeaders", h, hideOne)
}

// Format writes the headers with their values hidden, whatever the verb.
func (h IntegrationHeaders) Format(f fmt.State, verb rune) {
	formatHidden(f, verb, h)
}

// LogValue logs one attribute per header name, each with its value hidden.
func (h IntegrationHeaders) LogValue() slog.Value { return hiddenLog(h, hideOne) }

// MarshalJSON writes the header names with every value replaced by [Redacted].
func (h IntegrationHeaders) MarshalJSON() ([]byte, error) { return hiddenJSON(h, hideOne) }

func (h IntegrationHeaders) multi() Headers {
	if h == nil {
		return nil
	}
	m := make(Headers, len(h))
	for k := range h {
		m[k] = []string{""}
	}
	return m
}

// hideAll and hideOne replace a header's values by [Redacted].
func hideAll(v []string) any { return hiddenValues(len(v)) }
func hideOne(string) any     { return redacted }

// hiddenGo writes m as Go syntax of type typ, each value replaced by hide's.
func hiddenGo[V any](typ string, m map[string]V, hide func(V) any) string {
	if m == nil {
		return typ + "(nil)"
	}
	var b strings.Builder
	b.WriteString(typ + "{")
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q:%#v", k, hide(m[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// hiddenLog logs one attribute per key of m, with hide's value.
func hiddenLog[V any](m map[string]V, hide func(V) any) slog.Value {
	attrs := make([]slog.Attr, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		attrs = append(attrs, slog.Any(k, hide(m[k])))
	}
	return slog.GroupValue(attrs...)
}

// hiddenJSON marshals m with every value replaced by hide's.
func hiddenJSON[V any](m map[string]V, hide func(V) any) ([]byte, error) {
	if m == nil {
		return []byte("null"), nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = hide(v)
	}
	return json.Marshal(out)
}

func hiddenValues(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = redacted
	}
	return out
}

// formatHidden is the Format method of the types that print themselves with
// their secrets hidden: v's GoString for %#v, its String for every other verb.
func formatHidden(f fmt.State, verb rune, v interface {
	String() string
	GoString() string
}) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, v.GoString())
		return
	}
	io.WriteString(f, v.String())
}
