package socotra

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// ErrNoTenantLocator is returned by [Installation.CoreClient] when no source
// names the installation's Core tenant locator.
var ErrNoTenantLocator = errors.New("socotra: the installation names no Core tenant locator: " +
	"its state has no tenantLocator member, its token carries no tenantLocator claim and its settings have no " +
	`"tenantLocator"; declare a "tenantLocator" setting in the app's manifest so the installer enters the tenant's ` +
	"locator, or pass socotra.WithTenantLocatorFunc to NewMarketplace")

// tenantClaims are the JWT claims read for a tenant locator (unconfirmed:
// Socotra publishes no token format).
var tenantClaims = []string{"tenantLocator", "tenant_locator"}

// maxClaimsToken bounds the token whose claims are decoded.
const maxClaimsToken = 16 << 10

// Installation is one installation of a Marketplace app: its state, and the
// clients built from it, cached per x-smp-key for [WithStateTTL]. Get one
// with [Marketplace.Installation] or, in a handler behind
// [Marketplace.Middleware] or a [Runtime], with [InstallationFrom].
// Its methods are safe for concurrent use.
type Installation struct {
	m  *Marketplace
	in *installation
}

// State returns the installation's state.
func (i *Installation) State() InstallationState { return i.in.state }

// String prints the installation's state with its token hidden.
func (i *Installation) String() string { return i.in.state.String() }

// LogValue logs the installation's state with its token hidden.
func (i *Installation) LogValue() slog.Value { return i.in.state.LogValue() }

// CoreClient returns a [CoreClient] for the installation's tenant,
// authorised by its token (Core apps use Personal Access Tokens). The
// tenant locator comes from the first of these that has one, in order:
//
//  1. a top-level "tenantLocator" member of the state;
//  2. a "tenantLocator" or "tenant_locator" claim of the token, when the
//     token is a JWT (its claims are read, not verified: the tenant checks
//     the token on every call);
//  3. the installation's setting "tenantLocator", which an app declares in
//     its manifest so that the installer enters it;
//  4. the function of [WithTenantLocatorFunc].
//
// Socotra publishes none of these (its samples' state has socotraApiUrl,
// tenantHostName, token, settings and mappings only), so they are all
// assumptions. With none it fails with [ErrNoTenantLocator], which says what
// to provide; a value that is not a UUID fails with an error naming its
// source.
func (i *Installation) CoreClient(ctx context.Context) (*CoreClient, error) {
	m := i.m
	m.mu.Lock()
	c := i.in.core
	m.mu.Unlock()
	if c != nil {
		return c, nil
	}
	st := i.in.state
	loc, source := st.TenantLocator, i.in.tenantSource
	if loc == "" && m.tenant != nil {
		var err error
		if loc, err = m.tenant(ctx, st); err != nil {
			return nil, fmt.Errorf("socotra: installation tenant locator from WithTenantLocatorFunc: %w", err)
		}
		source = "WithTenantLocatorFunc"
	}
	if loc == "" {
		return nil, ErrNoTenantLocator
	}
	if !uuidPattern.MatchString(loc) {
		return nil, errorf("installation tenant locator from %s is not a UUID such as 6f1c2d3e-0a1b-4c5d-8e9f-001122334455", source)
	}
	c, err := NewCoreClient(st.SocotraAPIURL, loc, st.Token, m.core...)
	if err != nil {
		return nil, fmt.Errorf("socotra: installation state: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if i.in.core == nil {
		i.in.core = c
	}
	return i.in.core, nil
}

// LegacyClient returns a [LegacyClient] for the installation, authorised by
// its token (which it cannot renew; a refused token is an error matching
// [ErrUnauthorized], and the next call after the TTL fetches fresh state).
func (i *Installation) LegacyClient() (*LegacyClient, error) {
	m := i.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if i.in.legacy == nil {
		c, err := NewLegacyClient(i.in.state.SocotraAPIURL, LegacyCredentials{Token: i.in.state.Token}, m.legacy...)
		if err != nil {
			return nil, fmt.Errorf("socotra: installation state: %w", err)
		}
		i.in.legacy = c
	}
	return i.in.legacy, nil
}

// findTenantLocator returns the first tenant locator the state names
// itself (sources 1 to 3 of [Installation.CoreClient]) and its source.
func findTenantLocator(st InstallationState) (loc, source string) {
	if st.TenantLocator != "" {
		return st.TenantLocator, "the state's tenantLocator"
	}
	if claims := tokenClaims(st.Token); claims != nil {
		for _, name := range tenantClaims {
			if v, ok := claims[name].(string); ok && v != "" {
				return v, "the token's " + name + " claim"
			}
		}
	}
	if v, ok := st.Settings["tenantLocator"].(string); ok && v != "" {
		return v, "settings.tenantLocator"
	}
	return "", ""
}

// tokenClaims decodes the claims of a JWT without verifying it, or returns
// nil for anything else.
func tokenClaims(tok string) map[string]any {
	if len(tok) > maxClaimsToken || strings.Count(tok, ".") != 2 {
		return nil
	}
	_, payload, _ := strings.Cut(tok, ".")
	payload, _, _ = strings.Cut(payload, ".")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return nil
	}
	var claims map[string]any
	if json.Unmarshal(raw, &claims) != nil {
		return nil
	}
	return claims
}

// Authenticate returns nil when r carries the x-smp-key of an installation
// the state API knows, and an error otherwise ([ErrNoSMPKey], or the state
// API's answer, without the key). It fits [WithControlAuth], to accept
// only /_app/start and /_app/stop calls that name a real installation.
// socotra-facts.md (section 4) states that every request the platform sends
// an app carries x-smp-key, these calls included; Socotra's samples read it
// on their own routes (socotra/smp-node-vin-app src/index.js). A refused
// start call puts the instance in error, so try it on a sandbox first.
func (m *Marketplace) Authenticate(r *http.Request) error {
	_, err := m.installation(r.Context(), r)
	return err
}

type installationKey struct{}

// InstallationFrom returns the installation that [Marketplace.Middleware]
// (or a [Runtime] given [WithMarketplace]) put into the context of the
// request being handled, and whether there is one.
func InstallationFrom(ctx context.Context) (*Installation, bool) {
	in, ok := ctx.Value(installationKey{}).(*Installation)
	return in, ok
}

// Middleware returns a handler that finds the installation of each
// request's x-smp-key and passes the request to next with the installation
// in its context, for [InstallationFrom]. A request without x-smp-key did
// not come through the Marketplace platform and gets 400; when the state API
// cannot answer, the request gets 503 (a delivery is then retried). Put it
// after signature verification, so that unauthenticated requests never
// reach the state API.
func (m *Marketplace) Middleware(next http.Handler) http.Handler {
	if next == nil {
		panic("socotra: Marketplace.Middleware needs a non-nil next handler")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := m.Installation(r.Context(), r)
		switch {
		case errors.Is(err, ErrNoSMPKey):
			http.Error(w, "missing x-smp-key: requests reach this app through the Marketplace platform", http.StatusBadRequest)
			return
		case err != nil:
			m.t.logger.ErrorContext(r.Context(), "socotra: installation state unavailable", "error", err)
			http.Error(w, "installation state unavailable; try again", http.StatusServiceUnavailable)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), installationKey{}, in)))
	})
}
