package socotra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/events"
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

// TestURLErrorsHideCredentials checks that the public and base URL errors do not quote a credential.
func TestURLErrorsHideCredentials(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"admin:hunter2@hooks.example.com", "https://h.example/x?key=hunter2"} {
		_, err := baseURL(raw)
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("baseURL(%q) = %v, want an error without the credential", raw, err)
		}
		if _, err := checkBaseURL(raw); err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("checkBaseURL(%q) = %v, want an error without the credential", raw, err)
		}
	}
	r := Registration{Name: "a", URL: "https://b:hunter2@h.example/x?t=hunter2#hunter2", Events: []events.Name{"policy.issue"}}
	e := Endpoint{URL: r.URL}
	for _, s := range []string{r.String(), fmt.Sprintf("%v %+v %#v %s", r, r, r, r), e.String(), fmt.Sprint(e)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("a printed registration or endpoint shows the URL's credential: %s", s)
		}
	}
	if b, _ := json.Marshal(r); strings.Contains(string(b), "hunter2") {
		t.Errorf("json.Marshal(Registration) shows the URL's credential: %s", b)
	}
	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("x", "r", r, "e", e)
	if strings.Contains(log.String(), "hunter2") {
		t.Errorf("a logged registration or endpoint shows the URL's credential: %s", log.String())
	}
}
