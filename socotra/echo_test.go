package socotra

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/events"
)

// TestAPIErrorScrubsEchoes has the server echo what the client sent (the
// signing secret, the app's delivery headers, the token) into every member
// of its error body; none of it may reach any field of the APIError, its
// Error text or its %+v.
func TestAPIErrorScrubsEchoes(t *testing.T) {
	t.Parallel()
	const apiKey = "app-apikey-LEAK-31" // a custom header whose name says nothing
	tests := []struct {
		name string
		body func(sent string) string // the error body, given the request body
	}{
		{"fieldErrors", func(sent string) string {
			return `{"message":"bad","fieldErrors":[{"field":"endpoint.secret","message":"` + leakSecret + ` is too short"},"` + leakHeader + `"]}`
		}},
		{"code", func(string) string { return `{"apiErrorCode":"` + leakSecret + `","message":"bad"}` }},
		{"referenceId", func(string) string { return `{"referenceId":"` + apiKey + `","message":"bad"}` }},
		{"message echoes the request", func(sent string) string {
			b, _ := json.Marshal(map[string]string{"message": "cannot parse " + sent})
			return string(b)
		}},
		{"body echoes the request", func(sent string) string { return `{"request":` + sent + `}` }},
		{"field names", func(string) string {
			return `{"fieldErrors":[{"field":"` + leakHeader + `","message":"x"}]}`
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t)
			rec.Mux.HandleFunc("POST /event/{t}/webhooks", func(w http.ResponseWriter, r *http.Request) {
				sent, _ := io.ReadAll(r.Body)
				reply(400, tt.body(string(sent)))(w, r)
			})
			c := newTestCore(t, rec)
			_, err := c.CreateWebhook(t.Context(), Webhook{Name: "n", Enabled: true, Events: []events.Name{events.PolicyChangeIssue}, Endpoint: Endpoint{
				URL: "https://x.example", HMAC: true, Secret: leakSecret,
				Headers: Headers{"Authorization": {leakHeader}, "X-Custom": {apiKey}},
			}})
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an APIError", err)
			}
			all := fmt.Sprintf("%s\n%+v\n%#v\n%s|%s|%s|%s|%v", err, ae, ae, ae.Code, ae.Message, ae.RequestID, ae.Body, ae.FieldErrors)
			for _, s := range []string{leakSecret, leakHeader, apiKey, testToken} {
				if strings.Contains(all, s) {
					t.Errorf("%q survived:\n%s", s, all)
				}
			}
			if !strings.Contains(all, Redacted) {
				t.Errorf("no redaction marker:\n%s", all)
			}
		})
	}
}

