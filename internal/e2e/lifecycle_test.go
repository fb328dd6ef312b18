package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// appManifest declares the webhooks numbered pick (0 to 2), for events both platforms send.
func appManifest(t *testing.T, platform string, pick ...int) *manifest.Manifest {
	t.Helper()
	entries := []string{
		`{"path": "/hooks/quotes", "events": ["policy.quote.create"]}`,
		`{"path": "/hooks/accepted", "events": ["policy.quote.accept"]}`,
		`{"path": "/hooks/discarded", "events": ["policy.quote.discard"]}`,
	}
	var chosen []string
	for _, i := range pick {
		chosen = append(chosen, entries[i])
	}
	m, err := manifest.Parse(fmt.Appendf(nil, `{"name": "acme/bridge", "version": "1.0.0", "targetPlatform": %q,
		"socotra": {"webhooks": [%s]}}`, platform, strings.Join(chosen, ",")))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var errDied = errors.New("process died")

// dyingRegistrar passes calls to a real Registrar until its process dies, on Register number dieAt; from
// then on every call fails, so a Lifecycle cannot roll back what it registered.
type dyingRegistrar struct {
	socotra.Registrar
	mu      sync.Mutex
	dieAt   int
	calls   int
	dead    bool
	onDeath func() // run at the moment of death, instead of failing calls, when set (a cancelled context)
}

func (d *dyingRegistrar) alive() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.dead
}

func (d *dyingRegistrar) Register(ctx context.Context, r socotra.Registration) error {
	d.mu.Lock()
	d.calls++
	if d.calls == d.dieAt {
		if d.onDeath != nil {
			d.onDeath()
		} else {
			d.dead = true
		}
	}
	d.mu.Unlock()
	if !d.alive() {
		return errDied
	}
	return d.Registrar.Register(ctx, r)
}

func (d *dyingRegistrar) Registrations(ctx context.Context, prefix string) ([]socotra.Registration, error) {
	if !d.alive() {
		return nil, errDied
	}
	return d.Registrar.Registrations(ctx, prefix)
}

func (d *dyingRegistrar) Unregister(ctx context.Context, name string) error {
	if !d.alive() {
		return errDied
	}
	return d.Registrar.Unregister(ctx, name)
}

// lifecycleTenant is a fake tenant with a Registrar of the chosen platform and a way to list what is left
// on it: webhooks and, on Legacy, integrations.
type lifecycleTenant struct {
	srv      *socotratest.Server
	reg      socotra.Registrar
	platform string // manifest targetPlatform
	leftover func(t *testing.T) []string
}

func newLifecycleTenant(t *testing.T, p events.Platform) *lifecycleTenant {
	t.Helper()
	lt := &lifecycleTenant{srv: socotratest.NewServer()}
	t.Cleanup(lt.srv.Close)
	webhooks := func() []string {
		var out []string
		for _, w := range lt.srv.Webhooks() {
			out = append(out, "webhook "+w.Name)
		}
		return out
	}
	if p == events.Core {
		c, err := socotra.NewCoreClient(lt.srv.URL(), lt.srv.TenantLocator(), lt.srv.CoreToken())
		if err != nil {
			t.Fatal(err)
		}
		lt.reg, lt.platform = c.Registrar(), "EnterpriseCore"
		lt.leftover = func(*testing.T) []string { return webhooks() }
		return lt
	}
	user, pass, host := lt.srv.LegacyCredentials()
	admin, adminPass := lt.srv.LegacyAdminCredentials()
	c, err := socotra.NewLegacyClient(lt.srv.URL(), socotra.LegacyCredentials{
		Username: user, Password: pass, HostName: host, AdminUsername: admin, AdminPassword: adminPass,
	})
	if err != nil {
		t.Fatal(err)
	}
	lt.reg, lt.platform = c.Registrar(), "ConnectedCore"
	lt.leftover = func(t *testing.T) []string {
		out := webhooks()
		ins, err := c.Integrations(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range ins {
			out = append(out, "integration "+in.Name)
		}
		return out
	}
	return lt
}

// The app's Start is interrupted after two of its three webhooks were registered: by a crash (nothing can
// be rolled back) or by a cancelled context (Start rolls back). Either way the next Start leaves exactly the
// manifest's webhooks, each once, including when the manifest has meanwhile lost an entry registered before
// the interruption; and Stop leaves nothing on the tenant.
func TestLifecycleInterruptedHalfway(t *testing.T) {
	t.Parallel()
	for _, p := range []events.Platform{events.Core, events.Legacy} {
		for _, crash := range []bool{true, false} {
			for _, entries := range [][]int{{0, 1, 2}, {1, 2}} {
				name := fmt.Sprintf("%s/crash=%t/next start with entries %v", p, crash, entries)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					lt := newLifecycleTenant(t, p)
					ctx, cancel := context.WithCancel(t.Context())
					defer cancel()
					dying := &dyingRegistrar{Registrar: lt.reg, dieAt: 3}
					if !crash {
						dying.onDeath = cancel
					}
					first, err := socotra.NewLifecycle(appManifest(t, lt.platform, 0, 1, 2), "https://app.example", dying)
					if err != nil {
						t.Fatal(err)
					}
					if err := first.Start(ctx); err == nil {
						t.Fatal("interrupted Start returned nil")
					}
					left := lt.leftover(t)
					if crash && len(left) == 0 {
						t.Fatal("the crash left nothing behind; the test proves nothing")
					}
					if !crash && len(left) != 0 {
						t.Errorf("after a cancelled Start, left on the tenant: %v; want it rolled back", left)
					}

					next, err := socotra.NewLifecycle(appManifest(t, lt.platform, entries...), "https://app.example", lt.reg)
					if err != nil {
						t.Fatal(err)
					}
					if err := next.Start(t.Context()); err != nil {
						t.Fatal(err)
					}
					if n := len(next.Registrations()); n != len(entries) {
						t.Fatalf("the next Start has %d registrations for %d manifest entries", n, len(entries))
					}
					var want []string
					for _, r := range next.Registrations() {
						want = append(want, "webhook "+r.Name)
						if p == events.Legacy {
							want = append(want, "integration "+r.Name)
						}
					}
					got := lt.leftover(t)
					slices.Sort(got)
					slices.Sort(want)
					if !slices.Equal(got, want) {
						t.Errorf("after the next Start the tenant has\n%v\nwant exactly\n%v", got, want)
					}
					if err := next.Stop(t.Context()); err != nil {
						t.Fatal(err)
					}
					if left := lt.leftover(t); len(left) != 0 {
						t.Errorf("after Stop, left on the tenant: %v", left)
					}
				})
			}
		}
	}
}
