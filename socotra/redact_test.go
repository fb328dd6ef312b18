package socotra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestSettingsNeverPrint formats the values that hold an app's webhook secret
// and delivery headers through every path a program might print them by.
func TestSettingsNeverPrint(t *testing.T) {
	t.Parallel()
	const secret, cred = "whsec-LEAK-4242", "Bearer app-LEAK-99"
	s := WebhookSettings{Secret: secret, Tag: "v1", Headers: map[string][]string{"Authorization": {cred}}}
	opts := []LifecycleOption{WithDefaultSettings(s), WithWebhookSettings("/a", s)}
	l := mustLifecycle(t, testManifest(t, "/a", "/b"), "https://x.example", newMem(), opts...)
	rt, err := NewRuntime(testManifest(t, "/a"), nil, WithDefaultSettings(s), WithWebhookSettings("/a", s))
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{
		"WebhookSettings":   s,
		"*WebhookSettings":  &s,
		"[]WebhookSettings": []WebhookSettings{s},
		"*Lifecycle":        l,
		"Registrations":     l.Registrations(),
		"*Runtime":          rt,
		"nested":            struct{ S struct{ W WebhookSettings } }{struct{ W WebhookSettings }{s}},
	}
	paths := map[string]func(any) string{
		"%v":  func(v any) string { return fmt.Sprintf("%v", v) },
		"%+v": func(v any) string { return fmt.Sprintf("%+v", v) },
		"%#v": func(v any) string { return fmt.Sprintf("%#v", v) },
		"%s":  func(v any) string { return fmt.Sprintf("%s", v) },
		"%q":  func(v any) string { return fmt.Sprintf("%q", v) },
		"%x":  func(v any) string { return fmt.Sprintf("%x", v) },
		"slog": func(v any) string {
			var b bytes.Buffer
			slog.New(slog.NewTextHandler(&b, nil)).Info("m", "v", v)
			slog.New(slog.NewJSONHandler(&b, nil)).Info("m", "v", v)
			return b.String()
		},
		"json": func(v any) string { b, err := json.Marshal(v); return fmt.Sprint(string(b), err) },
	}
	for name, v := range values {
		for pname, p := range paths {
			t.Run(name+"/"+pname, func(t *testing.T) {
				t.Parallel()
				out := p(v)
				for _, leak := range []string{secret, cred, fmt.Sprintf("%x", secret), fmt.Sprintf("%x", cred)} {
					if strings.Contains(out, leak) {
						t.Fatalf("%s of %s shows %q:\n%s", pname, name, leak, out)
					}
				}
			})
		}
	}
	// The registrations still carry the values to the registrar.
	if r := l.Registrations()[0]; r.Secret != secret || r.Headers["Authorization"][0] != cred {
		t.Errorf("registration lost its secret or headers")
	}
}

// TestShownURLHidesCredentials checks every URL a message shows: no userinfo, query or fragment value, and
// nothing of a URL that does not parse as scheme://host but may hold one.
func TestShownURLHidesCredentials(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://hooks.example.com/h":               `"https://hooks.example.com/h"`,
		"https://bob:hunter2@hooks.example.com/h":   `"https://[REDACTED]@hooks.example.com/h"`,
		"https://tok-hunter2@hooks.example.com/h":   `"https://[REDACTED]@hooks.example.com/h"`,
		"https://hooks.example.com/h?token=hunter2": `"https://hooks.example.com/h?[REDACTED]"`,
		"https://hooks.example.com/h#hunter2":       `"https://hooks.example.com/h#[REDACTED]"`,
		"admin:hunter2@hooks.example.com":           "(not shown: it may hold a credential)",
		"https://bob:hunter2@x.example:port":        "(not shown: it may hold a credential)",
		"hooks.example.com/h?token=hunter2":         "(not shown: it may hold a credential)",
		"ftp//hooks.example.com":                    `"ftp//hooks.example.com"`,
		"https://hooks.example.com/%zz":             `"https://hooks.example.com/%zz"`,
	} {
		got := shownURL(raw)
		if got != want {
			t.Errorf("shownURL(%q) = %s, want %s", raw, got, want)
		}
		if strings.Contains(got, "hunter2") {
			t.Errorf("shownURL(%q) shows the credential: %s", raw, got)
		}
	}
	for _, raw := range []string{"admin:hunter2@hooks.example.com", "https://h.example/x?key=hunter2"} {
		_, err := baseURL(raw)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("baseURL(%q) = %v, want an error without the credential", raw, err)
		}
		if _, err := checkBaseURL(raw); err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("checkBaseURL(%q) = %v, want an error without the credential", raw, err)
		}
	}
}
