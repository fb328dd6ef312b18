package socotra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/socotra-go/sdk/manifest"
)

// Runtime is the http.Handler of a Marketplace app's own server. It answers
// the platform's calls and passes every other request to the app:
//
//   - GET /health answers 200 "ok".
//   - GET /_app/start?route=<public URL> (https:// is assumed when the route
//     is a bare host) runs the [OnStart] hook and, in self-hosted mode,
//     registers the manifest's webhooks; it answers 200, or 500 with the
//     reason, or 503 when [WithStartTimeout] passes first.
//   - GET /_app/stop removes the webhooks in self-hosted mode, runs the
//     [OnStop] hook and answers 200, or 500 with the reason.
//   - Any other path under /_app/ answers 404: the prefix is reserved.
//   - With [WithDeliveries], a POST to a socotra.webhooks path is checked
//     (its signature, or accepted unsigned by [WithUnsignedDeliveries]),
//     given its installation with [WithMarketplace], and handled.
//
// There are two modes. Inside the Marketplace (the default) the platform
// registers the manifest's webhooks itself when it starts the app and
// removes them when it stops it, so the Runtime must not: it only runs the
// hooks. Outside it (self-hosted, local development, tests), pass
// [WithRegistrar] and the same calls register and remove the webhooks with a
// [Lifecycle] whose public URL is the start call's route; call
// [Runtime.Start] and [Runtime.Stop] directly when nothing calls the
// endpoints.
//
// # Control endpoints
//
// Whoever calls /_app/start chooses the route. In self-hosted mode that
// route is where every webhook is registered, with its secret and headers, so
// the endpoints are served only when the app supplies an authenticator
// ([WithControlAuth] or [WithControlSecret]) and its public URL
// ([WithPublicURL]); otherwise they answer 404 and [NewRuntime] logs why. The
// authenticator runs first: a refused call gets 401 and nothing else
// happens.
//
// In both modes a route reaches a hook or a registration only when it is an
// https URL (http and loopback hosts only with [WithInsecureLoopbackRoutes])
// with no userinfo, query or fragment, whose host is a public DNS name or a
// public IP address (not loopback, private, link-local such as the
// 169.254.169.254 metadata service, or reserved), and, when [WithPublicURL]
// is set, one of those URLs; anything else answers 400.
//
// In Marketplace mode the platform sends no credential the SDK knows of (its
// published samples check none: socotra/amp-blueprints,
// lifecycle-events.sample/src/server.ts), so without [WithControlAuth] a
// hook can trust only the checks above: the URL is well formed and not an
// internal address. It cannot trust that the platform sent it, that it
// belongs to this app, or that its host name resolves to a public address
// (names are not resolved). A hook that registers the URL elsewhere or
// sends credentials to it should compare it with [WithPublicURL] or its own
// configuration first; one that fetches it should use a dialer that refuses
// private addresses. Anyone who reaches the app can also call /_app/stop, so
// a stop hook should be harmless when the app is not really stopping (the
// next start undoes it). A failed start or stop answers 500 (503 when it ran
// out of time) with the reason in the body only for a call an authenticator
// accepted; an anonymous caller learns only that it failed, and the reason
// is logged. The platform's calls carry the installation's x-smp-key
// (socotra-facts.md, section 4), so [Marketplace.Authenticate] is an
// authenticator for [WithControlAuth] that accepts only keys the state API
// knows (try it on a sandbox first: a refused start puts the instance in
// error).
type Runtime struct {
	m       *manifest.Manifest
	app     http.Handler
	cfg     runtimeConfig
	control bool                    // the /_app/start and /_app/stop endpoints are served
	hooks   map[string]http.Handler // WithDeliveries: manifest path -> delivery handler
	stats   runtimeStats
	mu      sync.Mutex
	lc      *Lifecycle
	started string // the public URL of the last successful Start
}

type runtimeStats struct {
	controlRefused atomic.Int64
	unsigned       atomic.Int64
}

// RuntimeStats counts what a [Runtime] refused or let through by choice.
type RuntimeStats struct {
	// ControlRefused counts /_app/start and /_app/stop calls refused by the
	// authenticator, for a bad route, or because they are not served.
	ControlRefused int64
	// UnsignedDeliveries counts the requests to a path that accepts
	// unsigned deliveries ([WithUnsignedDeliveries]).
	UnsignedDeliveries int64
}

// Stats returns the counters of rt since it was created.
func (rt *Runtime) Stats() RuntimeStats {
	return RuntimeStats{ControlRefused: rt.stats.controlRefused.Load(), UnsignedDeliveries: rt.stats.unsigned.Load()}
}

