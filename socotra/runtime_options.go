package socotra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/webhooks"
)

// LifecycleOption configures a [Lifecycle] (see [NewLifecycle]) and a [Runtime] (see
// [NewRuntime]), which passes it on to the Lifecycle it drives. Every LifecycleOption
// is a [RuntimeOption] too.
type LifecycleOption interface {
	RuntimeOption
	applyLifecycle(*runtimeConfig)
}

// RuntimeOption configures a [Runtime] only: the control endpoints, the
// start and stop hooks, self-hosted registration and the deliveries it
// serves. [NewLifecycle] does not take one, so giving it one is a compile
// error rather than a setting silently dropped.
type RuntimeOption interface {
	applyRuntime(*runtimeConfig)
}

// lifecycleOptionFunc applies to a Lifecycle and a Runtime.
type lifecycleOptionFunc func(*runtimeConfig)

func (f lifecycleOptionFunc) applyLifecycle(c *runtimeConfig) { f(c) }
func (f lifecycleOptionFunc) applyRuntime(c *runtimeConfig)   { f(c) }

// runtimeOptionFunc applies to a Runtime only.
type runtimeOptionFunc func(*runtimeConfig)

func (f runtimeOptionFunc) applyRuntime(c *runtimeConfig) { f(c) }

// WebhookSettings are the registration details a manifest cannot hold: they
// are set in code, per entry with [WithWebhookSettings] or for every entry
// with [WithDefaultSettings]. A [Runtime] given [WithDeliveries] verifies
// the deliveries of an entry with its Secret and Tag, in Marketplace mode
// too, where nothing is registered.
type WebhookSettings struct {
	Secret  string              // HMAC secret; deliveries are signed when set
	Tag     string              // names the secret in use, for rotation; needs Secret
	Headers map[string][]string // added to every delivery
	// Failure is what the platform does when a delivery fails. Default (nil):
	// [RecommendedFailureHandling], which retries and then diverts.
	Failure *FailureHandling
}

type runtimeConfig struct {
	instance     string
	defaults     WebhookSettings
	perPath      map[string]WebhookSettings
	stopTimeout  time.Duration
	startTimeout time.Duration
	strict       bool
	logger       *slog.Logger
	registrar    Registrar
	onStart      func(ctx context.Context, publicURL string) error
	onStop       func(ctx context.Context, publicURL string) error
	controlAuth  func(*http.Request) error
	controlAuths int     // how many authenticators were given
	controlErrs  []error // found while applying control options
	publicURLs   []string
	loopback     bool

	deliveries    *webhooks.Handler
	deliveriesSet bool
	unsigned      bool
	market        *Marketplace
	marketSet     bool
}

// newRuntimeConfig applies opts through apply, the method of the constructor at
// hand.
func newRuntimeConfig[O RuntimeOption](opts []O, apply func(O, *runtimeConfig)) runtimeConfig {
	c := runtimeConfig{
		instance:     "default",
		perPath:      map[string]WebhookSettings{},
		stopTimeout:  30 * time.Second,
		startTimeout: 50 * time.Second,
		logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		apply(o, &c)
	}
	return c
}

// validate checks m, counting warnings as errors under WithStrictManifest, and then
// the options against m, so that [NewLifecycle] and [NewRuntime] refuse the
// same mistakes.
func (c *runtimeConfig) validate(m *manifest.Manifest) error {
	check := m.Validate
	if c.strict {
		check = m.ValidateStrict
	}
	if err := check(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidManifest, err)
	}
	var errs []error
	if c.instance == "" {
		errs = append(errs, errors.New("socotra: WithInstance needs a non-empty id"))
	}
	if c.stopTimeout <= 0 {
		errs = append(errs, fmt.Errorf("socotra: WithStopTimeout(%v): want a positive duration", c.stopTimeout))
	}
	if c.startTimeout <= 0 {
		errs = append(errs, fmt.Errorf("socotra: WithStartTimeout(%v): want a positive duration", c.startTimeout))
	}
	errs = append(errs, c.validateControl()...)
	errs = append(errs, c.validateDeliveries(m)...)
	paths := map[string]bool{}
	for _, w := range m.Socotra.Webhooks {
		paths[w.Path] = true
		if s := c.settings(w.Path); s.Tag != "" && s.Secret == "" {
			errs = append(errs, fmt.Errorf("socotra: webhook %q has a tag but no secret; the tag names a secret", w.Path))
		}
	}
	for p := range c.perPath {
		if !paths[p] {
			errs = append(errs, fmt.Errorf("socotra: WithWebhookSettings(%q): no socotra.webhooks entry has that path", p))
		}
	}
	return errors.Join(errs...)
}

