package socotra

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/manifest"
)

// manifestNamed is testManifest with another app name.
func manifestNamed(t *testing.T, name string, paths ...string) *manifest.Manifest {
	t.Helper()
	m := testManifest(t, paths...)
	m.Name = name
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m
}

var namePattern = regexp.MustCompile(`^[a-z0-9-]*_[a-z0-9-]*_[0-9a-f]{12}_[a-z0-9-]+-[0-9a-f]{8}$`)

// TestNamesDoNotCollide starts app instances whose names used to reduce to one
// prefix on one tenant: neither may take or delete the other's webhooks.
func TestNamesDoNotCollide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		appA, instA string
		appB, instB string
	}{
		{"underscore and dash", "acme/claims", "eu_prod", "acme/claims", "eu-prod"},
		{"case", "acme/claims", "Prod", "acme/claims", "prod"},
		{"non-ASCII instances", "acme/claims", "生产", "acme/claims", "продакшн"},
		{"app punctuation", "acme/app.x", "default", "acme/app-x", "default"},
		{"long app names", "acme/" + strings.Repeat("a", 40) + "-one", "default", "acme/" + strings.Repeat("a", 40) + "-two", "default"},
		{"long instances", "acme/claims", strings.Repeat("i", 20) + "1", "acme/claims", strings.Repeat("i", 20) + "2"},
		{"length prefix", "acme/claims", "a1:b", "acme/claims", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg := newMem()
			a := mustLifecycle(t, manifestNamed(t, tt.appA, "/orders"), "https://a.example", reg, WithInstance(tt.instA))
			b := mustLifecycle(t, manifestNamed(t, tt.appB, "/orders"), "https://b.example", reg, WithInstance(tt.instB))
			if strings.HasPrefix(a.Prefix(), b.Prefix()) || strings.HasPrefix(b.Prefix(), a.Prefix()) {
				t.Fatalf("prefixes %q and %q overlap", a.Prefix(), b.Prefix())
			}
			for _, l := range []*Lifecycle{a, b} {
				for _, r := range l.Registrations() {
					if !namePattern.MatchString(r.Name) || len(r.Name) > 112 {
						t.Errorf("name %q is outside [a-z0-9_-] or longer than 112", r.Name)
					}
				}
			}
			ctx := t.Context()
			if err := a.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if err := b.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if err := a.Start(ctx); err != nil { // a restart removes only its own stale names
				t.Fatal(err)
			}
			got := state(t, reg, "")
			if len(got) != 2 || !strings.Contains(strings.Join(got, "\n"), "https://a.example/orders") ||
				!strings.Contains(strings.Join(got, "\n"), "https://b.example/orders") {
				t.Fatalf("after both started: %q; want one webhook each", got)
			}
			if err := b.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if got := state(t, reg, ""); len(got) != 1 || !strings.Contains(got[0], "https://a.example/orders") {
				t.Errorf("after b stopped: %q; want a's webhook only", got)
			}
		})
	}
}

// TestOldNamesCleanedOnce upgrades an instance whose webhooks carry names of
// the earlier scheme: Start removes its own old names once and nothing else.
func TestOldNamesCleanedOnce(t *testing.T) {
	t.Parallel()
	reg := newMem()
	ctx := t.Context()
	put := func(name, url string) {
		if err := reg.Register(ctx, Registration{Name: name, URL: url, Events: []events.Name{events.PolicyCreate}}); err != nil {
			t.Fatal(err)
		}
	}
	oldOrders := "acme-claims_eu_" + pathName("/orders")
	oldQuotes := "acme-claims_eu_" + pathName("/quotes")
	put(oldOrders, "https://a.example/orders")
	put(oldQuotes, "https://a.example/quotes")
	put("acme-claims_eu_"+pathName("/gone"), "https://a.example/gone") // not in the manifest: cannot be told apart from another's
	other := mustLifecycle(t, testManifest(t, "/orders"), "https://other.example", reg, WithInstance("EU"))
	if err := other.Start(ctx); err != nil {
		t.Fatal(err)
	}

	l := mustLifecycle(t, testManifest(t, "/orders", "/quotes"), "https://a.example", reg, WithInstance("eu"))
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	got := state(t, reg, "")
	for _, name := range []string{oldOrders, oldQuotes} {
		if slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, name+" ") }) {
			t.Errorf("old name %s survived the upgrade: %q", name, got)
		}
	}
	want := []string{"acme-claims_eu_" + pathName("/gone"), other.Registrations()[0].Name,
		l.Registrations()[0].Name, l.Registrations()[1].Name}
	var names []string
	for _, s := range got {
		names = append(names, strings.Fields(s)[0])
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("after the upgrade: %q\nwant names %q", names, want)
	}

	before := reg.calls.Load()
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// One listing and one Register per entry: no Unregister of old names again.
	if n := reg.calls.Load() - before; n != 1+2 {
		t.Errorf("second Start made %d calls; want %d", n, 3)
	}
	if err := l.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := state(t, reg, ""); len(got) != 2 {
		t.Errorf("after Stop: %q; want the other instance's and the unknown old name", got)
	}
}
