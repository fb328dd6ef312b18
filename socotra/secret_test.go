package socotra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/events"
)

const (
	leakSecret = "whsec-LEAK-1234"    // a signing secret
	leakHeader = "Bearer app-LEAK-77" // the app's own credential, in a delivery header
	leakPass   = "pw-LEAK-5678"
	leakToken  = "tok-LEAK-9012"
)

var leaks = []string{leakSecret, leakHeader, leakPass, leakToken}

// TestSecretsNeverPrint formats every value that carries a credential through
// every path a program might print it by: each fmt verb, both slog handlers,
// json.Marshal and an error's text. Nested values, slices and pointers are
// included, since fmt and encoding/json reach them through reflection.
func TestSecretsNeverPrint(t *testing.T) {
	t.Parallel()
	hdr := Headers{"Authorization": {leakHeader}}
	ep := Endpoint{URL: "https://x.example", Headers: hdr, HMAC: true, Secret: leakSecret, Tag: "v1"}
	hook := Webhook{Locator: "01HZX3K7Q8R9S0T1V2W3X4Y5Z6", Name: "w", Events: []events.Name{events.PolicyChangeCreate},
		Endpoint: ep, Failure: &FailureHandling{AlertEndpoint: &ep}}
	reg := Registration{Name: "r", URL: "https://x.example", Secret: leakSecret, Headers: hdr}
	core, err := NewCoreClient("https://x.example", testTenant, leakToken)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := NewLegacyClient("https://x.example", LegacyCredentials{Username: "u", Password: leakPass, HostName: "h",
		AdminUsername: "a", AdminPassword: leakPass, Token: leakToken})
	if err != nil {
		t.Fatal(err)
	}
	type nested struct {
		Hooks []Webhook
		Regs  []Registration
		Inner struct{ Reg *Registration }
	}
	values := map[string]any{
		"Secret":              Secret(leakSecret),
		"*Secret":             ptr(Secret(leakSecret)),
		"Headers":             hdr,
		"IntegrationHeaders":  IntegrationHeaders{"X-Api-Key": leakHeader},
		"Endpoint":            ep,
		"Webhook":             hook,
		"[]Webhook":           []Webhook{hook, hook},
		"Registration":        reg,
		"[]Registration":      []Registration{reg},
		"nested":              nested{Hooks: []Webhook{hook}, Regs: []Registration{reg}, Inner: struct{ Reg *Registration }{&reg}},
		"SecuritySpec":        SecuritySpec{HMAC: true, Secret: leakSecret},
		"Integration":         Integration{Name: "i", Headers: IntegrationHeaders{"Authorization": leakHeader}, Security: &SecuritySpec{Secret: leakSecret}},
		"[]Integration":       []Integration{{Name: "i", Headers: IntegrationHeaders{"Authorization": leakHeader}, Security: &SecuritySpec{Secret: leakSecret}}},
		"WebhookUpdate":       WebhookUpdate{Endpoint: &EndpointUpdate{AddHeaders: hdr, Secret: ptr(Secret(leakSecret))}},
		"Rotation":            Rotation{Name: "r", Secret: leakSecret, Tag: "v2"},
		"LegacyCredentials":   LegacyCredentials{Username: "u", Password: leakPass, AdminPassword: leakPass, Token: leakToken},
		"[]LegacyCredentials": []LegacyCredentials{{Password: leakPass, Token: leakToken}},
		"InstallationState":   InstallationState{SocotraAPIURL: "https://x.example", Token: leakToken},
		"*CoreClient":         core,
		"CoreClient":          *core,
		"*LegacyClient":       legacy,
		"LegacyClient":        *legacy,
	}
	type path struct {
		name string
		out  func(v any) string
	}
	paths := []path{
		{"%v", func(v any) string { return fmt.Sprintf("%v", v) }},
		{"%+v", func(v any) string { return fmt.Sprintf("%+v", v) }},
		{"%#v", func(v any) string { return fmt.Sprintf("%#v", v) }},
		{"%s", func(v any) string { return fmt.Sprintf("%s", v) }},
		{"%q", func(v any) string { return fmt.Sprintf("%q", v) }},
		{"%x", func(v any) string { return fmt.Sprintf("%x", v) }},
		{"%d", func(v any) string { return fmt.Sprintf("%d", v) }},
		{"Sprint", func(v any) string { return fmt.Sprint(v) }},
		{"error", func(v any) string { return fmt.Errorf("wrapped: %v: %w", v, errors.New("x")).Error() }},
		{"slog text", func(v any) string {
			var b bytes.Buffer
			slog.New(slog.NewTextHandler(&b, nil)).Info("m", "v", v, slog.Group("g", "v", v))
			return b.String()
		}},
		{"slog JSON", func(v any) string {
			var b bytes.Buffer
			slog.New(slog.NewJSONHandler(&b, nil)).Info("m", "v", v, slog.Group("g", "v", v))
			return b.String()
		}},
		{"json.Marshal", func(v any) string {
			if _, ok := v.(InstallationState); ok {
				return "" // the state API's wire shape: marshalling it is serving it
			}
			b, err := json.Marshal(v)
			if err != nil {
				return err.Error()
			}
			return string(b)
		}},
	}
	for name, v := range values {
		for _, p := range paths {
			t.Run(name+"/"+p.name, func(t *testing.T) {
				t.Parallel()
				out := p.out(v)
				for _, s := range leaks {
					// %x prints hex: look for the hex of the secret too.
					if strings.Contains(out, s) || strings.Contains(out, fmt.Sprintf("%x", s)) {
						t.Fatalf("%s of %s shows %q:\n%s", p.name, name, s, out)
					}
				}
			})
		}
	}
}
