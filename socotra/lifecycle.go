package socotra

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/socotra-go/sdk/manifest"
)

// ErrInvalidManifest is wrapped by [NewLifecycle] and [NewRuntime] when the manifest
// does not validate; the validation problems are joined to it.
var ErrInvalidManifest = errors.New("socotra: invalid manifest")

// Lifecycle registers a manifest's webhooks on a tenant and removes them,
// as the Marketplace platform does for apps it runs: for apps outside it
// (self-hosted integrations, local development, tests). Create one with
// [NewLifecycle]; its methods are safe for concurrent use.
type Lifecycle struct {
	reg    Registrar
	prefix string
	list   string          // the prefix listed: common to prefix and the old scheme's
	old    map[string]bool // names the old naming scheme gave this instance's entries
	regs   []Registration
	cfg    runtimeConfig
	log    *slog.Logger
	mu     sync.Mutex
}

// NewLifecycle prepares to register every socotra.webhooks entry of m as
// publicURL joined with the entry's path, through reg (the Registrar of a
// Core or Legacy client). m must validate (and, with [WithStrictManifest], have no
// warnings); publicURL must be an absolute http or https URL without query
// or fragment. Registration names are "<app>_<instance>_<id>_<path>-<hash>":
// app, instance and path reduced to lowercase letters, digits and '-' (app
// cut to 32 characters, instance to 16, path to 40) for reading, <id> twelve
// hex digits of a SHA-256 of the exact app name and instance, and <hash>
// eight of the exact path, so that apps or instances that read alike
// ("eu_prod" and "eu-prod", "Prod" and "prod") never share a name or a
// prefix: see [WithInstance]. Names stay within [a-z0-9_-] and 112
// characters, since no source publishes the platforms' limits on webhook and
// integration names (seeds 001 and 003 and the specs in api/ say only
// "string"; a Legacy name is also a URL path segment).
//
// Names written by earlier versions ("<app>_<instance>_<path>-<hash>", which
// such apps and instances shared) are recognised for this instance's current
// entries only: [Lifecycle.Start] removes them once the new names are in
// place, and [Lifecycle.Stop] removes them too.
func NewLifecycle(m *manifest.Manifest, publicURL string, reg Registrar, opts ...LifecycleOption) (*Lifecycle, error) {
	if m == nil || reg == nil {
		return nil, errors.New("socotra: NewLifecycle needs a manifest and a registrar")
	}
	cfg := newRuntimeConfig(opts, LifecycleOption.applyLifecycle)
	if err := cfg.validate(m); err != nil {
		return nil, err
	}
	base, err := baseURL(publicURL)
	if err != nil {
		return nil, err
	}
	prefix, oldPrefix := namePrefix(m.Name, cfg.instance), oldNamePrefix(m.Name, cfg.instance)
	l := &Lifecycle{reg: reg, cfg: cfg, log: cfg.logger, prefix: prefix,
		list: commonPrefix(prefix, oldPrefix), old: map[string]bool{}}
	for _, w := range m.Socotra.Webhooks {
		l.old[oldPrefix+pathName(w.Path)] = true
		s := cfg.settings(w.Path)
		l.regs = append(l.regs, Registration{
			Name:    l.prefix + pathName(w.Path),
			URL:     base + w.Path,
			Events:  slices.Clone(w.Events),
			Secret:  s.Secret,
			Tag:     s.Tag,
			Headers: s.Headers,
			Failure: s.Failure,
		})
	}
	return l, nil
}

// baseURL checks publicURL and drops a trailing '/'.
func baseURL(publicURL string) (string, error) {
	u, err := url.Parse(publicURL)
	switch {
	case err != nil:
		return "", fmt.Errorf("socotra: public URL %s is not a valid URL", shownURL(publicURL))
	case u.User != nil:
		return "", fmt.Errorf("socotra: public URL %s carries userinfo (user:password@): registrations would carry it; leave it out", shownURL(publicURL))
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return "", fmt.Errorf("socotra: public URL %s must be an absolute http or https URL", shownURL(publicURL))
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(publicURL, "?#"):
		return "", fmt.Errorf("socotra: public URL %s must not have a query or fragment", shownURL(publicURL))
	}
	return strings.TrimRight(publicURL, "/"), nil
}

// Name part limits: see NewLifecycle.
const (
	maxAppPart      = 32
	maxInstancePart = 16
	maxPathPart     = 40
)

// namePrefix is "<app>_<instance>_<id>_": readable slugs of app and instance,
// and <id> from a SHA-256 of their exact bytes (length-prefixed, so that no
// two pairs give the same input). Slugs hold no '_', so one prefix is never
// the start of another unless the ids match.
func namePrefix(app, instance string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s%d:%s", len(app), app, len(instance), instance)
	id := hex.EncodeToString(h.Sum(nil)[:6])
	return cut(slug(app), maxAppPart) + "_" + cut(slug(instance), maxInstancePart) + "_" + id + "_"
}

