package socotra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"
)

// SMPKeyHeader is the header carrying the installation key on every request
// the Marketplace platform sends to an app.
const SMPKeyHeader = "x-smp-key"

// ErrNoSMPKey is returned by [Marketplace] when a request has no x-smp-key.
var ErrNoSMPKey = errors.New("socotra: request has no x-smp-key header; it did not come through the Marketplace platform")

// InstallationState is what the Marketplace state API holds for one
// installation of an app: GET {SMP_STATE_API}/state/{x-smp-key} answers
// {socotraApiUrl, tenantHostName, token, settings, mappings} in Socotra's
// samples (socotra/smp-node-vin-app src/index.js; socotra/amp-examples
// dotNet/vin-lookup/src/Socotra.VinLookup/Models/StateApi/StateApiResponse.cs
// and Mappings.cs). Its String and LogValue methods hide Token.
type InstallationState struct {
	SocotraAPIURL  string `json:"socotraApiUrl"`  // the tenant's API base URL
	TenantHostName string `json:"tenantHostName"` // the tenant's host name
	Token          string `json:"token"`          // the installation's API token
	// Settings are the values the installer entered for the app's settings
	// (strings in Socotra's samples).
	Settings map[string]any `json:"settings"`
	// Mappings are the installer's field mappings, kept as sent; in Socotra's
	// sample each is {"productName": …, "fields": {name: path}}.
	Mappings []json.RawMessage `json:"mappings"`
	// TenantLocator is the Core tenant (a UUID). No published state carries
	// it, so after a fetch it holds the first found of: a top-level
	// "tenantLocator" member, a "tenantLocator" or "tenant_locator" claim of
	// Token when Token is a JWT, and Settings["tenantLocator"] (all three
	// unconfirmed); "" when none has one. See [Installation.CoreClient].
	TenantLocator string `json:"tenantLocator"`
}

// String prints the state with its token hidden.
func (s InstallationState) String() string {
	return fmt.Sprintf("{SocotraAPIURL:%s TenantHostName:%s TenantLocator:%s Token:%s}",
		s.SocotraAPIURL, s.TenantHostName, s.TenantLocator, hide(s.Token))
}

// LogValue logs the state with its token hidden (and without settings and mappings).
func (s InstallationState) LogValue() slog.Value {
	return slog.GroupValue(slog.String("socotraApiUrl", s.SocotraAPIURL), slog.String("tenantHostName", s.TenantHostName),
		slog.String("tenantLocator", s.TenantLocator), slog.String("token", hide(s.Token)))
}

// Marketplace fetches installation state from the Marketplace state API and
// builds clients from it, caching each installation's state and clients for a
// short time ([WithStateTTL]). Requests for one installation that arrive
// while its state is being fetched wait for that fetch instead of starting
// their own. It is safe for concurrent use.
type Marketplace struct {
	base   string
	t      *transport
	ttl    time.Duration
	now    func() time.Time
	tenant func(context.Context, InstallationState) (string, error)
	core   []Option // the options of the Core clients it builds
	legacy []Option // and of its Legacy clients
	mu     sync.Mutex
	cache  map[string]*installation
	// fetching holds the state fetch under way for each key, which requests
	// for the same installation wait for instead of fetching it again.
	fetching map[string]*stateFetch
}

// stateFetch is one fetch of an installation's state; done is closed when
// in or err is set.
type stateFetch struct {
	done chan struct{}
	in   *installation
	err  error
	// abandoned is set when the fetch failed because its caller's context
	// ended, which says nothing of the state API: a waiter fetches again.
	abandoned bool
}

type installation struct {
	state   InstallationState
	fetched time.Time
	core    *CoreClient // built on first use, under Marketplace.mu
	legacy  *LegacyClient
	// tenantSource names where state.TenantLocator came from.
	tenantSource string
}

// NewMarketplace returns a Marketplace reading state from stateAPI, or from
// the SMP_STATE_API environment variable when stateAPI is "". The
// [Option]s among opts also configure the clients it builds
// ([WithCoreAuthScheme] its Core clients only).
func NewMarketplace(stateAPI string, opts ...MarketplaceOption) (*Marketplace, error) {
	if stateAPI == "" {
		stateAPI = os.Getenv("SMP_STATE_API")
		if stateAPI == "" {
			return nil, errorf("no state API URL: pass one or set SMP_STATE_API")
		}
	}
	base, err := checkBaseURL(stateAPI)
	if err != nil {
		return nil, err
	}
	s := newSettings(opts, MarketplaceOption.applyMarketplace)
	if err := s.validate(); err != nil {
		return nil, err
	}
	m := &Marketplace{base: base, ttl: s.stateTTL, now: s.now, tenant: s.tenantFunc, cache: map[string]*installation{},
		fetching: map[string]*stateFetch{}}
	for _, o := range opts {
		if c, ok := o.(Option); ok {
			m.core = append(m.core, c)
			if _, ok := c.(coreOnly); !ok {
				m.legacy = append(m.legacy, c)
			}
		}
	}
	m.t = newTransport(&s, nil, "", nil)
	m.t.redactURL = true // the path holds the installation key
	return m, nil
}

