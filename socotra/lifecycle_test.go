package socotra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/manifest"
)

// memRegistrar is an in-memory Registrar that, like a real one,
// fails calls whose context is done.
type memRegistrar struct {
	mu    sync.Mutex
	regs  map[string]Registration
	calls atomic.Int64
}

func newMem() *memRegistrar { return &memRegistrar{regs: map[string]Registration{}} }

func (m *memRegistrar) Register(ctx context.Context, r Registration) error {
	m.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.regs[r.Name] = r
	return nil
}

func (m *memRegistrar) Registrations(ctx context.Context, prefix string) ([]Registration, error) {
	m.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Registration
	for name, r := range m.regs {
		if strings.HasPrefix(name, prefix) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (m *memRegistrar) Unregister(ctx context.Context, name string) error {
	m.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.regs, name)
	return nil
}

// failNth wraps a Registrar and fails its nth Register call (1-based).
type failNth struct {
	Registrar
	n     int64
	calls atomic.Int64
}

var errInjected = errors.New("injected failure")

func (f *failNth) Register(ctx context.Context, r Registration) error {
	if f.calls.Add(1) == f.n {
		return fmt.Errorf("register %s: %w", r.Name, errInjected)
	}
	return f.Registrar.Register(ctx, r)
}

// testManifest returns a valid manifest with one entry per path.
func testManifest(t *testing.T, paths ...string) *manifest.Manifest {
	t.Helper()
	m := &manifest.Manifest{Name: "acme/claims", Version: "1.0.0"}
	for i, p := range paths {
		evs := []events.Name{"policy.create"}
		if i%2 == 1 {
			evs = []events.Name{"invoice.issue", "policy.issue"}
		}
		m.Socotra.Webhooks = append(m.Socotra.Webhooks, manifest.Webhook{Path: p, Events: evs})
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m
}

// state lists the registrations under prefix as "name url events".
func state(t *testing.T, reg Registrar, prefix string) []string {
	t.Helper()
	rs, err := reg.Registrations(context.WithoutCancel(t.Context()), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		evs := slices.Clone(r.Events)
		slices.Sort(evs)
		out = append(out, fmt.Sprintf("%s %s %v", r.Name, r.URL, evs))
	}
	slices.Sort(out)
	return out
}

func mustLifecycle(t *testing.T, m *manifest.Manifest, url string, reg Registrar, opts ...LifecycleOption) *Lifecycle {
	t.Helper()
	l, err := NewLifecycle(m, url, reg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLifecycleNames(t *testing.T) {
	t.Parallel()
	l := mustLifecycle(t, testManifest(t, "/hooks/Policy", "/"), "https://abc.example.com/", newMem(), WithInstance("EU West#1"))
	var names, urls []string
	for _, r := range l.Registrations() {
		names, urls = append(names, r.Name), append(urls, r.URL)
	}
	const prefix = "acme-claims_eu-west-1_9bed2edec1fc_"
	want := []string{prefix + "hooks-policy-" + hashOf("/hooks/Policy"), prefix + "root-" + hashOf("/")}
	if !slices.Equal(names, want) {
		t.Errorf("names = %q, want %q", names, want)
	}
	if wantURLs := []string{"https://abc.example.com/hooks/Policy", "https://abc.example.com/"}; !slices.Equal(urls, wantURLs) {
		t.Errorf("URLs = %q, want %q", urls, wantURLs)
	}
	if l.Prefix() != prefix {
		t.Errorf("Prefix() = %q", l.Prefix())
	}
	// Paths that slug alike still get distinct names.
	l2 := mustLifecycle(t, testManifest(t, "/a-b", "/a_b"), "https://x.example", newMem())
	if r := l2.Registrations(); r[0].Name == r[1].Name {
		t.Errorf("paths /a-b and /a_b share the name %q", r[0].Name)
	}
}

func hashOf(path string) string { return pathName(path)[len(pathName(path))-8:] }

func TestLifecycleStartStop(t *testing.T) {
	t.Parallel()
	reg := newMem()
	secretHeaders := map[string][]string{"X-App": {"claims"}}
	l := mustLifecycle(t, testManifest(t, "/a", "/b"), "https://app.example.com", reg,
		WithDefaultSettings(WebhookSettings{Secret: "s-all"}),
		WithWebhookSettings("/b", WebhookSettings{Secret: "s-b", Tag: "v2", Headers: secretHeaders, Failure: &FailureHandling{}}))
	if err := l.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := state(t, reg, l.Prefix())
	want := []string{
		l.Registrations()[0].Name + " https://app.example.com/a [policy.create]",
		l.Registrations()[1].Name + " https://app.example.com/b [invoice.issue policy.issue]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("after Start: %q, want %q", got, want)
	}
	a, b := reg.regs[l.Registrations()[0].Name], reg.regs[l.Registrations()[1].Name]
	if a.Secret != "s-all" || a.Tag != "" || b.Secret != "s-b" || b.Tag != "v2" || b.Headers["X-App"][0] != "claims" || b.Failure == nil {
		t.Errorf("settings not applied: a=%+v b=%+v", a, b)
	}
	if err := l.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := state(t, reg, ""); len(got) != 0 {
		t.Errorf("after Stop: %q", got)
	}
}

func TestLifecycleLogs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	reg := newMem()
	old := mustLifecycle(t, testManifest(t, "/old"), "https://app.example", reg)
	if err := old.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	l := mustLifecycle(t, testManifest(t, "/a"), "https://app.example", reg, WithLifecycleLogger(log))
	if err := l.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"removed a registration no longer in the manifest", "name=" + old.Registrations()[0].Name,
		"webhooks registered", "count=1 created=1"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, &buf)
		}
	}
}

