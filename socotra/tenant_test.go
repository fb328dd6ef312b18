package socotra_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// tenantPlatforms builds a Registrar against the fake tenant for each
// platform, and counts the tenant's webhooks (duplicates included, which
// Registrations does not show).
var tenantPlatforms = []struct {
	name     string
	platform events.Platform
	connect  func(t *testing.T, s *socotratest.Server) socotra.Registrar
	count    func(t *testing.T, s *socotratest.Server) int
}{
	{"core", events.Core, func(t *testing.T, s *socotratest.Server) socotra.Registrar {
		c, err := socotra.NewCoreClient(s.URL(), s.TenantLocator(), s.CoreToken())
		if err != nil {
			t.Fatal(err)
		}
		return c.Registrar()
	}, func(t *testing.T, s *socotratest.Server) int {
		c, err := socotra.NewCoreClient(s.URL(), s.TenantLocator(), s.CoreToken())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, err := range c.Webhooks(t.Context(), socotra.WebhookFilter{}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}},
	{"legacy", events.Legacy, func(t *testing.T, s *socotratest.Server) socotra.Registrar {
		user, pass, host := s.LegacyCredentials()
		admin, adminPass := s.LegacyAdminCredentials()
		c, err := socotra.NewLegacyClient(s.URL(), socotra.LegacyCredentials{Username: user, Password: pass, HostName: host,
			AdminUsername: admin, AdminPassword: adminPass})
		if err != nil {
			t.Fatal(err)
		}
		return c.Registrar()
	}, func(t *testing.T, s *socotratest.Server) int {
		user, pass, host := s.LegacyCredentials()
		c, err := socotra.NewLegacyClient(s.URL(), socotra.LegacyCredentials{Username: user, Password: pass, HostName: host})
		if err != nil {
			t.Fatal(err)
		}
		hooks, err := listAll(c.Webhooks(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		return len(hooks)
	}},
}

// tenantManifest is a valid manifest with one entry per path, each for an
// event both platforms publish.
func tenantManifest(t *testing.T, paths ...string) *manifest.Manifest {
	t.Helper()
	m := &manifest.Manifest{Name: "acme/claims", Version: "1.0.0"}
	both := []events.Name{"policy.quote.accept", "policy.quote.create", "policy.quote.discard"}
	for i, p := range paths {
		m.Socotra.Webhooks = append(m.Socotra.Webhooks, manifest.Webhook{Path: p, Events: both[i%len(both) : i%len(both)+1]})
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustLifecycle(t *testing.T, m *manifest.Manifest, url string, reg socotra.Registrar, opts ...socotra.LifecycleOption) *socotra.Lifecycle {
	t.Helper()
	l, err := socotra.NewLifecycle(m, url, reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// registered lists the registrations under prefix as "name url".
func registered(t *testing.T, reg socotra.Registrar, prefix string) []string {
	t.Helper()
	rs, err := reg.Registrations(context.WithoutCancel(t.Context()), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		out = append(out, r.Name+" "+r.URL+" ")
	}
	slices.Sort(out)
	return out
}

// failThird wraps a Registrar and fails its third Register call.
type failThird struct {
	socotra.Registrar
	calls atomic.Int64
}

var errInjected = errors.New("injected failure")

func (f *failThird) Register(ctx context.Context, r socotra.Registration) error {
	if f.calls.Add(1) == 3 {
		return fmt.Errorf("register %s: %w", r.Name, errInjected)
	}
	return f.Registrar.Register(ctx, r)
}

// tenantReceiver records the paths it is delivered to, and the last request.
type tenantReceiver struct {
	mu     sync.Mutex
	paths  []string
	header http.Header
	body   []byte
}

func (r *tenantReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.paths = append(r.paths, req.URL.Path)
	r.header, r.body = req.Header.Clone(), body
	r.mu.Unlock()
}

func (r *tenantReceiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(slices.Values(r.paths))
}

func emit(t *testing.T, s *socotratest.Server, p events.Platform, typ events.Name) {
	t.Helper()
	var err error
	if p == events.Core {
		_, err = s.EmitCore(t.Context(), typ, nil)
	} else {
		_, err = s.EmitLegacy(t.Context(), typ, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestTenantLifecycle(t *testing.T) {
	t.Parallel()
	for _, p := range tenantPlatforms {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			rec := &tenantReceiver{}
			// TLS, since Legacy accepts a secret for https URLs only (seed 003).
			app := httptest.NewTLSServer(rec)
			t.Cleanup(app.Close)
			tenant := socotratest.NewServer(socotratest.WithHTTPClient(app.Client()))
			t.Cleanup(tenant.Close)
			reg := p.connect(t, tenant)

			// Start registers <public URL><path> for each entry's events,
			// with the settings given in code.
			l := mustLifecycle(t, tenantManifest(t, "/in/a", "/in/b"), app.URL, reg,
				socotra.WithWebhookSettings("/in/a", socotra.WebhookSettings{Failure: &socotra.FailureHandling{Triggers: []string{"503"}, Divert: true}}),
				socotra.WithWebhookSettings("/in/b", socotra.WebhookSettings{Secret: "s3cret", Headers: map[string][]string{"X-App": {"claims"}}}))
			if err := l.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			regs, err := reg.Registrations(t.Context(), l.Prefix())
			if err != nil {
				t.Fatal(err)
			}
			if f := regs[0].Failure; f == nil || !f.Divert || !slices.Contains(f.Triggers, "503") {
				t.Errorf("failure handling of /in/a on the tenant = %+v, want divert on 503", f)
			}
			emit(t, tenant, p.platform, "policy.quote.create")
			if got := rec.got(); !slices.Equal(got, []string{"/in/b"}) {
				t.Errorf("deliveries after Start went to %q, want [/in/b]", got)
			}
			rec.mu.Lock()
			header, body := rec.header, rec.body
			rec.mu.Unlock()
			if header.Get("X-App") != "claims" {
				t.Errorf("delivery headers %v lack X-App: claims", header)
			}
			if sig := header.Get(hmac.HeaderName); sig != hmac.Sign([]byte("s3cret"), body) {
				t.Errorf("delivery signature %q does not match the entry's secret", sig)
			}

			// A restart updates in place: still one webhook per entry.
			restart := mustLifecycle(t, tenantManifest(t, "/in/a", "/in/b"), app.URL, p.connect(t, tenant))
			if err := restart.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			if n := p.count(t, tenant); n != 2 {
				t.Errorf("after restart the tenant has %d webhooks, want 2", n)
			}

			// The manifest changed: /in/b left, /in/c arrived.
			changed := mustLifecycle(t, tenantManifest(t, "/in/a", "/in/c"), app.URL, reg)
			if err := changed.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			got := registered(t, reg, l.Prefix())
			if len(got) != 2 || !strings.Contains(got[0]+got[1], app.URL+"/in/c ") || strings.Contains(got[0]+got[1], "/in/b") {
				t.Errorf("after the manifest changed: %q", got)
			}

			// Stop with an already cancelled context removes everything.
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if err := changed.Stop(ctx); err != nil {
				t.Fatalf("Stop after cancel: %v", err)
			}
			if got := registered(t, reg, ""); len(got) != 0 {
				t.Errorf("after Stop: %q", got)
			}
			emit(t, tenant, p.platform, "policy.quote.accept")
			if got := rec.got(); len(got) != 1 {
				t.Errorf("deliveries after Stop: %q", got)
			}
		})
	}
}

func TestTenantPartialFailure(t *testing.T) {
	t.Parallel()
	for _, p := range tenantPlatforms {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			tenant := socotratest.NewServer()
			t.Cleanup(tenant.Close)
			reg := p.connect(t, tenant)
			before := mustLifecycle(t, tenantManifest(t, "/a"), "http://127.0.0.1:1", reg)
			if err := before.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			l := mustLifecycle(t, tenantManifest(t, "/a", "/b", "/c", "/d"), "http://127.0.0.1:1", &failThird{Registrar: reg})
			err := l.Start(t.Context())
			if !errors.Is(err, errInjected) {
				t.Fatalf("Start = %v, want the injected failure", err)
			}
			// /b and /d were created by this Start and rolled back; /a existed before.
			got := registered(t, reg, "")
			if len(got) != 1 || !strings.HasPrefix(got[0], l.Registrations()[0].Name+" ") {
				t.Errorf("after rollback: %q, want only %s", got, l.Registrations()[0].Name)
			}
		})
	}
}

func TestTenantConcurrentStart(t *testing.T) {
	t.Parallel()
	for _, p := range tenantPlatforms {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			tenant := socotratest.NewServer()
			t.Cleanup(tenant.Close)
			m := tenantManifest(t, "/a", "/b", "/c")
			for round := range 3 {
				var wg sync.WaitGroup
				errs := make([]error, 2)
				for i := range errs {
					reg := p.connect(t, tenant) // each instance has its own client
					wg.Go(func() {
						l, err := socotra.NewLifecycle(m, "http://127.0.0.1:1", reg)
						if err == nil {
							err = l.Start(t.Context())
						}
						errs[i] = err
					})
				}
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if n := p.count(t, tenant); n != 3 {
					t.Fatalf("round %d: the tenant has %d webhooks, want one per entry (3)", round, n)
				}
			}
		})
	}
}

// listAll collects seq, stopping at its first error.
func listAll[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}