// oldNamePrefix is the prefix of names written before namePrefix: slugs
// alone, which apps and instances that read alike shared.
func oldNamePrefix(app, instance string) string {
	return slug(app) + "_" + slug(instance) + "_"
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

// cut shortens a slug to at most n bytes without a trailing '-'.
func cut(s string, n int) string {
	if len(s) > n {
		s = strings.TrimRight(s[:n], "-")
	}
	return s
}

// slug reduces s to lowercase letters, digits and single '-'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// pathName is a readable, collision-free name part for a webhook path.
func pathName(path string) string {
	sum := sha256.Sum256([]byte(path))
	s := cut(slug(path), maxPathPart)
	if s == "" {
		s = "root"
	}
	return s + "-" + hex.EncodeToString(sum[:4])
}

// Registrations returns what [Lifecycle.Start] registers, one per manifest
// entry, in manifest order.
func (l *Lifecycle) Registrations() []Registration {
	return slices.Clone(l.regs)
}

// Prefix returns the name prefix of this app instance's registrations.
func (l *Lifecycle) Prefix() string { return l.prefix }

// Start registers every manifest entry, creating or updating it in place
// (an entry it creates is registered a second time, so that when another
// instance created the same one at the same moment the Registrar keeps only
// one), and then deletes this app instance's registrations whose entry has left
// the manifest. If anything fails, it removes the registrations this call
// created (with the bounded timeout of [WithStopTimeout], even if ctx is
// cancelled) and returns every error, joined. Registrations that existed
// before the call keep their previous state where the update failed, or the
// new one where it succeeded.
func (l *Lifecycle) Start(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	before, old, err := l.listed(ctx)
	if err != nil {
		return fmt.Errorf("socotra: start: list registrations %q: %w", l.prefix, err)
	}
	existed := map[string]bool{}
	for _, r := range before {
		existed[r.Name] = true
	}
	var created []string
	var errs []error
	for _, r := range l.regs {
		if err := l.reg.Register(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("socotra: start: register %s (%s): %w", r.Name, r.URL, err))
			continue
		}
		if !existed[r.Name] {
			created = append(created, r.Name)
		}
	}
	if len(errs) == 0 {
		errs = l.settle(ctx, created)
	}
	if len(errs) == 0 {
		for _, r := range before {
			if !slices.ContainsFunc(l.regs, func(x Registration) bool { return x.Name == r.Name }) {
				if err := l.reg.Unregister(ctx, r.Name); err != nil {
					errs = append(errs, fmt.Errorf("socotra: start: remove stale %s: %w", r.Name, err))
				} else {
					l.log.InfoContext(ctx, "socotra: removed a registration no longer in the manifest", "name", r.Name)
				}
			}
		}
	}
	if len(errs) == 0 {
		for _, name := range old {
			if err := l.reg.Unregister(ctx, name); err != nil {
				errs = append(errs, fmt.Errorf("socotra: start: remove %s, named by an earlier version: %w", name, err))
			} else {
				l.log.InfoContext(ctx, "socotra: removed a registration named by an earlier version", "name", name)
			}
		}
	}
	if len(errs) == 0 {
		l.log.InfoContext(ctx, "socotra: webhooks registered", "count", len(l.regs), "created", len(created))
		return nil
	}
	rctx, cancel := l.bounded(ctx)
	defer cancel()
	for _, name := range created {
		if err := l.reg.Unregister(rctx, name); err != nil {
			errs = append(errs, fmt.Errorf("socotra: start: roll back %s: %w", name, err))
		}
	}
	l.log.ErrorContext(ctx, "socotra: start failed; rolled back", "created", len(created), "errors", len(errs))
	return errors.Join(errs...)
}

// listed returns this instance's registrations (under its prefix) and the
// names an earlier version gave its current entries that still exist, from
// one listing.
func (l *Lifecycle) listed(ctx context.Context) (mine []Registration, old []string, err error) {
	all, err := l.reg.Registrations(ctx, l.list)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range all {
		switch {
		case strings.HasPrefix(r.Name, l.prefix):
			mine = append(mine, r)
		case l.old[r.Name]:
			old = append(old, r.Name)
		}
	}
	return mine, old, nil
}

// settle registers the entries this Start created once more. Two instances
// starting together may both create a webhook for an entry; whichever
// created last sees both here, and the Registrar keeps one of them.
func (l *Lifecycle) settle(ctx context.Context, created []string) []error {
	var errs []error
	for _, r := range l.regs {
		if slices.Contains(created, r.Name) {
			if err := l.reg.Register(ctx, r); err != nil {
				errs = append(errs, fmt.Errorf("socotra: start: register %s again: %w", r.Name, err))
			}
		}
	}
	return errs
}

// Stop removes every registration of this app instance: the manifest's
// entries and any other under [Lifecycle.Prefix]. It runs with its own
// timeout ([WithStopTimeout]) and ignores the cancellation of ctx, so it can
// run during shutdown; it returns every error, joined.
func (l *Lifecycle) Stop(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := l.bounded(ctx)
	defer cancel()
	var names []string
	for _, r := range l.regs {
		names = append(names, r.Name)
	}
	var errs []error
	listed, old, err := l.listed(ctx)
	if err != nil {
		errs = append(errs, fmt.Errorf("socotra: stop: list registrations %q: %w", l.prefix, err))
	}
	for _, r := range listed {
		if !slices.Contains(names, r.Name) {
			names = append(names, r.Name)
		}
	}
	names = append(names, old...)
	for _, name := range names {
		if err := l.reg.Unregister(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("socotra: stop: unregister %s: %w", name, err))
		}
	}
	l.log.InfoContext(ctx, "socotra: webhooks unregistered", "count", len(names), "errors", len(errs))
	return errors.Join(errs...)
}

// bounded returns a context that ignores ctx's cancellation and ends after
// the stop timeout.
func (l *Lifecycle) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), l.cfg.stopTimeout)
}
