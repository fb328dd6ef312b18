package socotratest_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/oklog/ulid/v2"

	"github.com/socotra-go/sdk/internal/coreapi"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// TestUpdateAddRemove checks the update semantics case by case: removals first, then additions.
func TestUpdateAddRemove(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := coreClient(t, s)
	base := func() coreapi.CreateWebhookRequest {
		r := hookFor("https://example.test/hook", "policy.change.create", "policy.change.issue")
		r.Endpoint.Headers = &coreapi.Headers{"X-One": {"1"}, "X-Two": {"2"}}
		r.FailureHandling = coreapi.FailureHandlingCreateRequest{
			Triggers:      &[]string{"5xx", "timeout"},
			RetryStrategy: &coreapi.RetryStrategyCreateRequest{Attempts: ptr(int32(5))},
			AlertEndpoint: &coreapi.CreateEndpointRequest{Url: "https://example.test/alert"},
		}
		return r
	}
	type req = coreapi.UpdateWebhookRequest
	for _, tc := range []struct {
		name  string
		edit  func(r *req)
		check func(t *testing.T, w coreapi.WebhookResponse)
	}{
		{"add event type", func(r *req) { r.AddEventTypes = []string{"policy.cancellation.issue"} },
			eventTypes("policy.change.create", "policy.change.issue", "policy.cancellation.issue")},
		{"remove event type", func(r *req) { r.RemoveEventTypes = []string{"policy.change.create"} },
			eventTypes("policy.change.issue")},
		{"remove and add the same event type keeps it", func(r *req) {
			r.RemoveEventTypes, r.AddEventTypes = []string{"policy.change.create"}, []string{"policy.change.create"}
		}, eventTypes("policy.change.issue", "policy.change.create")},
		{"remove an absent event type changes nothing", func(r *req) { r.RemoveEventTypes = []string{"quote.create"} },
			eventTypes("policy.change.create", "policy.change.issue")},
		{"adding a present event type does not duplicate it", func(r *req) { r.AddEventTypes = []string{"policy.change.issue"} },
			eventTypes("policy.change.create", "policy.change.issue")},
		{"remove a header, any case", func(r *req) { r.Endpoint.RemoveHeaders = []string{"x-one"} },
			headers(map[string][]string{"X-Two": {"2"}})},
		{"remove and add the same header keeps the added value", func(r *req) {
			r.Endpoint.RemoveHeaders, r.Endpoint.AddHeaders = []string{"X-One"}, coreapi.Headers{"X-One": {"new"}}
		}, headers(map[string][]string{"X-One": {"new"}, "X-Two": {"2"}})},
		{"add a header", func(r *req) { r.Endpoint.AddHeaders = coreapi.Headers{"X-Three": {"3"}} },
			headers(map[string][]string{"X-One": {"1"}, "X-Two": {"2"}, "X-Three": {"3"}})},
		{"change the URL", func(r *req) { r.Endpoint.Url = "https://example.test/moved" },
			func(t *testing.T, w coreapi.WebhookResponse) {
				if got := deref(w.Endpoint.Url); got != "https://example.test/moved" {
					t.Errorf("url = %q", got)
				}
				headers(map[string][]string{"X-One": {"1"}, "X-Two": {"2"}})(t, w)
			}},
		{"remove and add the same trigger keeps it", func(r *req) {
			r.FailureHandling.RemoveTriggers, r.FailureHandling.AddTriggers = &[]string{"5xx"}, &[]string{"5xx", "404"}
		}, triggers("timeout", "5xx", "404")},
		{"remove a trigger", func(r *req) { r.FailureHandling.RemoveTriggers = &[]string{"timeout"} },
			triggers("5xx")},
		{"removeRetryStrategy", func(r *req) { r.FailureHandling.RemoveRetryStrategy = ptr(true) },
			func(t *testing.T, w coreapi.WebhookResponse) {
				if w.FailureHandling.RetryStrategy != nil {
					t.Errorf("retry strategy still there: %+v", w.FailureHandling.RetryStrategy)
				}
			}},
		{"removeRetryStrategy with a new one keeps the new one", func(r *req) {
			r.FailureHandling.RemoveRetryStrategy = ptr(true)
			r.FailureHandling.RetryStrategy = &coreapi.RetryStrategyUpdateRequest{Interval: ptr(int64(7))}
		}, func(t *testing.T, w coreapi.WebhookResponse) {
			rs := w.FailureHandling.RetryStrategy
			if rs == nil || deref(rs.Interval) != 7 || deref(rs.Attempts) != 3 || deref(rs.Type) != "linear" {
				t.Errorf("retry strategy = %+v, want a fresh one (linear, 3 attempts) with interval 7", rs)
			}
		}},
		{"retryStrategy edits the existing one", func(r *req) {
			r.FailureHandling.RetryStrategy = &coreapi.RetryStrategyUpdateRequest{Type: ptr(coreapi.RetryTypeExponential)}
		}, func(t *testing.T, w coreapi.WebhookResponse) {
			if rs := w.FailureHandling.RetryStrategy; deref(rs.Attempts) != 5 || deref(rs.Type) != "exponential" {
				t.Errorf("retry strategy = %+v, want exponential with the 5 attempts kept", rs)
			}
		}},
		{"removeAlertEndpoint", func(r *req) { r.FailureHandling.RemoveAlertEndpoint = ptr(true) },
			func(t *testing.T, w coreapi.WebhookResponse) {
				if w.FailureHandling.AlertEndpoint != nil {
					t.Error("alert endpoint still there")
				}
			}},
		{"removeFailureHandling restores the default", func(r *req) { r.RemoveFailureHandling = true },
			func(t *testing.T, w coreapi.WebhookResponse) {
				triggers("4xx", "5xx", "timeout")(t, w)
				if f := w.FailureHandling; f.RetryStrategy != nil || f.AlertEndpoint != nil || deref(f.Divert) || deref(f.Suspend) {
					t.Errorf("failure handling = %+v, want the default", f)
				}
			}},
		{"removeFailureHandling with new handling applies it to the default", func(r *req) {
			r.RemoveFailureHandling, r.FailureHandling.Divert = true, ptr(true)
		}, func(t *testing.T, w coreapi.WebhookResponse) {
			triggers("4xx", "5xx", "timeout")(t, w)
			if f := w.FailureHandling; f.RetryStrategy != nil || !deref(f.Divert) {
				t.Errorf("failure handling = %+v, want the default with divert", f)
			}
		}},
		{"required members at their current values change nothing", func(r *req) {},
			func(t *testing.T, w coreapi.WebhookResponse) {
				if deref(w.Name) != "test" || !deref(w.Enabled) || deref(w.Endpoint.Url) != "https://example.test/hook" {
					t.Errorf("webhook = %+v", w)
				}
				eventTypes("policy.change.create", "policy.change.issue")(t, w)
				headers(map[string][]string{"X-One": {"1"}, "X-Two": {"2"}})(t, w)
				triggers("5xx", "timeout")(t, w)
				if f := w.FailureHandling; deref(f.RetryStrategy.Attempts) != 5 || deref(f.AlertEndpoint.Url) != "https://example.test/alert" {
					t.Errorf("failure handling = %+v", f)
				}
			}},
		{"disable", func(r *req) { r.Enabled = false },
			func(t *testing.T, w coreapi.WebhookResponse) {
				if deref(w.Name) != "test" || deref(w.Enabled) || deref(w.Endpoint.Url) != "https://example.test/hook" {
					t.Errorf("webhook = %+v", w)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wh := createCore(t, c, s, base())
			r := unchanged(wh)
			tc.edit(&r)
			resp, err := c.UpdateWebhookWithResponse(t.Context(), s.TenantLocator(), wh.Locator, r)
			if err != nil || resp.JSON200 == nil {
				t.Fatalf("update: %v %d %s", err, resp.StatusCode(), resp.Body)
			}
			tc.check(t, *resp.JSON200)
			got, _ := c.GetWebhookWithResponse(t.Context(), s.TenantLocator(), wh.Locator)
			if diff := cmp.Diff(resp.JSON200, got.JSON200); diff != "" {
				t.Errorf("GET differs from the update's answer (-update +get):\n%s", diff)
			}
		})
	}
}

// unchanged is the update of w that changes nothing: every member seed 001 marks required, at
// w's values or empty.
func unchanged(w coreapi.WebhookResponse) coreapi.UpdateWebhookRequest {
	return coreapi.UpdateWebhookRequest{
		Name: deref(w.Name), Enabled: deref(w.Enabled), AddEventTypes: []string{}, RemoveEventTypes: []string{},
		Endpoint:        coreapi.UpdateEndpointRequest{Url: deref(w.Endpoint.Url), AddHeaders: coreapi.Headers{}, RemoveHeaders: []string{}},
		FailureHandling: coreapi.FailureHandlingUpdateRequest{AddTriggers: &[]string{}, RemoveTriggers: &[]string{}},
	}
}

func eventTypes(want ...string) func(*testing.T, coreapi.WebhookResponse) {
	return func(t *testing.T, w coreapi.WebhookResponse) {
		t.Helper()
		if got := deref(w.EventTypes); !slices.Equal(got, want) {
			t.Errorf("eventTypes = %q, want %q", got, want)
		}
	}
}

func triggers(want ...string) func(*testing.T, coreapi.WebhookResponse) {
	return func(t *testing.T, w coreapi.WebhookResponse) {
		t.Helper()
		if got := deref(w.FailureHandling.Triggers); !slices.Equal(got, want) {
			t.Errorf("triggers = %q, want %q", got, want)
		}
	}
}

func headers(want map[string][]string) func(*testing.T, coreapi.WebhookResponse) {
	return func(t *testing.T, w coreapi.WebhookResponse) {
		t.Helper()
		if diff := cmp.Diff(want, deref(w.Endpoint.Headers)); diff != "" {
			t.Errorf("headers (-want +got):\n%s", diff)
		}
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := coreClient(t, s)
	for _, tc := range []struct {
		name   string
		edit   func(*coreapi.CreateWebhookRequest)
		fields []string
	}{
		{"missing URL", func(r *coreapi.CreateWebhookRequest) { r.Endpoint.Url = "" }, []string{"endpoint.url"}},
		{"relative URL", func(r *coreapi.CreateWebhookRequest) { r.Endpoint.Url = "/hook" }, []string{"endpoint.url"}},
		{"unknown trigger", func(r *coreapi.CreateWebhookRequest) {
			r.FailureHandling = coreapi.FailureHandlingCreateRequest{Triggers: &[]string{"5xx", "sometimes"}}
		}, []string{"failureHandling.triggers[1]"}},
		{"zero attempts", func(r *coreapi.CreateWebhookRequest) {
			r.FailureHandling = coreapi.FailureHandlingCreateRequest{RetryStrategy: &coreapi.RetryStrategyCreateRequest{Attempts: ptr(int32(0))}}
		}, []string{"failureHandling.retryStrategy.attempts"}},
		{"eleven attempts", func(r *coreapi.CreateWebhookRequest) {
			r.FailureHandling = coreapi.FailureHandlingCreateRequest{RetryStrategy: &coreapi.RetryStrategyCreateRequest{Attempts: ptr(int32(11))}}
		}, []string{"failureHandling.retryStrategy.attempts"}},
		{"unknown retry type", func(r *coreapi.CreateWebhookRequest) {
			r.FailureHandling = coreapi.FailureHandlingCreateRequest{RetryStrategy: &coreapi.RetryStrategyCreateRequest{Type: ptr(coreapi.RetryType("fibonacci"))}}
		}, []string{"failureHandling.retryStrategy.type"}},
		{"hmac without secret", func(r *coreapi.CreateWebhookRequest) { r.Endpoint.HmacEnabled = ptr(true) }, []string{"endpoint.secret"}},
		{"malformed event type", func(r *coreapi.CreateWebhookRequest) { r.EventTypes = []string{"policy..create"} }, []string{"eventTypes[0]"}},
		{"every problem at once", func(r *coreapi.CreateWebhookRequest) {
			r.Name, r.Endpoint.Url, r.EventTypes = "", "", []string{}
		}, []string{"name", "eventTypes", "endpoint.url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := hookFor("https://example.test/hook", "policy.change.create")
			tc.edit(&req)
			resp, err := c.CreateWebhookWithResponse(t.Context(), s.TenantLocator(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", resp.StatusCode(), resp.Body)
			}
			var body struct {
				FieldErrors []struct{ Field, Message string } `json:"fieldErrors"`
			}
			_ = json.Unmarshal(resp.Body, &body)
			var fields []string
			for _, f := range body.FieldErrors {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tc.fields) {
				t.Errorf("field errors on %q, want %q (%s)", fields, tc.fields, resp.Body)
			}
		})
	}
	if n := len(s.Webhooks()); n != 0 {
		t.Errorf("%d webhooks stored by invalid requests", n)
	}
}

func TestUpdateValidation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := coreClient(t, s)
	wh := createCore(t, c, s, hookFor("https://example.test/hook", "policy.change.create"))
	r := unchanged(wh)
	r.Name, r.FailureHandling.AddTriggers = "renamed", &[]string{"6xx"}
	resp, _ := c.UpdateWebhookWithResponse(t.Context(), s.TenantLocator(), wh.Locator, r)
	if resp.StatusCode() != http.StatusBadRequest || !strings.Contains(string(resp.Body), "failureHandling.addTriggers[0]") {
		t.Fatalf("status %d %s, want 400 naming the trigger", resp.StatusCode(), resp.Body)
	}
	got, _ := c.GetWebhookWithResponse(t.Context(), s.TenantLocator(), wh.Locator)
	if deref(got.JSON200.Name) != "test" {
		t.Errorf("a rejected update changed the name to %q", deref(got.JSON200.Name))
	}
}

// TestRequiredMembers sends raw JSON without each member seed 001 marks required (absent, then
// null) and wants a 400 naming it; the complete body, with zero values, passes.
func TestRequiredMembers(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := coreClient(t, s)
	wh := createCore(t, c, s, hookFor("https://example.test/hook", "policy.change.create"))
	create := `{"name":"n","enabled":true,"eventTypes":["policy.change.create"],"failureHandling":{},
		"endpoint":{"url":"https://example.test/hook"}}`
	update := `{"name":"test","enabled":false,"addEventTypes":[],"removeEventTypes":[],"removeFailureHandling":false,
		"endpoint":{"url":"https://example.test/hook","addHeaders":{},"removeHeaders":[]},"failureHandling":{}}`
	alert := `{"name":"test","enabled":true,"addEventTypes":[],"removeEventTypes":[],"removeFailureHandling":false,
		"endpoint":{"url":"https://example.test/hook","addHeaders":{},"removeHeaders":[]},
		"failureHandling":{"alertEndpoint":{"url":"https://example.test/alert","addHeaders":{},"removeHeaders":[]}}}`
	send := func(t *testing.T, update bool, body string) (int, []byte) {
		t.Helper()
		var resp interface {
			StatusCode() int
		}
		var raw []byte
		var err error
		if update {
			r, e := c.UpdateWebhookWithBodyWithResponse(t.Context(), s.TenantLocator(), wh.Locator, "application/json", strings.NewReader(body))
			resp, raw, err = r, r.Body, e
		} else {
			r, e := c.CreateWebhookWithBodyWithResponse(t.Context(), s.TenantLocator(), "application/json", strings.NewReader(body))
			resp, raw, err = r, r.Body, e
		}
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode(), raw
	}
	for _, tc := range []struct {
		update bool
		body   string
		fields []string
	}{
		{false, create, []string{"name", "enabled", "endpoint", "endpoint.url", "failureHandling", "eventTypes"}},
		{true, update, []string{"name", "enabled", "endpoint", "endpoint.url", "endpoint.addHeaders", "endpoint.removeHeaders",
			"failureHandling", "removeFailureHandling", "addEventTypes", "removeEventTypes"}},
		{true, alert, []string{"failureHandling.alertEndpoint.url", "failureHandling.alertEndpoint.addHeaders",
			"failureHandling.alertEndpoint.removeHeaders"}},
	} {
		if code, body := send(t, tc.update, tc.body); code != http.StatusOK {
			t.Fatalf("complete body: %d %s", code, body)
		}
		for _, field := range tc.fields {
			for _, how := range []string{"absent", "null"} {
				t.Run(field+" "+how, func(t *testing.T) {
					var m map[string]any
					if err := json.Unmarshal([]byte(tc.body), &m); err != nil {
						t.Fatal(err)
					}
					obj, path := m, strings.Split(field, ".")
					for _, k := range path[:len(path)-1] {
						obj = obj[k].(map[string]any)
					}
					if delete(obj, path[len(path)-1]); how == "null" {
						obj[path[len(path)-1]] = nil
					}
					b, _ := json.Marshal(m)
					code, resp := send(t, tc.update, string(b))
					var e struct {
						FieldErrors []struct{ Field, Message string } `json:"fieldErrors"`
					}
					_ = json.Unmarshal(resp, &e)
					if code != http.StatusBadRequest || len(e.FieldErrors) != 1 || e.FieldErrors[0].Field != field ||
						e.FieldErrors[0].Message != "is required" {
						t.Errorf("without %s: %d %s, want 400 with one field error on it", field, code, resp)
					}
				})
			}
		}
	}
	got, _ := c.GetWebhookWithResponse(t.Context(), s.TenantLocator(), wh.Locator)
	if f := got.JSON200.FailureHandling; f.AlertEndpoint == nil || deref(f.AlertEndpoint.Url) != "https://example.test/alert" {
		t.Errorf("after the complete updates: %+v", got.JSON200)
	}
	if n := len(s.Webhooks()); n != 2 {
		t.Errorf("%d webhooks, want 2: a refused create stored one", n)
	}
}

func TestCoreNotFound(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := coreClient(t, s)
	ten, missing := s.TenantLocator(), ulid.Make().String()
	wh := createCore(t, c, s, hookFor("https://example.test/hook", "policy.change.create"))
	for name, call := range map[string]func() (int, error){
		"get": func() (int, error) {
			r, err := c.GetWebhookWithResponse(t.Context(), ten, missing)
			return r.StatusCode(), err
		},
		"update": func() (int, error) {
			r, err := c.UpdateWebhookWithResponse(t.Context(), ten, missing, unchanged(wh))
			return r.StatusCode(), err
		},
		"delete": func() (int, error) {
			r, err := c.DeleteWebhookWithResponse(t.Context(), ten, missing)
			return r.StatusCode(), err
		},
		"unsuspend": func() (int, error) {
			r, err := c.UnsuspendWebhookWithResponse(t.Context(), ten, missing)
			return r.StatusCode(), err
		},
		"diverted list": func() (int, error) {
			r, err := c.ListDivertedEventsWithResponse(t.Context(), ten, missing, nil)
			return r.StatusCode(), err
		},
		"diverted event of a real webhook": func() (int, error) {
			r, err := c.GetDivertedEventWithResponse(t.Context(), ten, wh.Locator, missing)
			return r.StatusCode(), err
		},
		"event": func() (int, error) {
			r, err := c.GetEventWithResponse(t.Context(), ten, missing)
			return r.StatusCode(), err
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, err := call()
			if err != nil || code != http.StatusNotFound {
				t.Errorf("status %d (%v), want 404", code, err)
			}
		})
	}
}

func TestDeleteWebhook(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := coreClient(t, s)
	wh := createCore(t, c, s, hookFor("https://example.test/hook", "policy.change.create"))
	if _, err := ulid.ParseStrict(wh.Locator); err != nil {
		t.Errorf("locator %q is not a ULID: %v", wh.Locator, err)
	}
	del, _ := c.DeleteWebhookWithResponse(t.Context(), s.TenantLocator(), wh.Locator)
	if del.StatusCode() != http.StatusNoContent {
		t.Fatalf("delete: %d", del.StatusCode())
	}
	if got, _ := c.GetWebhookWithResponse(t.Context(), s.TenantLocator(), wh.Locator); got.StatusCode() != http.StatusNotFound {
		t.Errorf("GET after delete: %d", got.StatusCode())
	}
}

func TestListPagingAndFilters(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := coreClient(t, s)
	var locs []string
	for i, spec := range []struct {
		name    string
		enabled bool
		types   []string
	}{
		{"a", true, []string{"policy.change.create"}},
		{"b", false, []string{"policy.change.issue"}},
		{"a", true, []string{"policy.change.issue", "policy.cancellation.issue"}},
		{"c", true, []string{"invoice.create"}},
		{"d", false, []string{"policy.change.create"}},
	} {
		r := hookFor("https://example.test/"+string(rune('0'+i)), spec.types...)
		r.Name, r.Enabled = spec.name, spec.enabled
		locs = append(locs, createCore(t, c, s, r).Locator)
	}
	list := func(p coreapi.ListWebhooksParams) (names []string, complete bool) {
		t.Helper()
		resp, err := c.ListWebhooksWithResponse(t.Context(), s.TenantLocator(), &p)
		if err != nil || resp.JSON200 == nil {
			t.Fatalf("list: %v %s", err, resp.Body)
		}
		env, err := resp.JSON200.AsWebhookListResponse()
		if err != nil {
			t.Fatalf("list: %v %s", err, resp.Body)
		}
		for _, w := range deref(env.Items) {
			names = append(names, w.Locator)
		}
		return names, deref(env.ListCompleted)
	}
	for _, tc := range []struct {
		name     string
		p        coreapi.ListWebhooksParams
		want     []int
		complete bool
	}{
		{"all", coreapi.ListWebhooksParams{}, []int{0, 1, 2, 3, 4}, true},
		{"first page", coreapi.ListWebhooksParams{Count: ptr(int32(2))}, []int{0, 1}, false},
		{"middle page", coreapi.ListWebhooksParams{Offset: ptr(int32(2)), Count: ptr(int32(2))}, []int{2, 3}, false},
		{"last page", coreapi.ListWebhooksParams{Offset: ptr(int32(4)), Count: ptr(int32(2))}, []int{4}, true},
		{"past the end", coreapi.ListWebhooksParams{Offset: ptr(int32(9))}, nil, true},
		{"name", coreapi.ListWebhooksParams{Name: ptr("a")}, []int{0, 2}, true},
		{"enabled", coreapi.ListWebhooksParams{Enabled: ptr(false)}, []int{1, 4}, true},
		{"suspended", coreapi.ListWebhooksParams{Suspended: ptr(true)}, nil, true},
		{"active", coreapi.ListWebhooksParams{Active: ptr(true)}, []int{0, 2, 3}, true},
		{"event types", coreapi.ListWebhooksParams{EventTypes: &[]string{"policy.change.issue", "invoice.create"}}, []int{1, 2, 3}, true},
		{"filters combine", coreapi.ListWebhooksParams{Name: ptr("a"), EventTypes: &[]string{"policy.change.issue"}}, []int{2}, true},
		{"filtered paging", coreapi.ListWebhooksParams{Enabled: ptr(true), Count: ptr(int32(2))}, []int{0, 2}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var want []string
			for _, i := range tc.want {
				want = append(want, locs[i])
			}
			got, complete := list(tc.p)
			if !slices.Equal(got, want) || complete != tc.complete {
				t.Errorf("got %v complete=%v, want %v complete=%v", got, complete, want, tc.complete)
			}
		})
	}
	t.Run("extended shows secrets", func(t *testing.T) {
		t.Parallel()
		s := newServer(t)
		c := coreClient(t, s)
		r := hookFor("https://example.test/signed", "claim.fnol.create")
		r.Name, r.Endpoint.HmacEnabled, r.Endpoint.Secret = "signed", ptr(true), ptr("shh")
		createCore(t, c, s, r)
		for _, ext := range []bool{false, true} {
			resp, _ := c.ListWebhooksWithResponse(t.Context(), s.TenantLocator(), &coreapi.ListWebhooksParams{Name: ptr("signed"), Extended: &ext})
			if got := strings.Contains(string(resp.Body), `"shh"`); got != ext {
				t.Errorf("extended=%v: secret shown = %v", ext, got)
			}
		}
	})
	t.Run("bad count", func(t *testing.T) {
		t.Parallel()
		resp, _ := c.ListWebhooksWithResponse(t.Context(), s.TenantLocator(), &coreapi.ListWebhooksParams{Count: ptr(int32(0))})
		if resp.StatusCode() != http.StatusBadRequest {
			t.Errorf("count=0: %d, want 400", resp.StatusCode())
		}
	})
}

