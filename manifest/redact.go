package manifest

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/socotra-go/sdk/socotra"
)

// settingsView is WebhookSettings with its credentials in the socotra types
// that hide them (socotra.Secret, socotra.Headers); every formatting method
// of WebhookSettings prints this view.
type settingsView struct {
	Secret  socotra.Secret
	Tag     string
	Headers socotra.Headers
	Failure *socotra.FailureHandling
}

func (s WebhookSettings) view() settingsView {
	return settingsView{Secret: socotra.Secret(s.Secret), Tag: s.Tag, Headers: s.Headers, Failure: s.Failure}
}

// String prints the settings with Secret and the header values replaced by
// [socotra.Redacted].
func (s WebhookSettings) String() string { return fmt.Sprintf("%+v", s.view()) }

// GoString prints the settings as Go syntax with Secret and the header
// values replaced by [socotra.Redacted].
func (s WebhookSettings) GoString() string {
	return strings.Replace(fmt.Sprintf("%#v", s.view()), "manifest.settingsView", "manifest.WebhookSettings", 1)
}

// Format writes the settings with their credentials hidden, whatever the verb.
func (s WebhookSettings) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, s.GoString())
		return
	}
	io.WriteString(f, s.String())
}

// LogValue logs the settings with their credentials hidden.
func (s WebhookSettings) LogValue() slog.Value {
	return slog.GroupValue(slog.String("secret", socotra.Secret(s.Secret).String()), slog.String("tag", s.Tag),
		slog.Any("headers", socotra.Headers(s.Headers)))
}

// MarshalJSON writes the settings with Secret and the header values replaced
// by [socotra.Redacted].
func (s WebhookSettings) MarshalJSON() ([]byte, error) { return json.Marshal(s.view()) }

// String describes the lifecycle by its prefix and the number of
// registrations; secrets and headers are never printed.
func (l *Lifecycle) String() string {
	if l == nil {
		return "<nil>"
	}
	return fmt.Sprintf("manifest.Lifecycle{Prefix:%q Registrations:%d}", l.prefix, len(l.regs))
}

// Format writes [Lifecycle.String] whatever the verb, so that no %+v or %#v
// reaches the registrations' secrets.
func (l *Lifecycle) Format(f fmt.State, _ rune) { io.WriteString(f, l.String()) }

// LogValue logs the lifecycle's prefix and registration names.
func (l *Lifecycle) LogValue() slog.Value {
	if l == nil {
		return slog.StringValue("<nil>")
	}
	names := make([]string, len(l.regs))
	for i, r := range l.regs {
		names[i] = r.Name
	}
	return slog.GroupValue(slog.String("prefix", l.prefix), slog.Any("registrations", names))
}

// Format writes a summary of the runtime whatever the verb, so that no %+v
// or %#v reaches the configured secrets.
func (r *Runtime) Format(f fmt.State, _ rune) {
	if r == nil {
		io.WriteString(f, "<nil>")
		return
	}
	name := ""
	if r.m != nil {
		name = r.m.Name
	}
	fmt.Fprintf(f, "manifest.Runtime{App:%q}", name)
}
