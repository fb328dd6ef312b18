package socotra

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/socotra-go/sdk/internal/safeurl"
)

// legacyCredentialsView is LegacyCredentials with its credentials in the
// self-redacting [Secret] type; LegacyCredentials prints through it.
type legacyCredentialsView struct {
	Username      string
	Password      Secret
	HostName      string
	AdminUsername string
	AdminPassword Secret
	Token         Secret
}

func (c LegacyCredentials) view() legacyCredentialsView {
	return legacyCredentialsView{Username: c.Username, Password: Secret(c.Password), HostName: c.HostName,
		AdminUsername: c.AdminUsername, AdminPassword: Secret(c.AdminPassword), Token: Secret(c.Token)}
}

// GoString prints the credentials as Go syntax with passwords and token
// replaced by [Redacted].
func (c LegacyCredentials) GoString() string {
	return strings.Replace(fmt.Sprintf("%#v", c.view()), "socotra.legacyCredentialsView", "socotra.LegacyCredentials", 1)
}

// Format writes the credentials with passwords and token hidden, whatever
// the verb.
func (c LegacyCredentials) Format(f fmt.State, verb rune) {
	formatHidden(f, verb, c)
}

// MarshalJSON writes the credentials with passwords and token replaced by
// [Redacted].
func (c LegacyCredentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.view()) }

// GoString prints the state as Go syntax with its token replaced by
// [Redacted] (settings and mappings left out).
func (s InstallationState) GoString() string {
	return fmt.Sprintf("socotra.InstallationState{SocotraAPIURL:%q, TenantHostName:%q, TenantLocator:%q, Token:%q}",
		s.SocotraAPIURL, s.TenantHostName, s.TenantLocator, hide(s.Token))
}

// Format writes the state with its token hidden, whatever the verb. (It is
// the state API's wire shape, so json.Marshal still writes the token.)
func (s InstallationState) Format(f fmt.State, verb rune) {
	formatHidden(f, verb, s)
}

// String describes the client by its tenant; the token never prints.
func (c CoreClient) String() string {
	return fmt.Sprintf("socotra.CoreClient{Tenant:%q}", c.tenant)
}

// Format writes [CoreClient.String] whatever the verb, so that no %+v or
// %#v reaches the token.
func (c CoreClient) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// LogValue logs the client's tenant; the token never appears.
func (c CoreClient) LogValue() slog.Value {
	return slog.GroupValue(slog.String("tenant", c.tenant))
}

// String describes the client by its user and host; passwords and tokens
// never print.
func (c LegacyClient) String() string {
	if c.creds == nil {
		return "<nil>"
	}
	return fmt.Sprintf("socotra.LegacyClient{Username:%q HostName:%q}", c.creds.Username, c.creds.HostName)
}

// Format writes [LegacyClient.String] whatever the verb, so that no %+v or
// %#v reaches the credentials.
func (c LegacyClient) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// LogValue logs the client's user and host; passwords and tokens never
// appear.
func (c LegacyClient) LogValue() slog.Value {
	if c.creds == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(slog.String("username", c.creds.Username), slog.String("hostName", c.creds.HostName))
}

// endpointUpdate has EndpointUpdate's fields without its methods, so that
// EndpointUpdate can print itself through it.
type endpointUpdate EndpointUpdate

// String prints the update with its secret and header values hidden.
func (e EndpointUpdate) String() string { return fmt.Sprintf("%+v", endpointUpdate(e)) }

// Format writes the update with its secret and header values hidden,
// whatever the verb.
func (e EndpointUpdate) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, strings.Replace(fmt.Sprintf("%#v", endpointUpdate(e)), "socotra.endpointUpdate", "socotra.EndpointUpdate", 1))
		return
	}
	io.WriteString(f, e.String())
}

// String describes the Marketplace by its state API; its cache, keyed by
// installation keys, never prints.
func (m *Marketplace) String() string {
	return fmt.Sprintf("socotra.Marketplace{StateAPI:%s}", shownURL(m.base))
}

// Format writes [Marketplace.String] whatever the verb, so that no %+v or
// %#v reaches an installation key or token.
func (m *Marketplace) Format(f fmt.State, _ rune) { io.WriteString(f, m.String()) }

// LogValue logs the Marketplace's state API; installation keys never appear.
func (m *Marketplace) LogValue() slog.Value {
	return slog.GroupValue(slog.String("state_api", safeurl.String(m.base)))
}