func TestLifecycleRestartAndChange(t *testing.T) {
	t.Parallel()
	reg := newMem()
	other := mustLifecycle(t, testManifest(t, "/a"), "https://other.example", reg, WithInstance("other"))
	if err := other.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	first := mustLifecycle(t, testManifest(t, "/a", "/b", "/c"), "https://app.example", reg)
	if err := first.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A restart (a new process: a new Lifecycle) finds and updates, not duplicates.
	restart := mustLifecycle(t, testManifest(t, "/a", "/b", "/c"), "https://moved.example", reg)
	if err := restart.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := state(t, reg, restart.Prefix())
	if len(got) != 3 || !strings.Contains(got[0], "https://moved.example/") {
		t.Errorf("after restart: %q", got)
	}
	// The manifest changed: /b left, /d arrived, /c's events changed.
	m := testManifest(t, "/a", "/c", "/d")
	changed := mustLifecycle(t, m, "https://moved.example", reg)
	if err := changed.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range changed.Registrations() {
		evs := slices.Clone(r.Events)
		slices.Sort(evs)
		want = append(want, fmt.Sprintf("%s %s %v", r.Name, r.URL, evs))
	}
	slices.Sort(want)
	if got := state(t, reg, changed.Prefix()); !slices.Equal(got, want) {
		t.Errorf("after change: %q, want %q", got, want)
	}
	// Another instance's registrations are never touched.
	if got := state(t, reg, other.Prefix()); len(got) != 1 {
		t.Errorf("other instance: %q", got)
	}
	if err := changed.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := state(t, reg, ""); len(got) != 1 || !strings.HasPrefix(got[0], other.Prefix()) {
		t.Errorf("after Stop only the other instance should remain: %q", got)
	}
}

func TestLifecyclePartialFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		before  []string // paths registered by an earlier run
		failAt  int64
		survive int // registrations left after the failed Start
	}{
		{name: "first call fails", failAt: 1, survive: 0},
		{name: "middle call fails", failAt: 2, survive: 0},
		{name: "last call fails", failAt: 3, survive: 0},
		{name: "earlier registrations kept", before: []string{"/a"}, failAt: 2, survive: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mem := newMem()
			if tt.before != nil {
				if err := mustLifecycle(t, testManifest(t, tt.before...), "https://app.example", mem).Start(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			reg := &failNth{Registrar: mem, n: tt.failAt}
			l := mustLifecycle(t, testManifest(t, "/a", "/b", "/c"), "https://app.example", reg)
			err := l.Start(t.Context())
			if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), l.Registrations()[tt.failAt-1].Name) {
				t.Fatalf("Start = %v, want the injected failure for entry %d", err, tt.failAt)
			}
			if got := state(t, mem, ""); len(got) != tt.survive {
				t.Errorf("after rollback: %q, want %d left", got, tt.survive)
			}
		})
	}
}

// cancelNth cancels the caller's context on the nth Register call and fails
// it, as a caller giving up halfway through Start would.
type cancelNth struct {
	failNth
	cancel context.CancelFunc
}

func (c *cancelNth) Register(ctx context.Context, r Registration) error {
	if c.calls.Add(1) == c.n {
		c.cancel()
		return ctx.Err()
	}
	return c.Registrar.Register(ctx, r)
}

func TestLifecycleRollbackAfterCancel(t *testing.T) {
	t.Parallel()
	mem := newMem()
	ctx, cancel := context.WithCancel(t.Context())
	reg := &cancelNth{failNth: failNth{Registrar: mem, n: 2}, cancel: cancel}
	l := mustLifecycle(t, testManifest(t, "/a", "/b", "/c"), "https://app.example", reg)
	err := l.Start(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Start = %v, want context.Canceled", err)
	}
	if n := strings.Count(err.Error(), "socotra: start: register"); n != 2 {
		t.Errorf("Start reported %d failed entries, want 2 (every error): %v", n, err)
	}
	if got := state(t, mem, ""); len(got) != 0 {
		t.Errorf("rollback after cancel left %q", got)
	}
}

func TestLifecycleStopAfterCancel(t *testing.T) {
	t.Parallel()
	reg := newMem()
	l := mustLifecycle(t, testManifest(t, "/a", "/b"), "https://app.example", reg)
	if err := l.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.Stop(ctx); err != nil {
		t.Fatalf("Stop with a cancelled context: %v", err)
	}
	if got := state(t, reg, ""); len(got) != 0 {
		t.Errorf("after Stop: %q", got)
	}
}

// blockingRegistrar blocks every call until its context ends.
type blockingRegistrar struct{ memRegistrar }