// NewRuntime returns a Runtime for m that passes requests outside /health,
// /_app/ and the delivery paths of [WithDeliveries] to app (nil answers
// 404). m must validate (and, with
// [WithStrictManifest], have no warnings).
func NewRuntime(m *manifest.Manifest, app http.Handler, opts ...RuntimeOption) (*Runtime, error) {
	if m == nil {
		return nil, errors.New("socotra: NewRuntime needs a manifest")
	}
	cfg := newRuntimeConfig(opts, RuntimeOption.applyRuntime)
	if err := cfg.validate(m); err != nil {
		return nil, err
	}
	if app == nil {
		app = http.NotFoundHandler()
	}
	rt := &Runtime{m: m, app: app, cfg: cfg, control: cfg.registrar == nil || cfg.controlAuth != nil}
	if cfg.deliveriesSet {
		var err error
		if rt.hooks, err = rt.deliveryHandlers(); err != nil {
			return nil, err
		}
	}
	if !rt.control {
		cfg.logger.Warn("socotra: GET /_app/start and /_app/stop are not served (they answer 404): " +
			"in self-hosted mode their caller chooses where the webhooks go, and no authenticator was given; " +
			"pass WithControlSecret or WithControlAuth with WithPublicURL, or call Runtime.Start and Runtime.Stop from your own code")
	}
	if cfg.registrar == nil {
		rt.warnUndeclared()
	}
	return rt, nil
}

// warnUndeclared logs, in Marketplace mode, a hook the platform would never
// call because the manifest does not declare its lifecycle event.
func (rt *Runtime) warnUndeclared() {
	for _, h := range []struct {
		set  bool
		ev   manifest.LifecycleEvent
		opt  string
		call string
	}{
		{rt.cfg.onStart != nil, manifest.LifecycleStart, "OnStart", "/_app/start"},
		{rt.cfg.onStop != nil, manifest.LifecycleStop, "OnStop", "/_app/stop"},
	} {
		if h.set && !rt.m.Socotra.Declares(h.ev) {
			rt.cfg.logger.Warn(fmt.Sprintf("socotra: the %s hook will never run in the Marketplace: the manifest does not "+
				"declare %q in socotra.lifecycle, so the platform does not call GET %s; add it", h.opt, h.ev, h.call),
				"lifecycle", rt.m.Socotra.Lifecycle)
		}
	}
}

// ServeHTTP answers the platform's calls and passes the rest to the app.
func (rt *Runtime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch path := r.URL.Path; {
	case path == "/health":
		if allow(w, r, http.MethodGet, http.MethodHead) {
			fmt.Fprintln(w, "ok")
		}
	case path == "/_app/start" || path == "/_app/stop":
		if rt.controlAllowed(w, r) {
			if path == "/_app/start" {
				rt.serveStart(w, r)
			} else {
				rt.serveStop(w, r)
			}
		}
	case path == "/_app" || strings.HasPrefix(path, "/_app/"):
		http.NotFound(w, r)
	default:
		if h, ok := rt.hooks[path]; ok {
			h.ServeHTTP(w, r)
			return
		}
		rt.app.ServeHTTP(w, r)
	}
}

// allow answers 405 and reports false unless r uses one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// controlAllowed answers a control call that may not proceed and reports
// whether it may: served, authenticated, then GET.
func (rt *Runtime) controlAllowed(w http.ResponseWriter, r *http.Request) bool {
	if !rt.control {
		rt.stats.controlRefused.Add(1)
		http.NotFound(w, r)
		return false
	}
	if rt.cfg.controlAuth != nil {
		if err := rt.cfg.controlAuth(r); err != nil {
			rt.stats.controlRefused.Add(1)
			rt.cfg.logger.WarnContext(r.Context(), "socotra: control call refused by the authenticator",
				"path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return false
		}
	}
	return allow(w, r, http.MethodGet)
}

// route returns the checked route of a control call, or answers 400 and
// returns ok false. An absent route is "" when optional.
func (rt *Runtime) route(w http.ResponseWriter, r *http.Request, optional bool) (route string, ok bool) {
	raw := r.URL.Query().Get("route")
	if raw == "" {
		if optional {
			return "", true
		}
		rt.stats.controlRefused.Add(1)
		http.Error(w, "missing route: call /_app/start?route=<public URL>", http.StatusBadRequest)
		return "", false
	}
	route, err := rt.cfg.checkRoute(raw)
	if err != nil {
		rt.stats.controlRefused.Add(1)
		rt.cfg.logger.WarnContext(r.Context(), "socotra: control call refused", "path", r.URL.Path, "reason", err)
		http.Error(w, "bad route: "+err.Error(), http.StatusBadRequest)
		return "", false
	}
	return route, true
}

func (rt *Runtime) serveStart(w http.ResponseWriter, r *http.Request) {
	route, ok := rt.route(w, r, false)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), rt.cfg.startTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() { // a panicking OnStart hook must not take the process down
			if p := recover(); p != nil {
				rt.cfg.logger.ErrorContext(r.Context(), "socotra: start panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				done <- fmt.Errorf("socotra: start panicked: %v", p)
			}
		}()
		done <- rt.Start(ctx, route)
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done(): // answer in time even if the hook ignores ctx
		err = fmt.Errorf("socotra: start did not finish within %v: %w", rt.cfg.startTimeout, ctx.Err())
	}
	if err != nil {
		status := http.StatusInternalServerError
		if ctx.Err() != nil {
			status = http.StatusServiceUnavailable
		}
		rt.cfg.logger.ErrorContext(r.Context(), "socotra: start failed", "route", route, "err", err)
		http.Error(w, rt.failure("start", err), status)
		return
	}
	fmt.Fprintln(w, "started")
}