func TestBareWebhookList(t *testing.T) {
	t.Parallel()
	s := newServer(t, socotratest.WithBareWebhookList())
	c := coreClient(t, s)
	createCore(t, c, s, hookFor("https://example.test/hook", "policy.change.create"))
	resp, err := c.ListWebhooksWithResponse(t.Context(), s.TenantLocator(), nil)
	if err != nil || !strings.HasPrefix(string(resp.Body), "[") {
		t.Fatalf("body %s (%v), want a bare array", resp.Body, err)
	}
	arr, err := resp.JSON200.AsWebhookArray()
	if err != nil || len(arr) != 1 {
		t.Errorf("array %v (%v)", arr, err)
	}
	s.SetBareWebhookList(false)
	resp, _ = c.ListWebhooksWithResponse(t.Context(), s.TenantLocator(), nil)
	if !strings.HasPrefix(string(resp.Body), `{`) {
		t.Errorf("after SetBareWebhookList(false): %s", resp.Body)
	}
}

func TestCoreAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	path := s.URL() + "/event/" + s.TenantLocator() + "/webhooks/list"
	for _, tc := range []struct {
		name, path, auth string
		want             int
	}{
		{"no token", path, "", http.StatusUnauthorized},
		{"wrong token", path, "Bearer nope", http.StatusUnauthorized},
		{"no scheme", path, s.CoreToken(), http.StatusUnauthorized},
		{"good token", path, "Bearer " + s.CoreToken(), http.StatusOK},
		{"other tenant", s.URL() + "/event/00000000-0000-4000-8000-000000000000/webhooks/list", "Bearer " + s.CoreToken(), http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, tc.path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
