package socotra_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// These tests run the facade against the fake tenant of socotratest.

func newFake(t *testing.T, opts ...socotratest.Option) *socotratest.Server {
	t.Helper()
	srv := socotratest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

func coreClient(t *testing.T, srv *socotratest.Server) *socotra.CoreClient {
	t.Helper()
	c, err := socotra.NewCoreClient(srv.URL(), srv.TenantLocator(), srv.CoreToken())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func legacyClient(t *testing.T, srv *socotratest.Server, opts ...socotra.Option) *socotra.LegacyClient {
	t.Helper()
	u, p, h := srv.LegacyCredentials()
	au, ap := srv.LegacyAdminCredentials()
	c, err := socotra.NewLegacyClient(srv.URL(), socotra.LegacyCredentials{
		Username: u, Password: p, HostName: h, AdminUsername: au, AdminPassword: ap}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// receiver counts deliveries that pass the verifier.
func receiver(t *testing.T, v *hmac.Verifier) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	h := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	if v != nil {
		h = v.Middleware(h)
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s, &n
}

func TestFakeRegistrar(t *testing.T) {
	t.Parallel()
	for _, platform := range []string{"core", "legacy"} {
		t.Run(platform, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			srv := newFake(t)
			var reg socotra.Registrar
			// Names each platform sends: create, issue, cancel.
			create, issue, cancel := events.PolicyChangeCreate, events.PolicyChangeIssue, events.PolicyCancellationIssue
			if platform == "core" {
				reg = coreClient(t, srv).Registrar()
			} else {
				reg = legacyClient(t, srv).Registrar()
				create, issue, cancel = events.PolicyCreate, events.PolicyIssue, events.PolicyCancel
			}
			r := socotra.Registration{
				Name: "app-1/orders", URL: "http://127.0.0.1:1/orders",
				Events:  []events.Name{create, issue},
				Headers: map[string][]string{"X-App": {"one"}},
			}
			if platform == "core" {
				r.Secret, r.Tag = "s3cret-one", "v1"
			}
			if err := reg.Register(ctx, r); err != nil {
				t.Fatal(err)
			}
			r.Events = []events.Name{issue, cancel}
			r.Headers = map[string][]string{"X-App": {"two"}}
			if err := reg.Register(ctx, r); err != nil { // update in place
				t.Fatal(err)
			}
			other := socotra.Registration{Name: "other/x", URL: "http://127.0.0.1:1/x", Events: []events.Name{create}}
			if err := reg.Register(ctx, other); err != nil {
				t.Fatal(err)
			}
			hooks := srv.Webhooks()
			if len(hooks) != 2 {
				t.Fatalf("fake has %d webhooks, want 2: %+v", len(hooks), hooks)
			}
			got, err := reg.Registrations(ctx, "app-1/")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Name != r.Name || got[0].URL != r.URL ||
				!cmp.Equal(sorted(got[0].Events), sorted(r.Events)) || !cmp.Equal(got[0].Headers["X-App"], []string{"two"}) {
				t.Errorf("Registrations = %v", got)
			}
			if err := reg.Unregister(ctx, r.Name); err != nil {
				t.Fatal(err)
			}
			if err := reg.Unregister(ctx, r.Name); err != nil {
				t.Errorf("second Unregister: %v", err)
			}
			if got, _ := reg.Registrations(ctx, "app-1/"); len(got) != 0 {
				t.Errorf("after Unregister: %v", got)
			}
			if hooks := srv.Webhooks(); len(hooks) != 1 || hooks[0].Name != "other/x" {
				t.Errorf("fake keeps %+v", hooks)
			}
			if platform == "legacy" {
				ins, err := legacyClient(t, srv).Integrations(ctx)
				if err != nil || len(ins) != 1 || ins[0].Name != "other/x" {
					t.Errorf("integrations after Unregister = %v, %v", ins, err)
				}
			}
		})
	}
}

func sorted(n []events.Name) []events.Name {
	n = slices.Clone(n)
	slices.Sort(n)
	return n
}

func TestFakeCoreRegisterCollapsesDuplicates(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := newFake(t, socotratest.WithBareWebhookList())
	c := coreClient(t, srv)
	var locs []string
	for range 3 {
		w, err := c.CreateWebhook(ctx, socotra.Webhook{Name: "dup", Enabled: true, Events: []events.Name{events.PolicyChangeCreate},
			Endpoint: socotra.Endpoint{URL: "http://127.0.0.1:1/d"}})
		if err != nil {
			t.Fatal(err)
		}
		locs = append(locs, w.Locator)
	}
	slices.Sort(locs)
	err := c.Registrar().Register(ctx, socotra.Registration{Name: "dup", URL: "http://127.0.0.1:1/d2", Events: []events.Name{events.PolicyChangeIssue}})
	if err != nil {
		t.Fatal(err)
	}
	hooks := srv.Webhooks()
	if len(hooks) != 1 || hooks[0].ID != locs[0] || hooks[0].URL != "http://127.0.0.1:1/d2" {
		t.Errorf("after Register: %+v; want only %s, updated", hooks, locs[0])
	}
}

func TestFakeCoreWebhooksPaging(t *testing.T) {
	t.Parallel()
	for _, bare := range []bool{false, true} {
		t.Run(map[bool]string{false: "envelope", true: "bare"}[bare], func(t *testing.T) {
			t.Parallel()
			var opts []socotratest.Option
			if bare {
				opts = append(opts, socotratest.WithBareWebhookList())
			}
			srv := newFake(t, opts...)
			c := coreClient(t, srv)
			for i := range 7 {
				w, err := c.CreateWebhook(t.Context(), socotra.Webhook{Name: "w" + string(rune('a'+i)), Enabled: true,
					Events: []events.Name{events.PolicyChangeCreate}, Endpoint: socotra.Endpoint{URL: "http://127.0.0.1:1/w"}})
				if err != nil {
					t.Fatal(err)
				}
				if i%2 != 0 {
					if _, err := c.UpdateWebhook(t.Context(), w.Locator, socotra.WebhookUpdate{Enabled: new(false)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			var all, enabled []string
			for w, err := range c.Webhooks(t.Context(), socotra.WebhookFilter{PageSize: 3}) {
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, w.Name)
			}
			yes := true
			for w, err := range c.Webhooks(t.Context(), socotra.WebhookFilter{PageSize: 2, Enabled: &yes}) {
				if err != nil {
					t.Fatal(err)
				}
				enabled = append(enabled, w.Name)
			}
			if len(all) != 7 || !cmp.Equal(enabled, []string{"wa", "wc", "we", "wg"}) {
				t.Errorf("all = %v, enabled = %v", all, enabled)
			}
		})
	}
}

// TestFakeRotateSecret rotates a Core webhook's secret while an hmac
// keyring verifies the deliveries: events signed with the new secret pass,
// and the old key is set to retire after the grace period.
func TestFakeRotateSecret(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := newFake(t)
	c := coreClient(t, srv)
	v, err := hmac.NewKeyringVerifier([]hmac.Key{{Secret: []byte("old-secret-1"), Tag: "v1"}})
	if err != nil {
		t.Fatal(err)
	}
	recv, passed := receiver(t, v)
	reg := c.Registrar()
	r := socotra.Registration{Name: "rot", URL: recv.URL, Events: []events.Name{events.PolicyChangeCreate}, Secret: "old-secret-1", Tag: "v1"}
	if err := reg.Register(ctx, r); err != nil {
		t.Fatal(err)
	}
	emit := func() {
		t.Helper()
		if _, err := srv.EmitCore(ctx, events.PolicyChangeCreate, map[string]string{"policyLocator": "P1"}); err != nil {
			t.Fatal(err)
		}
		if err := srv.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	emit()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err = socotra.RotateSecret(ctx, reg, v, socotra.Rotation{Name: "rot", Secret: "new-secret-2", Tag: "v2", Grace: time.Hour,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	emit()
	hooks := srv.Webhooks()
	if len(hooks) != 1 || hooks[0].Secret != "new-secret-2" || hooks[0].Tag != "v2" || !hooks[0].HMAC {
		t.Errorf("webhook after rotation: %+v", hooks)
	}
	if passed.Load() != 2 {
		t.Errorf("%d deliveries passed verification, want 2", passed.Load())
	}
	keys := v.Keys()
	i := slices.IndexFunc(keys, func(k hmac.Key) bool { return k.Tag == "v1" })
	if i < 0 || !keys[i].NotAfter.Equal(now.Add(time.Hour)) {
		t.Errorf("old key = %+v; want it retired at now+1h", keys)
	}
	if err := socotra.RotateSecret(ctx, reg, v, socotra.Rotation{Name: "missing", Secret: "x-secret", Tag: "v9"}); !errors.Is(err, socotra.ErrNotFound) {
		t.Errorf("rotating an unknown registration: %v", err)
	}
	if err := socotra.RotateSecret(ctx, reg, v, socotra.Rotation{Name: "rot", Secret: "x-secret", Tag: "v2"}); !errors.Is(err, socotra.ErrInvalidInput) {
		t.Errorf("rotating to the current tag: %v", err)
	}
}

func TestFakeEventStreamAndDiverted(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := newFake(t)
	c := coreClient(t, srv)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer failing.Close()
	w, err := c.CreateWebhook(ctx, socotra.Webhook{Name: "div", Enabled: true, Events: []events.Name{events.PolicyChangeIssue},
		Endpoint: socotra.Endpoint{URL: failing.URL}, Failure: &socotra.FailureHandling{Triggers: []string{"5xx"}, Divert: true}})
	if err != nil {
		t.Fatal(err)
	}
	var emitted []string
	for _, typ := range []events.Name{events.PolicyChangeCreate, events.PolicyChangeIssue, events.PolicyChangeCreate, events.PolicyChangeIssue, events.PolicyChangeCreate} {
		e, err := srv.EmitCore(ctx, typ, map[string]string{"policyLocator": "P"})
		if err != nil {
			t.Fatal(err)
		}
		emitted = append(emitted, e.ID)
	}
	if err := srv.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	s := c.EventStream(socotra.EventQuery{PageSize: 2})
	var got []string
	for e, err := range s.Events(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.ID)
	}
	if !cmp.Equal(got, emitted) {
		t.Errorf("stream = %v, want %v", got, emitted)
	}
	var issues []string
	for e, err := range c.EventStream(socotra.EventQuery{Type: events.PolicyChangeIssue}).Events(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		issues = append(issues, e.ID)
	}
	if !cmp.Equal(issues, []string{emitted[1], emitted[3]}) {
		t.Errorf("filtered stream = %v", issues)
	}
	one, err := c.Event(ctx, emitted[0])
	if err != nil || one.Type != events.PolicyChangeCreate {
		t.Errorf("Event = %+v, %v", one, err)
	}
	if byReq, err := c.EventsForRequest(ctx, one.RequestID); err != nil || len(byReq) == 0 {
		t.Errorf("EventsForRequest(%q) = %v, %v", one.RequestID, byReq, err)
	}

	var div []socotra.DivertedEvent
	for d, err := range c.DivertedEvents(ctx, w.Locator) {
		if err != nil {
			t.Fatal(err)
		}
		div = append(div, d)
	}
	ids := []string{}
	for _, d := range div {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	want := []string{emitted[1], emitted[3]}
	slices.Sort(want)
	if !cmp.Equal(ids, want) || div[0].Trigger != "5xx" {
		t.Fatalf("diverted = %+v, want events %v", div, want)
	}
	if d, err := c.DivertedEvent(ctx, w.Locator, div[0].ID); err != nil || d.ID != div[0].ID {
		t.Errorf("DivertedEvent = %+v, %v", d, err)
	}
	if err := c.ResendDivertedEvent(ctx, w.Locator, div[0].ID); err != nil {
		t.Errorf("Resend: %v", err)
	}
	if err := c.DeleteDivertedEvent(ctx, w.Locator, div[1].ID); err != nil {
		t.Errorf("Delete: %v", err)
	}
	_, err = c.DivertedEvent(ctx, w.Locator, div[1].ID)
	if !errors.Is(err, socotra.ErrNotFound) {
		t.Errorf("deleted diverted event: %v", err)
	}
}

// TestFakeLegacyTokenExpiry drives the fake's clock past token expiry: with
// the client sharing the clock it renews before expiry; with a client whose
// clock lags it gets a 401, renews once and succeeds.
func TestFakeLegacyTokenExpiry(t *testing.T) {
	t.Parallel()
	for _, shared := range []bool{true, false} {
		t.Run(map[bool]string{true: "shared clock", false: "lagging clock"}[shared], func(t *testing.T) {
			t.Parallel()
			start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			clock := socotratest.NewFakeClock(start)
			srv := newFake(t, socotratest.WithClock(clock), socotratest.WithTokenTTL(10*time.Minute))
			clientNow := clock.Now
			if !shared {
				clientNow = func() time.Time { return start }
			}
			c := legacyClient(t, srv, socotra.WithClock(clientNow))
			for range 3 {
				for _, err := range c.Webhooks(t.Context()) {
					if err == nil {
						continue
					}
					t.Fatal(err)
				}
				clock.Advance(6 * time.Minute)
			}
			if _, err := c.Integrations(t.Context()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFakeLegacySecuritySpec registers on Legacy with a secret: an https URL
// gets the security spec; an http URL is refused before any call, since the
// platform refuses a security spec for it (seed 003) and the deliveries would
// not be signed; without a secret an http URL gets unsigned deliveries.
func TestFakeLegacySecuritySpec(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := newFake(t)
	reg := legacyClient(t, srv).Registrar()
	err := reg.Register(ctx, socotra.Registration{Name: "https", URL: "https://app.example/h", Events: []events.Name{events.PolicyCreate}, Secret: "sec-123", Tag: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	err = reg.Register(ctx, socotra.Registration{Name: "refused", URL: "http://app.example/h", Events: []events.Name{events.PolicyCreate}, Secret: "sec-123"})
	if !errors.Is(err, socotra.ErrInvalidInput) || !strings.Contains(err.Error(), "https URLs only") {
		t.Errorf("secret with an http URL: %v; want ErrInvalidInput saying https URLs only", err)
	}
	if err := reg.Register(ctx, socotra.Registration{Name: "http:", URL: "http://app.example/h", Events: []events.Name{events.PolicyCreate}}); err != nil {
		t.Fatal(err)
	}
	hooks := srv.Webhooks()
	byName := map[string]socotratest.Webhook{}
	for _, h := range hooks {
		byName[h.Name] = h
	}
	if h := byName["https"]; !h.HMAC || h.Secret != "sec-123" || h.Tag != "v1" || h.Integration != "https" {
		t.Errorf("https registration = %+v", h)
	}
	if h := byName["http:"]; h.HMAC || h.Secret != "" {
		t.Errorf("http registration = %+v; want no security spec", h)
	}
	regs, err := reg.Registrations(ctx, "https")
	if err != nil || len(regs) != 1 || regs[0].Secret != "sec-123" || regs[0].Tag != "v1" {
		t.Errorf("Registrations = %v, %v", regs, err)
	}
}

// TestFakeRegisterUnsuspends lets the fake suspend a webhook after a failed
// delivery; registering it again resumes it.
func TestFakeRegisterUnsuspends(t *testing.T) {
	t.Parallel()
	for _, platform := range []string{"core", "legacy"} {
		t.Run(platform, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			srv := newFake(t)
			failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
			defer failing.Close()
			var reg socotra.Registrar
			emit, issue := srv.EmitCore, events.PolicyChangeIssue
			if platform == "core" {
				reg = coreClient(t, srv).Registrar()
			} else {
				reg = legacyClient(t, srv).Registrar()
				emit, issue = srv.EmitLegacy, events.PolicyIssue
			}
			r := socotra.Registration{Name: "s", URL: failing.URL, Events: []events.Name{issue},
				Failure: &socotra.FailureHandling{Triggers: []string{"5xx"}, Suspend: true}}
			if err := reg.Register(ctx, r); err != nil {
				t.Fatal(err)
			}
			if _, err := emit(ctx, issue, map[string]any{"policyLocator": "P", "transactionLocator": "T"}); err != nil {
				t.Fatal(err)
			}
			if err := srv.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if h := srv.Webhooks(); len(h) != 1 || !h[0].Suspended {
				t.Fatalf("fake did not suspend: %+v", h)
			}
			if err := reg.Register(ctx, r); err != nil {
				t.Fatal(err)
			}
			if h := srv.Webhooks(); h[0].Suspended {
				t.Errorf("still suspended after Register: %+v", h[0])
			}
		})
	}
}

// TestFakeRotateSecretLegacy rotates a Legacy registration: the
// integration's security spec carries the new secret and tag.
func TestFakeRotateSecretLegacy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := newFake(t)
	reg := legacyClient(t, srv).Registrar()
	r := socotra.Registration{Name: "rot", URL: "https://app.example/h", Events: []events.Name{events.PolicyIssue},
		Secret: "old-secret-1", Tag: "v1", Headers: map[string][]string{"X-App": {"a"}}}
	if err := reg.Register(ctx, r); err != nil {
		t.Fatal(err)
	}
	v, err := hmac.NewKeyringVerifier([]hmac.Key{{Secret: []byte("old-secret-1"), Tag: "v1"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := socotra.RotateSecret(ctx, reg, v, socotra.Rotation{Name: "rot", Secret: "new-secret-2", Tag: "v2",
		Grace: 10 * time.Minute, Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	h := srv.Webhooks()
	if len(h) != 1 || h[0].Secret != "new-secret-2" || h[0].Tag != "v2" || h[0].URL != r.URL || h[0].Headers.Get("X-App") != "a" {
		t.Errorf("after rotation: %+v", h)
	}
	if len(v.Keys()) != 2 {
		t.Errorf("keyring = %+v, want the old and the new key", v.Keys())
	}
}