// State returns the installation state for the request's x-smp-key.
func (m *Marketplace) State(ctx context.Context, r *http.Request) (InstallationState, error) {
	in, err := m.installation(ctx, r)
	if err != nil {
		return InstallationState{}, err
	}
	return in.state, nil
}

// CoreClient returns a [CoreClient] for the request's installation; see
// [Installation.CoreClient].
func (m *Marketplace) CoreClient(ctx context.Context, r *http.Request) (*CoreClient, error) {
	in, err := m.Installation(ctx, r)
	if err != nil {
		return nil, err
	}
	return in.CoreClient(ctx)
}

// LegacyClient returns a [LegacyClient] for the request's installation; see
// [Installation.LegacyClient].
func (m *Marketplace) LegacyClient(ctx context.Context, r *http.Request) (*LegacyClient, error) {
	in, err := m.Installation(ctx, r)
	if err != nil {
		return nil, err
	}
	return in.LegacyClient()
}

// Installation returns the installation of the request's x-smp-key, from
// the cache or the state API.
func (m *Marketplace) Installation(ctx context.Context, r *http.Request) (*Installation, error) {
	in, err := m.installation(ctx, r)
	if err != nil {
		return nil, err
	}
	return &Installation{m: m, in: in}, nil
}

func (m *Marketplace) installation(ctx context.Context, r *http.Request) (*installation, error) {
	key := r.Header.Get(SMPKeyHeader)
	if key == "" {
		return nil, ErrNoSMPKey
	}
	if err := checkSMPKey(key); err != nil {
		return nil, err
	}
	for {
		m.mu.Lock()
		if in, ok := m.cache[key]; ok && m.now().Sub(in.fetched) < m.ttl {
			m.mu.Unlock()
			return in, nil
		}
		f, waiting := m.fetching[key]
		if !waiting {
			f = &stateFetch{done: make(chan struct{})}
			m.fetching[key] = f
		}
		m.mu.Unlock()
		if !waiting {
			return m.load(ctx, key, f)
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if !f.abandoned {
			return f.in, f.err
		}
	}
}

// load fetches the state of key for f, caches it and hands it to the
// requests waiting on f.
func (m *Marketplace) load(ctx context.Context, key string, f *stateFetch) (*installation, error) {
	f.err = errors.New("socotra: installation state: the fetch did not finish")
	defer func() {
		m.mu.Lock()
		delete(m.fetching, key)
		if f.err == nil {
			for k, old := range m.cache { // drop expired entries as we go
				if m.now().Sub(old.fetched) >= m.ttl {
					delete(m.cache, k)
				}
			}
			m.cache[key] = f.in
		}
		m.mu.Unlock()
		close(f.done)
	}()
	st, err := m.fetch(ctx, key)
	if err != nil {
		f.err, f.abandoned = err, ctx.Err() != nil
		return nil, err
	}
	f.in, f.err = &installation{state: st, fetched: m.now()}, nil
	f.in.state.TenantLocator, f.in.tenantSource = findTenantLocator(st)
	return f.in, nil
}

func (m *Marketplace) fetch(ctx context.Context, key string) (InstallationState, error) {
	ctx = withSecrets(ctx, key) // an answer may echo the key; keep it out of errors and logs
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.base+"/state/"+url.PathEscape(key), nil)
	if err != nil {
		return InstallationState{}, fmt.Errorf("socotra: installation state: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := m.t.Do(req)
	if err != nil {
		return InstallationState{}, fmt.Errorf("socotra: installation state: %w", redactErr(err, key))
	}
	st, err := decode(resp, []string{key}, func(s *InstallationState) error {
		if s.SocotraAPIURL == "" || s.Token == "" {
			return errors.New("state without socotraApiUrl or token")
		}
		return nil
	})
	if err != nil {
		return InstallationState{}, fmt.Errorf("socotra: installation state: %w", redactErr(err, key))
	}
	return st, nil
}

// redactErr removes the installation key from err. An *APIError keeps its
// type with its path hidden; any other error (a *url.Error holds the URL,
// key and all) becomes its redacted text, matchable only as the context
// error behind it, if any.
func redactErr(err error, key string) error {
	var ae *APIError
	if errors.As(err, &ae) {
		ae.Path = redacted
		return ae
	}
	e := &redactedError{msg: redact(err.Error(), []string{key, url.PathEscape(key)})}
	for _, cause := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, cause) {
			e.cause = cause
		}
	}
	return e
}

type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }
