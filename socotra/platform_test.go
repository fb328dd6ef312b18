package socotra_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// methodCounter counts the requests a client sends, by method.
type methodCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *methodCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	m.mu.Lock()
	m.n[r.Method]++
	m.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (m *methodCounter) count(method string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[method]
}

// TestCreateWebhookRefusesWhatNeverDelivers: each refusal matches
// ErrInvalidInput, says what is wrong, and sends nothing.
func TestCreateWebhookRefusesWhatNeverDelivers(t *testing.T) {
	t.Parallel()
	ok := socotra.Webhook{Name: "w", Enabled: true, Events: []events.Name{events.PolicyChangeIssue},
		Endpoint: socotra.Endpoint{URL: "https://app.example/h", HMAC: true, Secret: "s3cret"}}
	tests := []struct {
		name string
		edit func(w *socotra.Webhook)
		want []string
	}{
		{"legacy-only event", func(w *socotra.Webhook) { w.Events = []events.Name{events.ClaimCreate, events.PolicyChangeIssue} },
			[]string{`event "claim.create" is sent only by Legacy (Connected Core), never by Core (Enterprise Core)`, `"claim.fnol.create"`}},
		{"zero webhook", func(w *socotra.Webhook) {
			*w = socotra.Webhook{Name: "w", Endpoint: socotra.Endpoint{URL: "https://app.example/h"}}
		},
			[]string{"Enabled is false", "no EventTypes"}},
		{"disabled", func(w *socotra.Webhook) { w.Enabled = false }, []string{"Enabled is false, so it would never deliver"}},
		{"secret without hmac", func(w *socotra.Webhook) { w.Endpoint.HMAC = false }, []string{"a Secret without HMAC"}},
		{"hmac without secret", func(w *socotra.Webhook) { w.Endpoint.Secret = "" }, []string{"HMAC is set but Secret is empty"}},
		{"tag without secret", func(w *socotra.Webhook) { w.Endpoint.HMAC, w.Endpoint.Secret, w.Endpoint.Tag = false, "", "v1" }, []string{"a Tag needs a Secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t)
			c := coreClient(t, srv)
			w := ok
			tt.edit(&w)
			_, err := c.CreateWebhook(t.Context(), w)
			if !errors.Is(err, socotra.ErrInvalidInput) {
				t.Fatalf("CreateWebhook = %v; want ErrInvalidInput", err)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the secret: %v", err)
			}
			if n := len(srv.Webhooks()); n != 0 {
				t.Errorf("the tenant has %d webhooks; a refused create must send nothing", n)
			}
		})
	}
}

// TestUnknownEventPassesWithWarning: a well-formed name the SDK does not know
// registers, and the client's logger says so.
func TestUnknownEventPassesWithWarning(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	var logs bytes.Buffer
	c, err := socotra.NewCoreClient(srv.URL(), srv.TenantLocator(), srv.CoreToken(),
		socotra.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateWebhook(t.Context(), socotra.Webhook{Name: "w", Enabled: true, Events: []events.Name{"acme.fraud.flagged"},
		Endpoint: socotra.Endpoint{URL: "https://app.example/h"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "acme.fraud.flagged") {
		t.Errorf("log %q; want a warning naming the event", logs.String())
	}
}

// TestRegistrarsRefuseTheOtherPlatformsNames covers both registrars and
// Legacy PutWebhook: the error names the event and the platform, and nothing
// is created.
func TestRegistrarsRefuseTheOtherPlatformsNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		platform string
		event    events.Name
		want     string
	}{
		{"core", events.PolicyIssue, `event "policy.issue" is sent only by Legacy (Connected Core), never by Core (Enterprise Core)`},
		{"legacy", events.ClaimFnolCreate, `event "claim.fnol.create" is sent only by Core (Enterprise Core), never by Legacy (Connected Core)`},
	}
	for _, tt := range tests {
		t.Run(tt.platform, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t)
			var reg socotra.Registrar
			if tt.platform == "core" {
				reg = coreClient(t, srv).Registrar()
			} else {
				reg = legacyClient(t, srv).Registrar()
			}
			err := reg.Register(t.Context(), socotra.Registration{Name: "r", URL: "https://app.example/h", Events: []events.Name{tt.event}})
			if !errors.Is(err, socotra.ErrInvalidInput) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Register = %v; want ErrInvalidInput containing %q", err, tt.want)
			}
			if tt.platform == "legacy" {
				_, err := legacyClient(t, srv).PutWebhook(t.Context(), socotra.LegacyWebhook{Name: "p", IntegrationName: "p", Enabled: true,
					Events: []events.Name{tt.event}})
				if !errors.Is(err, socotra.ErrInvalidInput) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("PutWebhook = %v; want ErrInvalidInput containing %q", err, tt.want)
				}
			}
			if n := len(srv.Webhooks()); n != 0 {
				t.Errorf("the tenant has %d webhooks after refusals", n)
			}
		})
	}
}