// TestNamesAndLocatorsAreValidated sends nothing for a locator or name that
// could reach another path.
func TestNamesAndLocatorsAreValidated(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	core := newTestCore(t, rec)
	legacy := newTestLegacy(t, rec, LegacyCredentials{Token: "tok-x1"})
	ctx := t.Context()
	tests := []struct {
		name string
		call func() error
	}{
		{"core webhook ..", func() error { _, err := core.Webhook(ctx, ".."); return err }},
		{"core webhook not a ULID", func() error { return core.DeleteWebhook(ctx, "wh-1") }},
		{"core event dot", func() error { _, err := core.Event(ctx, "."); return err }},
		{"core diverted event ..", func() error { return core.ResendDivertedEvent(ctx, whLoc, "..") }},
		{"core request ..", func() error { _, err := core.EventsForRequest(ctx, ".."); return err }},
		{"core request a/../b", func() error { _, err := core.EventsForRequest(ctx, "a/../b"); return err }},
		{"legacy webhook ..", func() error { return legacy.DeleteWebhook(ctx, "..") }},
		{"legacy webhook control", func() error { _, err := legacy.Webhook(ctx, "a\nb"); return err }},
		{"legacy webhook double-escaped", func() error { return legacy.DeleteWebhook(ctx, " %2F..%2F..") }},
		{"legacy webhook ..#", func() error { return legacy.DeleteWebhook(ctx, "..#") }},
		{"legacy webhook ..;", func() error { _, err := legacy.Webhook(ctx, "..;x"); return err }},
		{"legacy transaction ..?", func() error { return legacy.ResendDivertedEvent(ctx, "hook", "..?a=b") }},
		{"legacy transaction ..", func() error { return legacy.ResendDivertedEvent(ctx, "hook", "..") }},
		{"legacy integration ..", func() error { return legacy.DeleteIntegration(ctx, "..") }},
		{"legacy integration replace", func() error {
			_, err := legacy.ReplaceIntegration(ctx, Integration{Name: `x\..`, URL: "https://x.example"})
			return err
		}},
		{"legacy name too long", func() error { return legacy.DeleteWebhook(ctx, strings.Repeat("a", 257)) }},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", tt.name, err)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests reached the server; want none", n)
	}
	// Honest values still go through.
	rec.Mux.Handle("DELETE /webhooks/{name}", reply(204, ""))
	rec.Mux.Handle("DELETE /event/{t}/webhooks/{loc}", reply(204, ""))
	if err := legacy.DeleteWebhook(ctx, "acme/app_default_orders-1a2b"); err != nil {
		t.Errorf("honest legacy name: %v", err)
	}
	if err := core.DeleteWebhook(ctx, whLoc); err != nil {
		t.Errorf("honest core locator: %v", err)
	}
}

// TestUnexpectedAnswerScrubsEchoes: a 2xx answer that cannot be used becomes
// an APIError too, and it must not keep what the request carried either.
func TestUnexpectedAnswerScrubsEchoes(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	rec.Mux.HandleFunc("POST /event/{t}/webhooks", func(w http.ResponseWriter, r *http.Request) {
		sent, _ := io.ReadAll(r.Body)
		reply(200, "<html>proxy page echoing "+string(sent))(w, r)
	})
	c := newTestCore(t, rec)
	_, err := c.CreateWebhook(t.Context(), Webhook{Name: "n", Enabled: true, Events: []events.Name{events.PolicyChangeIssue}, Endpoint: Endpoint{
		URL: "https://x.example", Headers: Headers{"X-Custom": {"app-key-LEAK-55"}}, HMAC: true, Secret: leakSecret,
	}})
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrUnexpectedResponse) {
		t.Fatalf("err = %v, want an unexpected-response APIError", err)
	}
	if all := fmt.Sprintf("%v|%+v|%s|%s", err, ae, ae.Body, ae.Message); strings.Contains(all, "app-key-LEAK-55") || strings.Contains(all, leakSecret) {
		t.Errorf("echo survived: %s", all)
	}
}

// TestAPIErrorScrubsAnswerCredentials: an error body may hold credentials
// the request never carried, such as another webhook's delivery headers in
// a conflict report; their values are scrubbed too.
func TestAPIErrorScrubsAnswerCredentials(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	rec.Mux.Handle("GET /event/{t}/webhooks/{loc}", reply(409, `{"message":"conflicts with Bearer other-LEAK-8",
		"existing":{"endpoint":{"headers":{"Authorization":["Bearer other-LEAK-8"],"X-Key":["k-LEAK-9"]},"secret":"s-LEAK-10"}}}`))
	c := newTestCore(t, rec)
	_, err := c.Webhook(t.Context(), whLoc)
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	all := fmt.Sprintf("%v|%s|%s", err, ae.Message, ae.Body)
	for _, s := range []string{"other-LEAK-8", "k-LEAK-9", "s-LEAK-10"} {
		if strings.Contains(all, s) {
			t.Errorf("%q survived: %s", s, all)
		}
	}
	if !strings.Contains(ae.Body, `"existing"`) {
		t.Errorf("Body lost its shape: %s", ae.Body)
	}
}
