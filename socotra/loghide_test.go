package socotra

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestLogValuesHideSecrets logs every value that carries a credential through both standard handlers:
// the JSON handler marshals a struct's fields unless the type has a LogValue method.
func TestLogValuesHideSecrets(t *testing.T) {
	t.Parallel()
	const secret = "whsec-SENSITIVE-5678"
	for name, v := range map[string]any{
		"Endpoint":          Endpoint{URL: "https://x", Secret: secret},
		"Webhook":           Webhook{Name: "w", Endpoint: Endpoint{URL: "https://x", Secret: secret}},
		"SecuritySpec":      SecuritySpec{Secret: secret},
		"Integration":       Integration{Name: "i", Security: &SecuritySpec{Secret: secret}},
		"Registration":      Registration{Name: "r", Secret: secret},
		"LegacyCredentials": LegacyCredentials{Username: "u", Password: secret, AdminPassword: secret, Token: secret},
		"InstallationState": InstallationState{SocotraAPIURL: "https://x", Token: secret},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			slog.New(slog.NewJSONHandler(&b, nil)).Info("value", "v", v)
			slog.New(slog.NewTextHandler(&b, nil)).Info("value", "v", v)
			if strings.Contains(b.String(), secret) || !strings.Contains(b.String(), redacted) {
				t.Errorf("logged %s shows the secret or no redaction marker:\n%s", name, b.String())
			}
		})
	}
}
