package socotratest_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// A process outside the test (another language's suite, socotra-webhooks trigger --tenant) makes
// the fake emit through the control endpoint, with the Core token.
func ExampleWithControl() {
	srv := socotratest.NewServer(socotratest.WithControl())
	defer srv.Close()

	body := `{"platform": "core", "type": "policy.quote.issue", "data": {"quoteLocator": "01JDZ0000000000000000000Q1"}}`
	req, err := http.NewRequest(http.MethodPost, srv.URL()+socotratest.ControlEmitPath, strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.CoreToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var out socotratest.EmitResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, out.Type, out.ID == srv.Events(events.Core)[0].ID)
	// Output: 200 policy.quote.issue true
}
