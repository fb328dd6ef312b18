package coreapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/socotra-go/sdk/internal/coreapi"
)

const tenant = "5f0b2c4e-8d1a-4c8e-9b3a-2f6d7e8a9b10"

// server implements the generated ServerInterface for the operations these tests
// call; any other operation panics through the nil embedded interface.
type server struct {
	coreapi.ServerInterface
	t           *testing.T
	listBody    string // raw answer of ListWebhooks
	gotList     coreapi.ListWebhooksParams
	gotEvents   coreapi.ListEventsParams
	gotCreate   []byte
	errorStatus int
	errorBody   string
}

func (s *server) ListWebhooks(w http.ResponseWriter, r *http.Request, tenantLocator string, params coreapi.ListWebhooksParams) {
	if tenantLocator != tenant {
		s.t.Errorf("tenantLocator = %q, want %q", tenantLocator, tenant)
	}
	s.gotList = params
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(s.listBody))
}

func (s *server) CreateWebhook(w http.ResponseWriter, r *http.Request, _ string) {
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(r.Body)
	s.gotCreate = buf.Bytes()
	var req coreapi.CreateWebhookRequest
	if err := json.Unmarshal(s.gotCreate, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(coreapi.WebhookResponse{
		Locator:    "01JD7Q0000000000000000000A",
		Name:       &req.Name,
		Enabled:    &req.Enabled,
		EventTypes: &req.EventTypes,
	})
}

func (s *server) ListEvents(w http.ResponseWriter, r *http.Request, _ string, params coreapi.ListEventsParams) {
	s.gotEvents = params
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"pagingToken":"next","events":[{"locator":"01JD7Q0000000000000000000B",` +
		`"type":"policy.issue","timestamp":"2026-11-23T18:00:00Z","data":{"policyLocator":"P1","transactionLocator":"T1"}}]}`))
}

func (s *server) GetWebhook(w http.ResponseWriter, r *http.Request, _, _ string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(s.errorStatus)
	_, _ = w.Write([]byte(s.errorBody))
}

func (s *server) ResendDivertedEvent(w http.ResponseWriter, r *http.Request, _, _, _ string) {
	if s.errorBody != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(s.errorStatus)
	_, _ = w.Write([]byte(s.errorBody))
}

func newClient(t *testing.T, s *server) *coreapi.ClientWithResponses {
	t.Helper()
	s.t = t
	ts := httptest.NewServer(coreapi.Handler(s))
	t.Cleanup(ts.Close)
	c, err := coreapi.NewClientWithResponses(ts.URL, coreapi.WithHTTPClient(ts.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// webhooks decodes a list answer of either shape, the way the facade does.
func webhooks(t *testing.T, res *coreapi.WebhookListResult, body []byte) (items []coreapi.WebhookResponse, complete bool) {
	t.Helper()
	if first := bytes.TrimLeft(body, " \t\r\n"); len(first) > 0 && first[0] == '[' {
		arr, err := res.AsWebhookArray()
		if err != nil {
			t.Fatal(err)
		}
		return arr, false
	}
	env, err := res.AsWebhookListResponse()
	if err != nil {
		t.Fatal(err)
	}
	if env.Items != nil {
		items = *env.Items
	}
	return items, env.ListCompleted != nil && *env.ListCompleted
}

func TestListWebhooksAcceptsEnvelopeAndBareArray(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		body         string
		wantNames    []string
		wantComplete bool
	}{
		{"envelope", `{"listCompleted":true,"items":[{"locator":"01A","name":"a"},{"locator":"01B","name":"b"}]}`, []string{"a", "b"}, true},
		{"envelope not complete", `{"listCompleted":false,"items":[]}`, nil, false},
		{"bare array", ` [{"locator":"01A","name":"a"}]`, []string{"a"}, false},
		{"empty array", `[]`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &server{listBody: tt.body}
			c := newClient(t, s)
			offset, count := int32(20), int32(10)
			res, err := c.ListWebhooksWithResponse(t.Context(), tenant, &coreapi.ListWebhooksParams{
				Offset: &offset, Count: &count, EventTypes: &[]string{"policy.issue", "policy.cancel"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode() != http.StatusOK || res.JSON200 == nil {
				t.Fatalf("status %d, JSON200 %v; want 200 with a parsed body", res.StatusCode(), res.JSON200)
			}
			items, complete := webhooks(t, res.JSON200, res.Body)
			var names []string
			for _, w := range items {
				names = append(names, *w.Name)
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			if complete != tt.wantComplete {
				t.Errorf("listCompleted = %v, want %v", complete, tt.wantComplete)
			}
			if *s.gotList.Offset != 20 || *s.gotList.Count != 10 ||
				!cmp.Equal(*s.gotList.EventTypes, []string{"policy.issue", "policy.cancel"}) {
				t.Errorf("server got params %+v", s.gotList)
			}
		})
	}
}

// TestCreateWebhookSendsRequiredMembers: every member seed 001 marks required
// (CreateWebhookRequest) is written, failureHandling too, even at its zero value.
func TestCreateWebhookSendsRequiredMembers(t *testing.T) {
	t.Parallel()
	s := &server{}
	c := newClient(t, s)
	res, err := c.CreateWebhookWithResponse(t.Context(), tenant, coreapi.CreateWebhookRequest{
		Name:       "app/orders",
		Enabled:    true,
		Endpoint:   coreapi.CreateEndpointRequest{Url: "https://example.test/hook"},
		EventTypes: []string{"policy.issue"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.JSON200 == nil || res.JSON200.Locator == "" || *res.JSON200.Name != "app/orders" {
		t.Fatalf("response = %+v", res.JSON200)
	}
	var sent map[string]json.RawMessage
	if err := json.Unmarshal(s.gotCreate, &sent); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"name", "enabled", "endpoint", "failureHandling", "eventTypes"} {
		if _, ok := sent[key]; !ok {
			t.Errorf("request %s lacks required member %q", s.gotCreate, key)
		}
	}
}

// TestUpdateRequestWritesRequiredMembers: the zero UpdateWebhookRequest still
// writes every member seed 001 marks required (UpdateWebhookRequest,
// UpdateEndpointRequest), and none of the optional ones. A nil list goes out as
// null, which is not a value: the socotra package always fills them.
func TestUpdateRequestWritesRequiredMembers(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(coreapi.UpdateWebhookRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"addEventTypes":null,"enabled":false,"endpoint":{"addHeaders":null,"removeHeaders":null,"url":""},` +
		`"failureHandling":{},"name":"","removeEventTypes":null,"removeFailureHandling":false}`
	if string(b) != want {
		t.Errorf("zero update = %s\nwant %s", b, want)
	}
}