func (b *blockingRegistrar) Registrations(ctx context.Context, _ string) ([]Registration, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (b *blockingRegistrar) Unregister(ctx context.Context, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestLifecycleStopIsBounded(t *testing.T) {
	t.Parallel()
	l := mustLifecycle(t, testManifest(t, "/a"), "https://app.example", &blockingRegistrar{}, WithStopTimeout(50*time.Millisecond))
	start := time.Now()
	err := l.Stop(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %v with a 50ms timeout", d)
	}
}

func TestLifecycleConcurrentStart(t *testing.T) {
	t.Parallel()
	reg := newMem()
	m := testManifest(t, "/a", "/b", "/c")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			l, err := NewLifecycle(m, "https://app.example", reg)
			if err == nil {
				err = l.Start(t.Context())
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := state(t, reg, ""); len(got) != 3 {
		t.Errorf("after concurrent starts: %q, want one per entry", got)
	}
}

func TestNewLifecycleErrors(t *testing.T) {
	t.Parallel()
	valid := testManifest(t, "/a")
	warned := testManifest(t, "/a")
	warned.Socotra.Webhooks[0].Events = []events.Name{"acme.custom"}
	invalid := testManifest(t, "/a")
	invalid.Version = "1"
	tests := []struct {
		name string
		m    *manifest.Manifest
		url  string
		reg  Registrar
		opts []LifecycleOption
		want string
	}{
		{name: "invalid manifest", m: invalid, url: "https://x.example", reg: newMem(), want: "socotra: invalid manifest: manifest: version:"},
		{name: "warnings strict", m: warned, url: "https://x.example", reg: newMem(), opts: []LifecycleOption{WithStrictManifest()}, want: "not an event name this SDK knows"},
		{name: "nil registrar", m: valid, url: "https://x.example", want: "needs a manifest and a registrar"},
		{name: "relative URL", m: valid, url: "/x", reg: newMem(), want: "must be an absolute http or https URL"},
		{name: "ftp URL", m: valid, url: "ftp://x.example", reg: newMem(), want: "must be an absolute http or https URL"},
		{name: "URL with query", m: valid, url: "https://x.example/?a=1", reg: newMem(), want: "must not have a query"},
		{name: "URL with userinfo", m: valid, url: "https://bob:hunter2@x.example", reg: newMem(), want: `"https://[REDACTED]@x.example" carries userinfo`},
		{name: "bad URL with userinfo", m: valid, url: "https://bob:hunter2@x.example:port", reg: newMem(), want: "not shown"},
		{name: "unknown path settings", m: valid, url: "https://x.example", reg: newMem(), opts: []LifecycleOption{WithWebhookSettings("/zz", WebhookSettings{})}, want: `WithWebhookSettings("/zz")`},
		{name: "tag without secret", m: valid, url: "https://x.example", reg: newMem(), opts: []LifecycleOption{WithDefaultSettings(WebhookSettings{Tag: "v1"})}, want: "has a tag but no secret"},
		{name: "empty instance", m: valid, url: "https://x.example", reg: newMem(), opts: []LifecycleOption{WithInstance("")}, want: "non-empty id"},
		{name: "zero stop timeout", m: valid, url: "https://x.example", reg: newMem(), opts: []LifecycleOption{WithStopTimeout(0)}, want: "WithStopTimeout(0s): want a positive duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewLifecycle(tt.m, tt.url, tt.reg, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("NewLifecycle = %v, want %q (and no password)", err, tt.want)
			}
		})
	}
	if _, err := NewLifecycle(warned, "https://x.example", newMem()); err != nil {
		t.Errorf("warnings without WithStrictManifest: %v", err)
	}
	if _, err := NewLifecycle(invalid, "https://x.example", newMem()); !errors.Is(err, ErrInvalidManifest) {
		t.Errorf("invalid manifest error %v does not wrap ErrInvalidManifest", err)
	}
}

// TestRuntimeOnlyOptions pins that the settings of a Runtime alone are not
// LifecycleOptions, so that NewLifecycle cannot take them and drop them.
func TestRuntimeOnlyOptions(t *testing.T) {
	t.Parallel()
	runtimeOnly := map[string]RuntimeOption{
		"WithRegistrar":              WithRegistrar(newMem()),
		"OnStart":                    OnStart(nil),
		"OnStop":                     OnStop(nil),
		"WithStartTimeout":           WithStartTimeout(time.Second),
		"WithControlAuth":            WithControlAuth(nil),
		"WithControlSecret":          WithControlSecret(testControlSecret),
		"WithPublicURL":              WithPublicURL(),
		"WithInsecureLoopbackRoutes": WithInsecureLoopbackRoutes(),
		"WithDeliveries":             WithDeliveries(nil),
		"WithUnsignedDeliveries":     WithUnsignedDeliveries(),
		"WithMarketplace":            WithMarketplace(nil),
	}
	for name, o := range runtimeOnly {
		if _, ok := o.(LifecycleOption); ok {
			t.Errorf("%s is a LifecycleOption, so NewLifecycle takes it; want a RuntimeOption only", name)
		}
	}
}
