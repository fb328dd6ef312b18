package socotra_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// wire records the method and body of each request a client sends.
type wire struct {
	mu    sync.Mutex
	calls []sent
}

type sent struct {
	method string
	body   []byte
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	w.mu.Lock()
	w.calls = append(w.calls, sent{r.Method, body})
	w.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// wiredClient returns a Core client of srv whose requests w records.
func wiredClient(t *testing.T, srv *socotratest.Server) (*socotra.CoreClient, *wire) {
	t.Helper()
	w := &wire{}
	c, err := socotra.NewCoreClient(srv.URL(), srv.TenantLocator(), srv.CoreToken(), socotra.WithHTTPClient(&http.Client{Transport: w}))
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

// take returns the requests sent since the last take.
func (w *wire) take() []sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.calls
	w.calls = nil
	return c
}

// checkRequired fails unless body carries every member seed 001 marks
// required in a PATCH, each with a value (not null).
func checkRequired(t *testing.T, body []byte) {
	t.Helper()
	var top, endpoint map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("PATCH body %s: %v", body, err)
	}
	_ = json.Unmarshal(top["endpoint"], &endpoint)
	for obj, keys := range map[string][]string{
		"":          {"name", "enabled", "endpoint", "failureHandling", "removeFailureHandling", "addEventTypes", "removeEventTypes"},
		"endpoint.": {"url", "addHeaders", "removeHeaders"},
	} {
		m := top
		if obj != "" {
			m = endpoint
		}
		for _, k := range keys {
			if v, ok := m[k]; !ok || string(v) == "null" {
				t.Errorf("PATCH body lacks %s%s: %s", obj, k, body)
			}
		}
	}
}

