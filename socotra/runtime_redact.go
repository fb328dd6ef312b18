package socotra

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// String prints the settings with the secret and the header values shown as
// [Redacted] (through [Secret] and [Headers]).
func (s WebhookSettings) String() string {
	return fmt.Sprintf("{Secret:%v Tag:%s Headers:%v Failure:%v}", Secret(s.Secret), s.Tag, Headers(s.Headers), s.Failure)
}

// Format prints the settings as [WebhookSettings.String] does for every verb,
// so no %v, %+v or %#v shows the secret or a header value.
func (s WebhookSettings) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// LogValue logs the settings with the secret and the header values redacted.
func (s WebhookSettings) LogValue() slog.Value {
	return slog.GroupValue(slog.Any("secret", Secret(s.Secret)), slog.String("tag", s.Tag),
		slog.Any("headers", Headers(s.Headers)))
}

// MarshalJSON writes the settings with the secret and the header values
// redacted; registration bodies are built from the fields, not through it.
func (s WebhookSettings) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Secret  Secret           `json:"secret,omitempty"`
		Tag     string           `json:"tag,omitempty"`
		Headers Headers          `json:"headers,omitempty"`
		Failure *FailureHandling `json:"failure,omitempty"`
	}{Secret(s.Secret), s.Tag, s.Headers, s.Failure})
}

// Format prints the Runtime as socotra.Runtime{app} for every verb: its
// configuration holds secrets.
func (rt *Runtime) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "socotra.Runtime{%s}", rt.m.Name)
}

// Format prints the Lifecycle as socotra.Lifecycle{prefix} for every verb:
// its registrations hold secrets and headers.
func (l *Lifecycle) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "socotra.Lifecycle{%s}", l.prefix)
}
