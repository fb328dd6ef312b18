package webhooks

import (
	"bytes"
	"testing"
)

// FuzzParseAlert feeds ParseAlert arbitrary bodies: it never panics, never takes a delivery for an alert,
// and every alert it returns names a webhook, has a kind and keeps the body.
func FuzzParseAlert(f *testing.F) {
	for _, s := range []string{
		legacyAlert,
		`{"event":"claim.create","integrationName":"i","webhookName":"w"}`,
		`{"webhookLocator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQW","actualStatus":"timeout","eventData":` + coreBody + `}`,
		`{"webhookName":{"a":[1,2]},"url":null,"event":{"id":"x"}}`,
		coreBody, legacyBody, `{}`, `[]`, `null`, `{"webhookName":"w"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, ok := ParseAlert(body)
		if !ok {
			if a != nil {
				t.Fatal("ParseAlert returned an alert and false")
			}
			return
		}
		if a.Kind == "" || a.WebhookName == "" && a.WebhookLocator == "" || !bytes.Equal(a.Raw, body) {
			t.Fatalf("alert %+v from %q: want a kind, a webhook and the body", a, body)
		}
		if _, err := Parse(body); err == nil {
			t.Fatalf("%q is both a delivery and an alert", body)
		}
	})
}