// TestEveryPatchCarriesRequiredMembers sends a PATCH from each path of the
// SDK to the fake tenant, which refuses one without a required member, and
// checks that the webhook changed only as asked.
func TestEveryPatchCarriesRequiredMembers(t *testing.T) {
	t.Parallel()
	c, w := wiredClient(t, newFake(t))
	ctx := t.Context()
	full := socotra.Webhook{
		Enabled: true, Events: []events.Name{events.PolicyChangeCreate, events.PolicyChangeIssue},
		Endpoint: socotra.Endpoint{URL: "https://app.example/hook", Headers: socotra.Headers{"X-One": {"1"}},
			HMAC: true, Secret: "old-secret-0123456789abcdef0123", Tag: "v1"},
		Failure: &socotra.FailureHandling{Triggers: []string{"5xx", "timeout"}, Divert: true,
			Retry:         &socotra.RetryStrategy{Type: socotra.RetryLinear, Interval: 10, Attempts: 5},
			AlertEndpoint: &socotra.Endpoint{URL: "https://app.example/alert"}},
	}
	newHook := func(t *testing.T, name string) socotra.Webhook {
		t.Helper()
		wh := full
		wh.Name = name
		got, err := c.CreateWebhook(ctx, wh)
		if err != nil {
			t.Fatal(err)
		}
		w.take()
		return got
	}
	reg := socotra.Registration{Name: "reg", URL: full.Endpoint.URL, Events: full.Events, Headers: full.Endpoint.Headers,
		Secret: full.Endpoint.Secret.Reveal(), Tag: "v1", Failure: full.Failure}
	tests := []struct {
		name  string
		patch func(t *testing.T, before socotra.Webhook) // sends one PATCH
		want  func(before socotra.Webhook) socotra.Webhook
		calls []string // methods sent, in order
	}{
		{
			name: "UpdateWebhook, enabled only",
			patch: func(t *testing.T, before socotra.Webhook) {
				if _, err := c.UpdateWebhook(ctx, before.Locator, socotra.WebhookUpdate{Enabled: new(false)}); err != nil {
					t.Fatal(err)
				}
			},
			want:  func(w socotra.Webhook) socotra.Webhook { w.Enabled = false; return w },
			calls: []string{"GET", "PATCH"},
		},
		{
			name: "UpdateWebhook, an event type only",
			patch: func(t *testing.T, before socotra.Webhook) {
				u := socotra.WebhookUpdate{AddEvents: []events.Name{events.PolicyCancellationIssue}}
				if _, err := c.UpdateWebhook(ctx, before.Locator, u); err != nil {
					t.Fatal(err)
				}
			},
			want: func(w socotra.Webhook) socotra.Webhook {
				w.Events = append(slices.Clone(w.Events), events.PolicyCancellationIssue)
				return w
			},
			calls: []string{"GET", "PATCH"},
		},
		{
			name: "UpdateWebhook, a header and the TLS check",
			patch: func(t *testing.T, before socotra.Webhook) {
				u := socotra.WebhookUpdate{Endpoint: &socotra.EndpointUpdate{AddHeaders: socotra.Headers{"X-Two": {"2"}}, InsecureSkipVerify: new(true)}}
				if _, err := c.UpdateWebhook(ctx, before.Locator, u); err != nil {
					t.Fatal(err)
				}
			},
			want: func(w socotra.Webhook) socotra.Webhook {
				w.Endpoint.Headers = socotra.Headers{"X-One": {"1"}, "X-Two": {"2"}}
				w.Endpoint.InsecureSkipVerify = true
				return w
			},
			calls: []string{"GET", "PATCH"},
		},
		{
			name: "Reconcile, name only",
			patch: func(t *testing.T, before socotra.Webhook) {
				desired := before
				desired.Name = "renamed"
				if _, err := c.Reconcile(ctx, before.Locator, desired); err != nil {
					t.Fatal(err)
				}
			},
			want:  func(w socotra.Webhook) socotra.Webhook { w.Name = "renamed"; return w },
			calls: []string{"GET", "PATCH"},
		},
		{
			name: "Registrar, one more event type",
			patch: func(t *testing.T, before socotra.Webhook) {
				r := reg
				r.Name = before.Name
				r.Events = append(slices.Clone(r.Events), events.PolicyCancellationIssue)
				if err := c.Registrar().Register(ctx, r); err != nil {
					t.Fatal(err)
				}
			},
			want: func(w socotra.Webhook) socotra.Webhook {
				w.Events = append(slices.Clone(w.Events), events.PolicyCancellationIssue)
				return w
			},
			calls: []string{"GET", "GET", "PATCH"}, // the list by name, the webhook, the PATCH
		},
		{
			name: "RotateSecret",
			patch: func(t *testing.T, before socotra.Webhook) {
				ring, err := hmac.NewKeyringVerifier([]hmac.Key{{Secret: []byte(full.Endpoint.Secret.Reveal()), Tag: "v1"}})
				if err != nil {
					t.Fatal(err)
				}
				rot := socotra.Rotation{Name: before.Name, Secret: "new-secret-0123456789abcdef0123", Tag: "v2", Grace: time.Hour}
				if err := socotra.RotateSecret(ctx, c.Registrar(), ring, rot); err != nil {
					t.Fatal(err)
				}
			},
			want: func(w socotra.Webhook) socotra.Webhook {
				w.Endpoint.Secret, w.Endpoint.Tag = "new-secret-0123456789abcdef0123", "v2"
				return w
			},
			calls: []string{"GET", "GET", "GET", "PATCH"}, // the list of registrations, then as Registrar
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := newHook(t, "hook "+tt.name)
			tt.patch(t, before)
			calls := w.take()
			var methods []string
			for _, s := range calls {
				methods = append(methods, s.method)
				if s.method == http.MethodPatch {
					checkRequired(t, s.body)
				}
			}
			if !slices.Equal(methods, tt.calls) {
				t.Errorf("requests %q, want %q", methods, tt.calls)
			}
			after, err := c.Webhook(ctx, before.Locator)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want(before), after); d != "" {
				t.Errorf("webhook after the PATCH (-want +got):\n%s", d)
			}
		})
	}
}

// TestCreateSendsDefaultFailureHandling: a Webhook without Failure is
// created with the platform default stated, and with secureSsl.
func TestCreateSendsDefaultFailureHandling(t *testing.T) {
	t.Parallel()
	c, w := wiredClient(t, newFake(t))
	created, err := c.CreateWebhook(t.Context(), socotra.Webhook{Name: "plain", Enabled: true,
		Events: []events.Name{events.PolicyChangeCreate}, Endpoint: socotra.Endpoint{URL: "https://app.example/hook"}})
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Endpoint        map[string]json.RawMessage `json:"endpoint"`
		FailureHandling map[string]json.RawMessage `json:"failureHandling"`
	}
	calls := w.take()
	if len(calls) != 1 || json.Unmarshal(calls[0].body, &body) != nil {
		t.Fatalf("requests %+v", calls)
	}
	if got := string(body.Endpoint["secureSsl"]); got != "true" {
		t.Errorf("secureSsl = %s, want true", got)
	}
	want := map[string]string{"triggers": `["4xx","5xx","timeout"]`, "divert": "false", "suspend": "false"}
	got := map[string]string{}
	for k, v := range body.FailureHandling {
		got[k] = string(v)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("failureHandling (-want +got):\n%s", d)
	}
	if d := cmp.Diff(socotra.DefaultFailureHandling(), *created.Failure); d != "" {
		t.Errorf("stored failure handling (-want +got):\n%s", d)
	}
}
