package socotratest_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// TestFacadeRegistrar runs the socotra package's registration lifecycle against the fake tenant on
// both platforms and checks that a registered receiver gets signed deliveries.
func TestFacadeRegistrar(t *testing.T) {
	t.Parallel()
	for _, platform := range []events.Platform{events.Core, events.Legacy} {
		t.Run(platform.String(), func(t *testing.T) {
			t.Parallel()
			rcv := newTLSReceiver(t, nil)
			s := newServer(t, socotratest.WithHTTPClient(rcv.Client()))
			var reg socotra.Registrar
			if platform == events.Core {
				c, err := socotra.NewCoreClient(s.URL(), s.TenantLocator(), s.CoreToken())
				if err != nil {
					t.Fatal(err)
				}
				reg = c.Registrar()
			} else {
				user, pass, host := s.LegacyCredentials()
				admin, adminPass := s.LegacyAdminCredentials()
				c, err := socotra.NewLegacyClient(s.URL(), socotra.LegacyCredentials{
					Username: user, Password: pass, HostName: host, AdminUsername: admin, AdminPassword: adminPass})
				if err != nil {
					t.Fatal(err)
				}
				reg = c.Registrar()
			}
			issue, cancel := events.PolicyChangeIssue, events.PolicyCancellationIssue // names the platform sends
			if platform == events.Legacy {
				issue, cancel = events.PolicyIssue, events.PolicyCancel
			}
			want := socotra.Registration{Name: "acme/app/hook", URL: rcv.URL, Events: []events.Name{issue},
				Secret: "k1", Headers: map[string][]string{"X-App": {"acme"}}}
			if err := reg.Register(t.Context(), want); err != nil {
				t.Fatal(err)
			}
			want.Events = append(want.Events, cancel)
			if err := reg.Register(t.Context(), want); err != nil { // updates in place
				t.Fatal(err)
			}
			got, err := reg.Registrations(t.Context(), "acme/")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Name != want.Name || got[0].URL != want.URL || !slices.Equal(got[0].Events, want.Events) {
				t.Errorf("registrations %v, want [%v]", got, want)
			}
			if diff := cmp.Diff(want.Headers, got[0].Headers); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
			if n := len(s.Webhooks()); n != 1 {
				t.Errorf("%d webhooks on the tenant after registering twice, want 1", n)
			}

			if _, err := s.Emit(t.Context(), platform, socotratest.Event{Type: cancel}); err != nil {
				t.Fatal(err)
			}
			flush(t, s)
			req := rcv.requests()
			v, _ := hmac.NewVerifier([]byte("k1"))
			if len(req) != 1 || req[0].header.Get("X-App") != "acme" || v.Verify(req[0].body, req[0].header) != nil {
				t.Errorf("delivery after Register: %d requests %+v", len(req), req)
			}

			if err := reg.Unregister(t.Context(), want.Name); err != nil {
				t.Fatal(err)
			}
			if err := reg.Unregister(t.Context(), want.Name); err != nil {
				t.Errorf("second Unregister: %v, want nil for an absent webhook", err)
			}
			if w := s.Webhooks(); len(w) != 0 {
				t.Errorf("webhooks left after Unregister: %+v", w)
			}
		})
	}
}

// TestFacadeRegisterRemovesRacedDuplicates: two instances created the same name; Register keeps
// the lowest locator and deletes the other.
func TestFacadeRegisterRemovesRacedDuplicates(t *testing.T) {
	t.Parallel()
	s := newServer(t, socotratest.WithBareWebhookList())
	gen := coreClient(t, s)
	first := hookFor("https://example.test/a", "policy.change.issue")
	first.Name = "dup"
	a := createCore(t, gen, s, first)
	createCore(t, gen, s, first)
	c, err := socotra.NewCoreClient(s.URL(), s.TenantLocator(), s.CoreToken())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Registrar().Register(t.Context(), socotra.Registration{Name: "dup", URL: "https://example.test/b",
		Events: []events.Name{events.PolicyChangeIssue}}); err != nil {
		t.Fatal(err)
	}
	w := s.Webhooks()
	if len(w) != 1 || w[0].ID != a.Locator || w[0].URL != "https://example.test/b" {
		t.Errorf("webhooks %+v, want only %s, updated", w, a.Locator)
	}
}
