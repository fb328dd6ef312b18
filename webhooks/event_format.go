package webhooks

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/socotra-go/sdk/events"
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
	writeHeaderNames(&b, e.Header, " ", "")
	b.WriteByte('}')
	return b.String()
}

// GoString is [Event.String] in Go syntax, header values hidden.
func (e Event) GoString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "webhooks.Event{ID:%q, Type:%q, Platform:%q, Time:%q, RequestID:%q, User:%q, Data:<%d bytes>, Raw:<%d bytes>, Header:",
		e.ID, e.Type, e.Platform, e.Time.Format(time.RFC3339Nano), e.RequestID, e.User, len(e.Data), len(e.Raw))
	writeHeaderNames(&b, e.Header, ", ", `"`)
	b.WriteByte('}')
	return b.String()
}

// writeHeaderNames writes h's names with every value replaced by redacted.
func writeHeaderNames(b *strings.Builder, h http.Header, sep, quote string) {
	b.WriteString("map[")
	for i, k := range slices.Sorted(maps.Keys(h)) {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(quote + k + quote + ":[")
		for j := range h[k] {
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
	return slog.GroupValue(withHeaderNames(attrs, e.Header)...)
}

// withHeaderNames appends a "header" group of h's names, every value replaced by redacted.
func withHeaderNames(attrs []slog.Attr, h http.Header) []slog.Attr {
	if len(h) == 0 {
		return attrs
	}
	hs := make([]slog.Attr, 0, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		hs = append(hs, slog.Any(k, slices.Repeat([]string{redacted}, len(h[k]))))
	}
	return append(attrs, slog.Attr{Key: "header", Value: slog.GroupValue(hs...)})
}

// String describes a for people: its kind, webhook, event type and statuses, the URL without user
// information, query or fragment, the sizes of EventData and Raw, and the names of its headers with every
// value shown as [REDACTED], as for [Event.String].
func (a Alert) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{Kind:%s WebhookName:%s WebhookLocator:%s URL:%s ExpectedStatus:%s ActualStatus:%s IntegrationName:%s EventType:%s EventData:<%d bytes> Raw:<%d bytes> Header:",
		a.Kind, a.WebhookName, a.WebhookLocator, safeURL(a.URL), a.ExpectedStatus, a.ActualStatus, a.IntegrationName, a.EventType, len(a.EventData), len(a.Raw))
	writeHeaderNames(&b, a.Header, " ", "")
	b.WriteByte('}')
	return b.String()
}

// GoString is [Alert.String] in Go syntax.
func (a Alert) GoString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "webhooks.Alert{Kind:%q, WebhookName:%q, WebhookLocator:%q, URL:%q, ExpectedStatus:%q, ActualStatus:%q, IntegrationName:%q, EventType:%q, EventData:<%d bytes>, Raw:<%d bytes>, Header:",
		a.Kind, a.WebhookName, a.WebhookLocator, safeURL(a.URL), a.ExpectedStatus, a.ActualStatus, a.IntegrationName, a.EventType, len(a.EventData), len(a.Raw))
	writeHeaderNames(&b, a.Header, ", ", `"`)
	b.WriteByte('}')
	return b.String()
}

// Format writes [Alert.String] whatever the verb (and [Alert.GoString] for %#v).
func (a Alert) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, a.GoString())
		return
	}
	io.WriteString(f, a.String())
}

// LogValue logs what [Alert.String] shows, without the sizes.
func (a Alert) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("kind", string(a.Kind)),
		slog.String("webhook_name", a.WebhookName),
		slog.String("webhook_locator", a.WebhookLocator),
		slog.String("url", safeURL(a.URL)),
		slog.String("expected_status", a.ExpectedStatus),
		slog.String("actual_status", a.ActualStatus),
		slog.String("integration_name", a.IntegrationName),
		slog.String("event_type", string(a.EventType)),
	}
	return slog.GroupValue(withHeaderNames(attrs, a.Header)...)
}

// MarshalJSON writes what [Alert.String] shows: URL without user information, query or fragment, and the
// header names with every value [REDACTED]; EventData and Event are kept, and Raw, which holds the URL as
// sent, is left out.
func (a Alert) MarshalJSON() ([]byte, error) {
	var header map[string][]string
	if len(a.Header) > 0 {
		header = make(map[string][]string, len(a.Header))
		for k, v := range a.Header {
			header[k] = slices.Repeat([]string{redacted}, len(v))
		}
	}
	return json.Marshal(struct {
		Kind                         AlertKind
		WebhookName, WebhookLocator  string
		URL                          string
		ExpectedStatus, ActualStatus string
		IntegrationName              string
		EventType                    events.Name
		EventData                    json.RawMessage `json:",omitempty"`
		Event                        *Event          `json:",omitempty"`
		Header                       map[string][]string
	}{a.Kind, a.WebhookName, a.WebhookLocator, safeURL(a.URL), a.ExpectedStatus, a.ActualStatus, a.IntegrationName,
		a.EventType, a.EventData, a.Event, header})
}
