package socotra

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/socotra-go/sdk/internal/coreapi"
)

// BenchmarkGetWebhook compares one GET through the facade (auth, retry
// policy, error check, mapping) with the floor: the same request and JSON
// decode on a bare http.Client against the same server.
func BenchmarkGetWebhook(b *testing.B) {
	srv := httptest.NewServer(reply(200, webhookJSON))
	defer srv.Close()
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		hc := srv.Client()
		for b.Loop() {
			req, _ := http.NewRequest("GET", srv.URL+"/event/"+testTenant+"/webhooks/"+whLoc, nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var w coreapi.WebhookResponse
			if err := json.NewDecoder(resp.Body).Decode(&w); err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
		}
	})
	b.Run("facade", func(b *testing.B) {
		b.ReportAllocs()
		c, _ := NewCoreClient(srv.URL, testTenant, testToken, WithHTTPClient(srv.Client()))
		for b.Loop() {
			if _, err := c.Webhook(b.Context(), whLoc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
