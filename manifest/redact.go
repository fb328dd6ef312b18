package manifest

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/socotra-go/sdk/socotra"
)

// String prints the settings with Secret shown as socotra.Redacted.
func (s WebhookSettings) String() string {
	var headers []string
	for k := range s.Headers {
		headers = append(headers, k)
	}
	return fmt.Sprintf("{Secret:%v Tag:%s Headers:%v Failure:%v}", socotra.Secret(s.Secret), s.Tag, headers, s.Failure)
}

// Format prints the settings as [WebhookSettings.String] does for every verb,
// so no %v, %+v or %#v shows the secret or a header value.
func (s WebhookSettings) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// LogValue logs the settings with the secret redacted and header names only.
func (s WebhookSettings) LogValue() slog.Value {
	var headers []string
	for k := range s.Headers {
		headers = append(headers, k)
	}
	return slog.GroupValue(slog.Any("secret", socotra.Secret(s.Secret)), slog.String("tag", s.Tag),
		slog.String("headers", strings.Join(headers, ",")))
}

// MarshalJSON writes the settings with the secret redacted and header names
// only; registration bodies are built from the fields, not through it.
func (s WebhookSettings) MarshalJSON() ([]byte, error) {
	var headers []string
	for k := range s.Headers {
		headers = append(headers, k)
	}
	return json.Marshal(struct {
		Secret  socotra.Secret           `json:"secret,omitempty"`
		Tag     string                   `json:"tag,omitempty"`
		Headers []string                 `json:"headers,omitempty"`
		Failure *socotra.FailureHandling `json:"failure,omitempty"`
	}{socotra.Secret(s.Secret), s.Tag, headers, s.Failure})
}

// Format prints the Runtime as manifest.Runtime{app} for every verb: its
// configuration holds secrets.
func (rt *Runtime) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "manifest.Runtime{%s}", rt.m.Name)
}

// Format prints the Lifecycle as manifest.Lifecycle{prefix} for every verb:
// its registrations hold secrets and headers.
func (l *Lifecycle) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "manifest.Lifecycle{%s}", l.prefix)
}