// TestRegisterRecommendedFailureHandling: a registration without Failure
// gets retries and divert on both platforms, and registering it again sends
// no PATCH (Diff sees the stored defaults as unset).
func TestRegisterRecommendedFailureHandling(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := newFake(t)
	counter := &methodCounter{n: map[string]int{}}
	c, err := socotra.NewCoreClient(srv.URL(), srv.TenantLocator(), srv.CoreToken(),
		socotra.WithHTTPClient(&http.Client{Transport: counter}))
	if err != nil {
		t.Fatal(err)
	}
	r := socotra.Registration{Name: "r", URL: "https://app.example/h", Events: []events.Name{events.PolicyChangeIssue}}
	for range 3 {
		if err := c.Registrar().Register(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if n := counter.count(http.MethodPatch); n != 0 {
		t.Errorf("registering an unchanged registration sent %d PATCH requests, want 0", n)
	}
	hooks := srv.Webhooks()
	if len(hooks) != 1 {
		t.Fatalf("webhooks = %+v", hooks)
	}
	w, err := c.Webhook(ctx, hooks[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if f := w.Failure; f == nil || !f.Divert || f.Retry == nil || f.Retry.Attempts != 3 || f.Retry.Type != socotra.RetryExponential {
		t.Errorf("stored failure handling %+v; want the recommended retries and divert", f)
	}

	l := legacyClient(t, srv)
	if err := l.Registrar().Register(ctx, socotra.Registration{Name: "lr", URL: "https://app.example/l", Events: []events.Name{events.PolicyIssue}}); err != nil {
		t.Fatal(err)
	}
	lw, err := l.Webhook(ctx, "lr")
	if err != nil {
		t.Fatal(err)
	}
	if lw.Retry != socotra.LegacyRetryThree || lw.Failure == nil || lw.Failure.Mode != socotra.FailureDivert || !lw.Failure.OnTimeout {
		t.Errorf("legacy webhook %+v, failure %+v; want three retries, divert, on timeout", lw, lw.Failure)
	}
	for _, code := range lw.Failure.StatusCodes {
		if strings.Contains(code, "x") {
			t.Errorf("legacy status codes %q hold a class", lw.Failure.StatusCodes)
		}
	}
}

// TestDiffUnsetMatchesStored: what the platform stores for members left unset
// is no change.
func TestDiffUnsetMatchesStored(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	c := coreClient(t, srv)
	desired := socotra.Webhook{Name: "d", Enabled: true, Events: []events.Name{events.PolicyChangeIssue},
		Endpoint: socotra.Endpoint{URL: "https://app.example/d"},
		Failure:  &socotra.FailureHandling{Retry: &socotra.RetryStrategy{}, Divert: true}}
	w, err := c.CreateWebhook(t.Context(), desired)
	if err != nil {
		t.Fatal(err)
	}
	if u := socotra.Diff(w, desired); !u.IsZero() {
		t.Errorf("Diff(stored, desired) = %+v; want no change", u)
	}
	desired.Failure.Retry.Attempts = 5
	if u := socotra.Diff(w, desired); u.Failure == nil || u.Failure.Retry == nil || u.Failure.Retry.Attempts != 5 {
		t.Errorf("Diff after changing attempts = %+v; want the retry strategy", u)
	}
}

// TestLegacySettableMembers: resetAlertIntegrationName reaches the platform,
// and a class is refused as a status code.
func TestLegacySettableMembers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := newFake(t)
	l := legacyClient(t, srv)
	for _, name := range []string{"hook", "alerts"} {
		if _, err := l.CreateIntegration(ctx, socotra.Integration{Name: name, Type: socotra.IntegrationWebhook, URL: "https://app.example/" + name}); err != nil {
			t.Fatal(err)
		}
	}
	w := socotra.LegacyWebhook{Name: "hook", IntegrationName: "hook", AlertIntegrationName: "alerts", Enabled: true, Events: []events.Name{events.PolicyIssue}}
	got, err := l.PutWebhook(ctx, w)
	if err != nil || got.AlertIntegrationName != "alerts" {
		t.Fatalf("PutWebhook = %+v, %v", got, err)
	}
	w.AlertIntegrationName, w.ResetAlertIntegration = "", true
	if got, err = l.PutWebhook(ctx, w); err != nil || got.AlertIntegrationName != "" {
		t.Errorf("after reset: %+v, %v; want no alert integration", got, err)
	}
	w.ResetAlertIntegration = false
	w.Failure = &socotra.LegacyFailureHandling{StatusCodes: []string{"503", "5xx"}, Mode: socotra.FailureDivert}
	if _, err := l.PutWebhook(ctx, w); !errors.Is(err, socotra.ErrInvalidInput) || !strings.Contains(err.Error(), `"5xx" is not an HTTP status code`) {
		t.Errorf("PutWebhook with a class = %v; want ErrInvalidInput naming it", err)
	}
}

// TestUseAutomationPlugin reaches the tenant on create.
func TestUseAutomationPlugin(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	c := coreClient(t, srv)
	_, err := c.CreateWebhook(t.Context(), socotra.Webhook{Name: "a", Enabled: true, UseAutomationPlugin: true,
		Events: []events.Name{events.PolicyChangeIssue}, Endpoint: socotra.Endpoint{URL: "https://app.example/a"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{true}, automation(srv)); diff != "" {
		t.Errorf("useAutomationPlugin stored (-want +got):\n%s", diff)
	}
}

func automation(srv *socotratest.Server) []bool {
	var out []bool
	for _, w := range srv.Webhooks() {
		out = append(out, w.Automation)
	}
	return out
}

// TestLegacyEnumRefusalReachesTheCaller: a name the SDK does not know passes the client (with a
// warning) and the Legacy platform refuses it, as it takes only its enum; the error carries the
// integer codes of the ExceptionResponse and the field error.
func TestLegacyEnumRefusalReachesTheCaller(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	l := legacyClient(t, srv)
	if _, err := l.CreateIntegration(t.Context(), socotra.Integration{Name: "in", Type: socotra.IntegrationWebhook, URL: "https://app.example/h"}); err != nil {
		t.Fatal(err)
	}
	_, err := l.PutWebhook(t.Context(), socotra.LegacyWebhook{Name: "h", IntegrationName: "in", Enabled: true, Events: []events.Name{"acme.custom.thing"}}) // platform: refused on purpose
	var ae *socotra.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest || ae.Code != "400" ||
		len(ae.FieldErrors) != 1 || ae.FieldErrors[0].Field != "events[0]" || !strings.Contains(ae.FieldErrors[0].Message, "not a Legacy event type") {
		t.Errorf("PutWebhook with a name outside the enum = %#v", err)
	}
}