// settings returns the registration settings of the entry at path.
func (c *runtimeConfig) settings(path string) WebhookSettings {
	if s, ok := c.perPath[path]; ok {
		return s
	}
	return c.defaults
}

// WithInstance names this deployment of the app; registration names are made
// from the app name, the instance and each entry's path, so a restart with
// the same instance updates its webhooks instead of adding new ones.
// Deployments that share a tenant (staging and production, say) need
// different instances; replicas behind one public URL share one. The default
// is "default".
func WithInstance(id string) LifecycleOption {
	return lifecycleOptionFunc(func(c *runtimeConfig) { c.instance = id })
}

// WithDefaultSettings sets the secret, tag, headers and failure handling of
// every entry without its own [WithWebhookSettings]. The default is none:
// unsigned deliveries, no headers, and [RecommendedFailureHandling]
// (retries, then divert).
func WithDefaultSettings(s WebhookSettings) LifecycleOption {
	return lifecycleOptionFunc(func(c *runtimeConfig) { c.defaults = s })
}

// WithWebhookSettings sets the secret, tag, headers and failure handling of
// the manifest entry whose path is path. [NewLifecycle] and [NewRuntime]
// fail if no entry has that path. By default an entry has the settings of
// [WithDefaultSettings].
func WithWebhookSettings(path string, s WebhookSettings) LifecycleOption {
	return lifecycleOptionFunc(func(c *runtimeConfig) { c.perPath[path] = s })
}

// WithStopTimeout bounds [Lifecycle.Stop] and the rollback of a failed
// [Lifecycle.Start], which run even when the caller's context is cancelled.
// The default is 30 seconds.
func WithStopTimeout(d time.Duration) LifecycleOption {
	return lifecycleOptionFunc(func(c *runtimeConfig) { c.stopTimeout = d })
}

// WithStrictManifest makes [NewLifecycle] and [NewRuntime] refuse a manifest with
// warnings (unknown event names, unknown keys), not only one with errors.
// The default is off.
func WithStrictManifest() LifecycleOption {
	return lifecycleOptionFunc(func(c *runtimeConfig) { c.strict = true })
}

// WithLifecycleLogger sets where registration and runtime events are logged. The
// default discards them.
func WithLifecycleLogger(l *slog.Logger) LifecycleOption {
	return lifecycleOptionFunc(func(c *runtimeConfig) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithRegistrar makes a [Runtime] self-hosted: on GET /_app/start it
// registers the manifest's webhooks itself through r, and on GET /_app/stop
// it removes them. Leave it out inside the Marketplace, where the platform
// registers them. The default is none (Marketplace mode).
//
// Whoever calls /_app/start chooses where the webhooks go, so in
// self-hosted mode the endpoints are served only with an authenticator
// ([WithControlAuth] or [WithControlSecret]) and a configured
// [WithPublicURL]; without them they answer 404 and the app calls
// [Runtime.Start] and [Runtime.Stop] from its own code.
func WithRegistrar(r Registrar) RuntimeOption {
	return runtimeOptionFunc(func(c *runtimeConfig) { c.registrar = r })
}

// OnStart sets the hook a [Runtime] runs on GET /_app/start, with the app's
// public URL, before any registration. It may run more than once (the
// platform calls start again after a restart), so it must be idempotent.
// The URL has passed the checks described at [Runtime]; what it does not
// prove is said there too. The Marketplace calls it only when the manifest
// declares "start" in socotra.lifecycle. The default does nothing.
func OnStart(fn func(ctx context.Context, publicURL string) error) RuntimeOption {
	return runtimeOptionFunc(func(c *runtimeConfig) { c.onStart = fn })
}

// OnStop sets the hook a [Runtime] runs on GET /_app/stop, after the
// webhooks are removed, with the public URL: the stop call's route, checked
// as for [OnStart], or when it has none the URL of this process's last
// start, or "". The Marketplace calls it only when the manifest declares
// "stop" in socotra.lifecycle. The default does nothing.
func OnStop(fn func(ctx context.Context, publicURL string) error) RuntimeOption {
	return runtimeOptionFunc(func(c *runtimeConfig) { c.onStop = fn })
}

// WithStartTimeout bounds the start hook and registration of a [Runtime];
// past it GET /_app/start answers 503. The platform waits one minute. The
// default is 50 seconds.
func WithStartTimeout(d time.Duration) RuntimeOption {
	return runtimeOptionFunc(func(c *runtimeConfig) { c.startTimeout = d })
}
