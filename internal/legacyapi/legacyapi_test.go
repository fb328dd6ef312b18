package legacyapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/socotra-go/sdk/internal/legacyapi"
)

// server implements the generated ServerInterface for the operations these tests
// call; any other operation panics through the nil embedded interface.
type server struct {
	legacyapi.ServerInterface
	authBody string // raw answer of Authenticate
	gotAuth  string // Authorization header seen by PutWebhook
	failWith string // raw ExceptionResponse answered by GetWebhook
}

func (s *server) Authenticate(w http.ResponseWriter, r *http.Request) {
	var creds legacyapi.UserCredentials
	if err := json.NewDecoder(r.Body).Decode(&creds); err != nil || creds.HostName == "" {
		http.Error(w, "bad credentials", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(s.authBody))
}

func (s *server) PutWebhook(w http.ResponseWriter, r *http.Request) {
	s.gotAuth = r.Header.Get("Authorization")
	var req legacyapi.WebhookRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	suspended := false
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(legacyapi.WebhookResponse{
		Name:            req.Name,
		Events:          req.Events,
		IntegrationName: req.IntegrationName,
		Suspended:       &suspended,
	})
}

func (s *server) GetWebhook(w http.ResponseWriter, r *http.Request, _ string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(s.failWith))
}

func newClient(t *testing.T, s *server) *legacyapi.ClientWithResponses {
	t.Helper()
	ts := httptest.NewServer(legacyapi.Handler(s))
	t.Cleanup(ts.Close)
	c, err := legacyapi.NewClientWithResponses(ts.URL, legacyapi.WithHTTPClient(ts.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthenticateAcceptsNumericAndStringTimestamps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
	}{
		{"number", `{"authorizationToken":"tok","expiresTimestamp":1795456800000}`},
		{"string", `{"authorizationToken":"tok","expiresTimestamp":"1795456800000"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, &server{authBody: tt.body})
			res, err := c.AuthenticateWithResponse(t.Context(), legacyapi.UserCredentials{
				Username: "alice", Password: "secret", HostName: "tenant.example.test",
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.JSON200 == nil {
				t.Fatalf("status %d, body %s: no parsed token", res.StatusCode(), res.Body)
			}
			ms, err := res.JSON200.ExpiresTimestamp.Int64()
			if err != nil || ms != 1795456800000 || res.JSON200.AuthorizationToken != "tok" {
				t.Errorf("token = %+v, expires %d (%v)", res.JSON200, ms, err)
			}
		})
	}
}

func TestPutWebhookSendsRawTokenAndEventTypes(t *testing.T) {
	t.Parallel()
	s := &server{}
	c := newClient(t, s)
	events := legacyapi.EventTypeList{legacyapi.EventTypePolicyIssue, "custom.thing"}
	integration := "app-orders"
	setToken := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "tok-123")
		return nil
	}
	res, err := c.PutWebhookWithResponse(t.Context(), legacyapi.WebhookRequest{
		Name: "app-orders", Events: &events, IntegrationName: &integration,
	}, setToken)
	if err != nil {
		t.Fatal(err)
	}
	if s.gotAuth != "tok-123" {
		t.Errorf("Authorization = %q, want the bare token", s.gotAuth)
	}
	got := res.JSON200
	if got == nil || got.Name != "app-orders" || got.Events == nil || *got.IntegrationName != integration {
		t.Fatalf("response = %+v", got)
	}
	if diff := cmp.Diff([]legacyapi.EventType(events), *got.Events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestExceptionResponseIsParsed(t *testing.T) {
	t.Parallel()
	c := newClient(t, &server{failWith: `{"httpErrorCode":404,"httpStatus":"NOT_FOUND","message":"no webhook x",` +
		`"referenceId":"r-1","fieldErrors":[{"field":"name","message":"unknown"}],"extra":true}`})
	res, err := c.GetWebhookWithResponse(t.Context(), "x")
	if err != nil {
		t.Fatal(err)
	}
	e := res.JSONDefault
	if res.StatusCode() != http.StatusNotFound || e == nil {
		t.Fatalf("status %d, JSONDefault %v", res.StatusCode(), e)
	}
	if *e.Message != "no webhook x" || *e.ReferenceId != "r-1" || e.HttpErrorCode != float64(404) ||
		len(*e.FieldErrors) != 1 || *(*e.FieldErrors)[0].Field != "name" {
		t.Errorf("exception = %+v", e)
	}
}

func TestWebhookPayloadDecodesOpenTypesAndStringTimes(t *testing.T) {
	t.Parallel()
	body := `{"id":"e1","type":"tenant.custom","timestamp":"1795456800000","transactionId":"t1",` +
		`"username":"bob","data":{"policyLocator":"100000001"}}`
	var p legacyapi.WebhookPayload
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if *p.Type != "tenant.custom" || p.Type.Valid() {
		t.Errorf("type = %q (Valid %v), want the unknown name kept and reported as not in the enum", *p.Type, p.Type.Valid())
	}
	if ms, _ := p.Timestamp.Int64(); ms != 1795456800000 {
		t.Errorf("timestamp = %v", p.Timestamp)
	}
	if string(p.Data) != `{"policyLocator":"100000001"}` {
		t.Errorf("data = %s, want it kept raw", p.Data)
	}
}
