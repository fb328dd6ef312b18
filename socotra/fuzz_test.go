package socotra

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzWebhookPage feeds arbitrary bodies to the webhook list parser: it
// must never panic, and it either fails with an APIError or returns webhooks
// that all have a locator.
func FuzzWebhookPage(f *testing.F) {
	f.Add(`{"listCompleted":true,"items":[{"locator":"A","name":"n","endpoint":{"url":"u","headers":{"H":["1"]}}}]}`)
	f.Add(`[{"locator":"A"},{"locator":"B","failureHandling":{"retryStrategy":{"attempts":3}}}]`)
	f.Add(`{"items":null}`)
	f.Add(`[{"name":"no locator"}]`)
	f.Add(`{"listCompleted":"yes"}`)
	f.Fuzz(func(t *testing.T, body string) {
		resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)),
			Request: httptest.NewRequest("GET", "/event/t/webhooks/list", nil)}
		page, _, err := parseWebhookPage(resp, 10, nil)
		if err != nil {
			var ae *APIError
			if !errors.As(err, &ae) || !errors.Is(err, ErrUnexpectedResponse) {
				t.Fatalf("error %v is not an unexpected-response APIError", err)
			}
			return
		}
		for _, w := range page {
			if w.Locator == "" {
				t.Fatalf("webhook without locator in %q", body)
			}
		}
	})
}
