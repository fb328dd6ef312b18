package webhooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// Regression: Event.Header holds the headers set at registration, which may be the app's credentials, and
// every fmt verb and slog handler printed their values.
func TestEventHidesHeaderValues(t *testing.T) {
	t.Parallel()
	const credential = "Bearer s3cr3t-app-credential"
	ev := mustParse(t, coreBody)
	ev.Header = http.Header{"Authorization": {credential}, "X-Route-Key": {"k1", "k2"}}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("got", "event", ev)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("got", "event", *ev)
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", ev), "%+v": fmt.Sprintf("%+v", ev), "%#v": fmt.Sprintf("%#v", ev),
		"%s": fmt.Sprintf("%s", ev), "%q": fmt.Sprintf("%q", ev), "%x": fmt.Sprintf("%x", ev),
		"%d": fmt.Sprintf("%d", ev), "value %v": fmt.Sprintf("%v", *ev), "Println": fmt.Sprintln(ev),
		"slog text": text.String(), "slog json": js.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, "s3cr3t") || strings.Contains(out, "k1") {
			t.Errorf("%s prints a header value: %s", name, out)
		}
		if !strings.Contains(out, "Authorization") || !strings.Contains(out, ev.ID) || !strings.Contains(out, redacted) {
			t.Errorf("%s does not name the id, the header and %s: %s", name, redacted, out)
		}
	}
	if got := ev.Header.Get("Authorization"); got != credential {
		t.Errorf("the header itself reads %q, want the value as received", got)
	}
}

// An Alert carries the alert request's headers and the URL of the failed delivery, whose user information
// or query may be credentials: no fmt verb or slog handler prints them.
func TestAlertHidesCredentials(t *testing.T) {
	t.Parallel()
	a, ok := ParseAlert([]byte(`{"actualStatus":"500","expectedStatus":"2xx","webhookName":"claims",` +
		`"url":"https://user:pa55word@app.example/socotra?token=t0ken","eventData":` + legacyBody + `}`))
	if !ok {
		t.Fatal("not an alert")
	}
	a.Header = http.Header{"Authorization": {"Bearer s3cr3t"}}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("got", "alert", a)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("got", "alert", *a)
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", a), "%+v": fmt.Sprintf("%+v", a), "%#v": fmt.Sprintf("%#v", a),
		"%s": fmt.Sprintf("%s", a), "%d": fmt.Sprintf("%d", a), "value %v": fmt.Sprintf("%v", *a),
		"slog text": text.String(), "slog json": js.String(),
	}
	for name, v := range map[string]any{"json.Marshal": a, "json.Marshal of a value": *a} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs[name] = string(b)
	}
	for name, out := range outputs {
		for _, secret := range []string{"s3cr3t", "pa55word", "t0ken"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s prints %q: %s", name, secret, out)
			}
		}
		if !strings.Contains(out, "Authorization") || !strings.Contains(out, "app.example/socotra") || !strings.Contains(out, "claims") {
			t.Errorf("%s does not name the header, the URL's host and path and the webhook: %s", name, out)
		}
	}
}
