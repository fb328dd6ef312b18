package manifest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Runtime is the http.Handler of a Marketplace app's own server. It answers
// the platform's calls and passes every other request to the app:
//
//   - GET /health answers 200 "ok".
//   - GET /_app/start?route=<public URL> (https:// is assumed when the route
//     is a bare host) runs the [OnStart] hook and, in
//     self-hosted mode, registers the manifest's webhooks; it answers 200, or
//     500 with the reason, or 503 when [WithStartTimeout] passes first.
//   - GET /_app/stop removes the webhooks in self-hosted mode, runs the
//     [OnStop] hook and answers 200, or 500 with the reason.
//   - Any other path under /_app/ answers 404: the prefix is reserved.
//
// There are two modes. Inside the Marketplace (the default) the platform
// registers the manifest's webhooks itself when it starts the app and
// removes them when it stops it, so the Runtime must not: it only runs the
// hooks. Outside it (self-hosted, local development, tests), pass
// [WithRegistrar] and the same calls register and remove the webhooks with a
// [Lifecycle] whose public URL is the start call's route; call
// [Runtime.Start] and [Runtime.Stop] directly when nothing calls the
// endpoints.
type Runtime struct {
	m   *Manifest
	app http.Handler
	cfg config
	mu  sync.Mutex
	lc  *Lifecycle
}

// NewRuntime returns a Runtime for m that passes requests outside /health
// and /_app/ to app (nil answers 404). m must validate (and, with
// [WithStrict], have no warnings).
func NewRuntime(m *Manifest, app http.Handler, opts ...Option) (*Runtime, error) {
	if m == nil {
		return nil, errors.New("manifest: NewRuntime needs a manifest")
	}
	cfg := newConfig(opts)
	if err := cfg.validate(m); err != nil {
		return nil, err
	}
	if app == nil {
		app = http.NotFoundHandler()
	}
	return &Runtime{m: m, app: app, cfg: cfg}, nil
}

// ServeHTTP answers the platform's calls and passes the rest to the app.
func (rt *Runtime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch path := r.URL.Path; {
	case path == "/health":
		if allow(w, r, http.MethodGet, http.MethodHead) {
			fmt.Fprintln(w, "ok")
		}
	case path == "/_app/start":
		if allow(w, r, http.MethodGet) {
			rt.serveStart(w, r)
		}
	case path == "/_app/stop":
		if allow(w, r, http.MethodGet) {
			rt.serveStop(w, r)
		}
	case path == "/_app" || strings.HasPrefix(path, "/_app/"):
		http.NotFound(w, r)
	default:
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

func (rt *Runtime) serveStart(w http.ResponseWriter, r *http.Request) {
	route := r.URL.Query().Get("route")
	if route == "" {
		http.Error(w, "missing route: call /_app/start?route=<public URL>", http.StatusBadRequest)
		return
	}
	if !strings.Contains(route, "://") {
		route = "https://" + route // the platform may send the bare public host
	}
	if _, err := baseURL(route); err != nil {
		http.Error(w, "bad route: "+err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), rt.cfg.startTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- rt.Start(ctx, route) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done(): // answer in time even if the hook ignores ctx
		err = fmt.Errorf("manifest: start did not finish within %v: %w", rt.cfg.startTimeout, ctx.Err())
	}
	if err != nil {
		status := http.StatusInternalServerError
		if ctx.Err() != nil {
			status = http.StatusServiceUnavailable
		}
		rt.cfg.logger.ErrorContext(r.Context(), "manifest: start failed", "route", route, "err", err)
		http.Error(w, "start failed: "+err.Error(), status)
		return
	}
	fmt.Fprintln(w, "started")
}

func (rt *Runtime) serveStop(w http.ResponseWriter, r *http.Request) {
	if err := rt.Stop(r.Context()); err != nil {
		rt.cfg.logger.ErrorContext(r.Context(), "manifest: stop failed", "err", err)
		http.Error(w, "stop failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "stopped")
}

// Start runs the start hook with publicURL and, in self-hosted mode,
// registers the manifest's webhooks at publicURL (see [Lifecycle.Start]).
func (rt *Runtime) Start(ctx context.Context, publicURL string) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.cfg.onStart != nil {
		if err := rt.cfg.onStart(ctx, publicURL); err != nil {
			return fmt.Errorf("manifest: start hook: %w", err)
		}
	}
	if rt.cfg.registrar == nil {
		return nil // the Marketplace registers the webhooks
	}
	lc, err := NewLifecycle(rt.m, publicURL, rt.cfg.registrar, optionFunc(func(c *config) { *c = rt.cfg }))
	if err != nil {
		return err
	}
	if err := lc.Start(ctx); err != nil {
		return err
	}
	rt.lc = lc
	return nil
}

// Stop removes the webhooks registered by [Runtime.Start] in self-hosted
// mode (see [Lifecycle.Stop]) and then runs the stop hook, even when ctx is
// cancelled.
func (rt *Runtime) Stop(ctx context.Context) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var errs []error
	if rt.lc == nil && rt.cfg.registrar != nil {
		// Not started by this process (it restarted since): Stop needs only
		// the registration names, which do not depend on the public URL.
		lc, err := NewLifecycle(rt.m, "http://localhost", rt.cfg.registrar, optionFunc(func(c *config) { *c = rt.cfg }))
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
		if err := rt.cfg.onStop(hctx); err != nil {
			errs = append(errs, fmt.Errorf("manifest: stop hook: %w", err))
		}
	}
	return errors.Join(errs...)
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
		return "", fmt.Errorf("manifest: %s=%q is not a port number from 1 to 65535", PortEnv, v)
	}
	return ":" + v, nil
}