func (rt *Runtime) serveStop(w http.ResponseWriter, r *http.Request) {
	route, ok := rt.route(w, r, true)
	if !ok {
		return
	}
	if err := rt.stop(r.Context(), route); err != nil {
		rt.cfg.logger.ErrorContext(r.Context(), "socotra: stop failed", "err", err)
		http.Error(w, rt.failure("stop", err), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "stopped")
}

// failure is the body of a failed control call: the reason for a caller an
// authenticator accepted (controlAllowed refused every other), only the fact
// for an anonymous one, since a hook's error may name the app's internals.
func (rt *Runtime) failure(what string, err error) string {
	if rt.cfg.controlAuth != nil {
		return what + " failed: " + err.Error()
	}
	return what + " failed; the app's log says why"
}

// Start runs the start hook with publicURL and, in self-hosted mode,
// registers the manifest's webhooks at publicURL (see [Lifecycle.Start]).
func (rt *Runtime) Start(ctx context.Context, publicURL string) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.cfg.onStart != nil {
		if err := rt.cfg.onStart(ctx, publicURL); err != nil {
			return fmt.Errorf("socotra: start hook: %w", err)
		}
	}
	if rt.cfg.registrar == nil {
		rt.started = publicURL
		return nil // the Marketplace registers the webhooks
	}
	lc, err := NewLifecycle(rt.m, publicURL, rt.cfg.registrar, rt.lifecycleConfig())
	if err != nil {
		return err
	}
	if err := lc.Start(ctx); err != nil {
		return err
	}
	rt.lc = lc
	rt.started = publicURL
	return nil
}

// Stop removes the webhooks registered by [Runtime.Start] in self-hosted
// mode (see [Lifecycle.Stop]) and then runs the stop hook, even when ctx is
// cancelled, with the public URL of the last Start (or "").
func (rt *Runtime) Stop(ctx context.Context) error { return rt.stop(ctx, "") }

func (rt *Runtime) stop(ctx context.Context, publicURL string) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var errs []error
	if rt.lc == nil && rt.cfg.registrar != nil {
		// Not started by this process (it restarted since): Stop needs only
		// the registration names, which do not depend on the public URL.
		lc, err := NewLifecycle(rt.m, "http://localhost", rt.cfg.registrar, rt.lifecycleConfig())
		if err != nil {
			return err
		}
		rt.lc = lc
	}
	if rt.lc != nil {
		if err := rt.lc.Stop(ctx); err != nil {
			errs = append(errs, err)
		} else {
			rt.lc = nil
		}
	}
	if rt.cfg.onStop != nil {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rt.cfg.stopTimeout)
		defer cancel()
		if publicURL == "" {
			publicURL = rt.started
		}
		if err := rt.cfg.onStop(hctx, publicURL); err != nil {
			errs = append(errs, fmt.Errorf("socotra: stop hook: %w", err))
		}
	}
	rt.started = ""
	return errors.Join(errs...)
}

// lifecycleConfig passes the Runtime's configuration to the Lifecycle it
// drives.
func (rt *Runtime) lifecycleConfig() LifecycleOption {
	return lifecycleOptionFunc(func(c *runtimeConfig) { *c = rt.cfg })
}

// PortEnv is the environment variable the Marketplace sets to the port an
// app must listen on.
const PortEnv = "SMP_PORT"

// ListenAddr returns the address to listen on: ":" and the port in SMP_PORT,
// or fallback (for example ":8080") when SMP_PORT is unset. A value that is
// not a port number from 1 to 65535 is an error.
func ListenAddr(fallback string) (string, error) {
	v, ok := os.LookupEnv(PortEnv)
	if !ok || v == "" {
		return fallback, nil
	}
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("socotra: %s=%q is not a port number from 1 to 65535", PortEnv, v)
	}
	return ":" + v, nil
}