func TestListEventsSendsPagingTokenAlone(t *testing.T) {
	t.Parallel()
	s := &server{}
	c := newClient(t, s)
	token := "abc"
	res, err := c.ListEventsWithResponse(t.Context(), tenant, &coreapi.ListEventsParams{PagingToken: &token})
	if err != nil {
		t.Fatal(err)
	}
	if want := (coreapi.ListEventsParams{PagingToken: &token}); !cmp.Equal(want, s.gotEvents) {
		t.Errorf("server got %+v, want only the paging token", s.gotEvents)
	}
	page := res.JSON200
	if page == nil || page.Events == nil || len(*page.Events) != 1 || *page.PagingToken != "next" {
		t.Fatalf("page = %+v", page)
	}
	ev := (*page.Events)[0]
	if !ev.Timestamp.Equal(time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)) || ev.Type != "policy.issue" {
		t.Errorf("event = %+v", ev)
	}
	if want := `{"policyLocator":"P1","transactionLocator":"T1"}`; string(ev.Data) != want {
		t.Errorf("data = %s, want the raw %s", ev.Data, want)
	}
}

func TestDefaultResponseParsesAnyErrorBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   any
	}{
		{"object", http.StatusNotFound, `{"message":"no such webhook"}`, map[string]any{"message": "no such webhook"}},
		{"string", http.StatusInternalServerError, `"boom"`, "boom"},
		{"array", http.StatusBadRequest, `["a","b"]`, []any{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, &server{errorStatus: tt.status, errorBody: tt.body})
			res, err := c.GetWebhookWithResponse(t.Context(), tenant, "01A")
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode() != tt.status || res.JSON200 != nil || res.JSONDefault == nil {
				t.Fatalf("status %d, JSON200 %v, JSONDefault %v", res.StatusCode(), res.JSON200, res.JSONDefault)
			}
			if diff := cmp.Diff(tt.want, *res.JSONDefault); diff != "" {
				t.Errorf("error body (-want +got):\n%s", diff)
			}
			if string(res.Body) != tt.body {
				t.Errorf("raw body = %q, want %q", res.Body, tt.body)
			}
		})
	}
}

// TestVoidResponsesParse checks that calls which return no data succeed whether
// the platform answers 204, an empty 200, or 200 with an empty JSON object.
func TestVoidResponsesParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"no content", http.StatusNoContent, ""},
		{"empty 200", http.StatusOK, ""},
		{"empty object", http.StatusOK, "{}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, &server{errorStatus: tt.status, errorBody: tt.body})
			res, err := c.ResendDivertedEventWithResponse(t.Context(), tenant, "01A", "01B")
			if err != nil {
				t.Fatalf("resend answered %d %q: %v", tt.status, tt.body, err)
			}
			if res.StatusCode() != tt.status {
				t.Errorf("status = %d, want %d", res.StatusCode(), tt.status)
			}
		})
	}
}
