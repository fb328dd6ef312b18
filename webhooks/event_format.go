package webhooks

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// redacted stands for every header value when an Event is printed or logged.
const redacted = "[REDACTED]"

// String describes e for people: its id, type, platform, time, request id and user, the sizes of Data and
// Raw, and the names of its headers with every value shown as [REDACTED]. Header values are hidden because
// the headers set when a webhook is registered may hold the app's own credentials (socotra.Headers hides
// them the same way); read them from e.Header.
func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{ID:%s Type:%s Platform:%s Time:%s RequestID:%s User:%s Data:<%d bytes> Raw:<%d bytes> Header:",
		e.ID, e.Type, e.Platform, e.Time.Format(time.RFC3339Nano), e.RequestID, e.User, len(e.Data), len(e.Raw))
	e.writeHeaderNames(&b, " ", "")
	b.WriteByte('}')
	return b.String()
}

// GoString is [Event.String] in Go syntax, header values hidden.
func (e Event) GoString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "webhooks.Event{ID:%q, Type:%q, Platform:%q, Time:%q, RequestID:%q, User:%q, Data:<%d bytes>, Raw:<%d bytes>, Header:",
		e.ID, e.Type, e.Platform, e.Time.Format(time.RFC3339Nano), e.RequestID, e.User, len(e.Data), len(e.Raw))
	e.writeHeaderNames(&b, ", ", `"`)
	b.WriteByte('}')
	return b.String()
}

func (e Event) writeHeaderNames(b *strings.Builder, sep, quote string) {
	b.WriteString("map[")
	for i, k := range slices.Sorted(maps.Keys(e.Header)) {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(quote + k + quote + ":[")
		for j := range e.Header[k] {
			if j > 0 {
				b.WriteString(sep)
			}
			b.WriteString(quote + redacted + quote)
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
}

// Format writes [Event.String] whatever the verb (and [Event.GoString] for %#v), so that no verb prints a
// header value.
func (e Event) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, e.GoString())
		return
	}
	io.WriteString(f, e.String())
}

// LogValue logs e's id, type, platform, time, request id and user, and its header names with every value
// [REDACTED] (see [Event.String]); Data and Raw are left out.
func (e Event) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("id", e.ID),
		slog.String("type", string(e.Type)),
		slog.String("platform", e.Platform.String()),
		slog.Time("time", e.Time),
	}
	if e.RequestID != "" {
		attrs = append(attrs, slog.String("request_id", e.RequestID))
	}
	if e.User != "" {
		attrs = append(attrs, slog.String("user", e.User))
	}
	if len(e.Header) > 0 {
		hs := make([]slog.Attr, 0, len(e.Header))
		for _, k := range slices.Sorted(maps.Keys(e.Header)) {
			hs = append(hs, slog.Any(k, slices.Repeat([]string{redacted}, len(e.Header[k]))))
		}
		attrs = append(attrs, slog.Attr{Key: "header", Value: slog.GroupValue(hs...)})
	}
	return slog.GroupValue(attrs...)
}
