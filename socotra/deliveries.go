package socotra

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"

	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/webhooks"
)

// WithDeliveries makes a [Runtime] serve every socotra.webhooks path of the
// manifest itself and hand the deliveries to h. A path whose settings have a
// Secret ([WithDefaultSettings], [WithWebhookSettings]) verifies the
// Socotra-Signature of each delivery with it (and its Tag) before anything
// else, refusing a bad one with 401; a path without one accepts unsigned
// deliveries only when [WithUnsignedDeliveries] is given, and otherwise
// [NewRuntime] fails. With [WithMarketplace] the installation of each
// delivery's x-smp-key is then found and put into the context h's functions
// get (see [InstallationFrom]). Refusals are counted in h's Stats,
// logged and observed as behind webhooks.NewReceiver (webhooks.NewReceiverWith
// puts the installation lookup between the check and h). The default is
// none: the app serves the paths in its own handler.
func WithDeliveries(h *webhooks.Handler) RuntimeOption {
	return runtimeOptionFunc(func(c *runtimeConfig) {
		c.deliveries = h
		c.deliveriesSet = true
	})
}

// WithUnsignedDeliveries lets the paths of [WithDeliveries] that have no
// secret accept deliveries without a signature. Socotra has not published
// whether the webhooks the Marketplace registers for an app are signed, or
// how an app would learn their secret (its sample apps check no signature:
// socotra/amp-blueprints, webhooks.sample), so an app may have no secret to
// verify with; then anyone who can reach the app can post events it will
// handle as Socotra's. [NewRuntime] logs a warning once, and
// [RuntimeStats].UnsignedDeliveries counts them. Paths with a secret still
// verify. The default is off: [NewRuntime] refuses a delivery path with no
// secret.
func WithUnsignedDeliveries() RuntimeOption {
	return runtimeOptionFunc(func(c *runtimeConfig) { c.unsigned = true })
}

// WithMarketplace makes the deliveries of [WithDeliveries] carry their
// installation: after the signature check, the installation of the
// request's x-smp-key is read through m (cached per key, with its clients)
// and put into the context, where [InstallationFrom] finds it. A
// delivery without x-smp-key gets 400; one whose state cannot be read gets
// 503, so Socotra retries it. The default is none.
func WithMarketplace(m *Marketplace) RuntimeOption {
	return runtimeOptionFunc(func(c *runtimeConfig) {
		c.market = m
		c.marketSet = true
	})
}

// validateDeliveries checks the delivery options against m.
func (c *runtimeConfig) validateDeliveries(m *manifest.Manifest) []error {
	var errs []error
	if c.deliveriesSet && c.deliveries == nil {
		errs = append(errs, errors.New("socotra: WithDeliveries(nil): pass the *webhooks.Handler that handles the events"))
	}
	if c.marketSet && c.market == nil {
		errs = append(errs, errors.New("socotra: WithMarketplace(nil): pass the *Marketplace that reads installation state"))
	}
	if c.market != nil && !c.deliveriesSet {
		errs = append(errs, errors.New("socotra: WithMarketplace needs WithDeliveries: it adds the installation to the deliveries the Runtime serves"))
	}
	if c.unsigned && !c.deliveriesSet {
		errs = append(errs, errors.New("socotra: WithUnsignedDeliveries needs WithDeliveries"))
	}
	if !c.deliveriesSet || c.unsigned {
		return errs
	}
	var missing []string
	for _, w := range m.Socotra.Webhooks {
		if c.settings(w.Path).Secret == "" {
			missing = append(missing, w.Path)
		}
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("socotra: WithDeliveries: no secret to verify deliveries to %q: pass the secret "+
			"with WithDefaultSettings or WithWebhookSettings, or accept unsigned deliveries by choice with WithUnsignedDeliveries", missing))
	}
	return errs
}

// deliveryHandlers builds the handler of each manifest path.
func (rt *Runtime) deliveryHandlers() (map[string]http.Handler, error) {
	cfg := &rt.cfg
	// The signature is checked first; only then is the installation read.
	receiver := func(v *hmac.Verifier) http.Handler {
		if cfg.market != nil {
			return webhooks.NewReceiverWith(v, cfg.deliveries, cfg.market.Middleware)
		}
		return webhooks.NewReceiver(v, cfg.deliveries)
	}
	out := map[string]http.Handler{}
	var unsigned []string
	for _, w := range rt.m.Socotra.Webhooks {
		s := cfg.settings(w.Path)
		if s.Secret != "" {
			v, err := hmac.NewKeyringVerifier([]hmac.Key{{Secret: []byte(s.Secret), Tag: s.Tag}}, hmac.WithLogger(cfg.logger))
			if err != nil {
				return nil, fmt.Errorf("socotra: webhook %q: %w", w.Path, err)
			}
			out[w.Path] = receiver(v)
			continue
		}
		// Read the body under the same limit and methods as a verifier would;
		// the warning below replaces the verifier's own.
		v, err := hmac.NewVerifier(nil, hmac.InsecureSkipVerify(), hmac.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		if err != nil {
			return nil, fmt.Errorf("socotra: webhook %q: %w", w.Path, err)
		}
		counted := receiver(v)
		out[w.Path] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rt.stats.unsigned.Add(1)
			counted.ServeHTTP(w, r)
		})
		unsigned = append(unsigned, w.Path)
	}
	if len(unsigned) > 0 {
		slices.Sort(unsigned)
		cfg.logger.Warn("socotra: accepting unsigned deliveries (WithUnsignedDeliveries): anyone who can reach these paths "+
			"can post events the app will handle as Socotra's; configure a secret when the platform signs them",
			"paths", unsigned)
	}
	return out, nil
}
