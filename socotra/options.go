package socotra

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Default settings of a client; each can be changed with an [Option].
const (
	DefaultUserAgent     = "socotra-go-sdk"
	DefaultMaxAttempts   = 4
	DefaultMinRetryWait  = 500 * time.Millisecond
	DefaultMaxRetryWait  = 30 * time.Second
	DefaultMaxRetryAfter = 2 * time.Minute
	DefaultAuthScheme    = "Bearer"
	DefaultStateTTL      = time.Minute
	defaultHTTPTimeout   = time.Minute
)

// Option configures a [CoreClient] and a [LegacyClient] (see
// [NewCoreClient], [NewLegacyClient]). Every Option is also a
// [MarketplaceOption]: a [Marketplace] passes it on to the clients it builds.
// The settings of a Marketplace alone are MarketplaceOptions only, so passing
// one to a client is a compile error. The one setting of a Core client alone,
// [WithCoreAuthScheme], is refused by [NewLegacyClient] with an error, never
// ignored (it stays an Option so that a []Option slice fits both clients).
type Option interface {
	MarketplaceOption
	applyClient(*settings)
}

// MarketplaceOption configures a [Marketplace] (see [NewMarketplace]).
type MarketplaceOption interface {
	applyMarketplace(*settings)
}

type settings struct {
	httpClient    *http.Client
	logger        *slog.Logger
	userAgent     string
	maxAttempts   int
	minWait       time.Duration
	maxWait       time.Duration
	maxRetryAfter time.Duration
	authScheme    string
	stateTTL      time.Duration
	now           func() time.Time
	tenantFunc    func(context.Context, InstallationState) (string, error)
}

// optionFunc applies to every constructor.
type optionFunc func(*settings)

func (f optionFunc) applyClient(s *settings)      { f(s) }
func (f optionFunc) applyMarketplace(s *settings) { f(s) }

// coreOnly is an Option that only a Core client uses: [NewLegacyClient]
// refuses it, and a Marketplace gives it to its Core clients only.
type coreOnly struct {
	name string
	f    func(*settings)
}

func (o coreOnly) applyClient(s *settings)      { o.f(s) }
func (o coreOnly) applyMarketplace(s *settings) { o.f(s) }

// marketplaceOptionFunc applies to a Marketplace only.
type marketplaceOptionFunc func(*settings)

func (f marketplaceOptionFunc) applyMarketplace(s *settings) { f(s) }

// newSettings applies opts through apply, the method of the constructor at
// hand.
func newSettings[O MarketplaceOption](opts []O, apply func(O, *settings)) settings {
	s := settings{
		logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		userAgent:     DefaultUserAgent,
		maxAttempts:   DefaultMaxAttempts,
		minWait:       DefaultMinRetryWait,
		maxWait:       DefaultMaxRetryWait,
		maxRetryAfter: DefaultMaxRetryAfter,
		authScheme:    DefaultAuthScheme,
		stateTTL:      DefaultStateTTL,
		now:           time.Now,
	}
	for _, o := range opts {
		if MarketplaceOption(o) != nil {
			apply(o, &s)
		}
	}
	if s.httpClient == nil {
		s.httpClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return s
}

// WithHTTPClient sends every request through c (its Transport, Timeout and
// Jar apply to each attempt). Default: a client with a one-minute timeout over
// http.DefaultTransport.
func WithHTTPClient(c *http.Client) Option {
	return optionFunc(func(s *settings) { s.httpClient = c })
}

// WithLogger logs each request (method, path, status, attempt, duration) at
// debug level and token renewals at info level. Headers, bodies, tokens and
// secrets are never logged. Default: a logger that discards everything.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(s *settings) {
		if l != nil {
			s.logger = l
		}
	})
}

// WithUserAgent sets the User-Agent header of every request. Default:
// [DefaultUserAgent].
func WithUserAgent(ua string) Option {
	return optionFunc(func(s *settings) { s.userAgent = ua })
}

// WithRetry sets how many times a request is attempted in all (1 turns retries
// off) and the bounds of the exponential backoff between attempts; each wait
// is picked at random between half and all of min·2^n, capped at max. Defaults:
// [DefaultMaxAttempts], [DefaultMinRetryWait], [DefaultMaxRetryWait].
// Only requests that are safe to repeat are retried (see [CoreClient]).
func WithRetry(maxAttempts int, minWait, maxWait time.Duration) Option {
	return optionFunc(func(s *settings) {
		s.maxAttempts, s.minWait, s.maxWait = maxAttempts, minWait, maxWait
	})
}

// WithMaxRetryAfter sets the longest Retry-After (on 429 or 503) the client
// waits for; when the server asks for longer, the client stops and returns the
// response as an [*APIError] whose RetryAfter says how long to wait. Default:
// [DefaultMaxRetryAfter].
func WithMaxRetryAfter(d time.Duration) Option {
	return optionFunc(func(s *settings) { s.maxRetryAfter = d })
}

// WithCoreAuthScheme sets the scheme the Core client puts before its Personal
// Access Token in the Authorization header; "" sends the bare token.
// Socotra's own tools send "Bearer" (socotra/migration-tutorial
// apps/checks/checks.py, reference facts §6), but the API reference does not
// name the prefix, so it stays a setting. Default:
// [DefaultAuthScheme] ("Bearer"). The Legacy client always sends its token
// bare: [NewLegacyClient] refuses this option, and a [Marketplace] gives it
// to its Core clients only. The fake tenant's matching setting has the same
// name: socotratest.WithCoreAuthScheme.
func WithCoreAuthScheme(scheme string) Option {
	return coreOnly{"WithCoreAuthScheme", func(s *settings) { s.authScheme = scheme }}
}

// WithAuthScheme is [WithCoreAuthScheme].
//
// Deprecated: use WithCoreAuthScheme, named like the fake tenant's setting.
func WithAuthScheme(scheme string) Option {
	return coreOnly{"WithAuthScheme", func(s *settings) { s.authScheme = scheme }}
}

// WithStateTTL sets how long a [Marketplace] keeps an installation's state
// before fetching it again. Default: [DefaultStateTTL].
func WithStateTTL(d time.Duration) MarketplaceOption {
	return marketplaceOptionFunc(func(s *settings) { s.stateTTL = d })
}

// WithTenantLocatorFunc gives a [Marketplace] the last source of an
// installation's Core tenant locator, asked only when the installation
// names none itself (see [Installation.CoreClient]): fn gets the state and
// returns the locator (a UUID), for example looked up from TenantHostName in
// the app's own configuration. Default: none.
func WithTenantLocatorFunc(fn func(ctx context.Context, st InstallationState) (string, error)) MarketplaceOption {
	return marketplaceOptionFunc(func(s *settings) { s.tenantFunc = fn })
}

// WithClock replaces time.Now for token expiry and state caching, for tests.
// Like hmac.WithClock it takes the function that reads the time; the fake
// tenant's socotratest.WithClock takes a Clock, whose Now method fits here
// (socotra.WithClock(fakeClock.Now)). Default: time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(s *settings) {
		if now != nil {
			s.now = now
		}
	})
}

func (s *settings) validate() error {
	switch {
	case s.maxAttempts < 1:
		return errorf("WithRetry: max attempts is %d; use 1 or more (1 turns retries off)", s.maxAttempts)
	case s.minWait < 0 || s.maxWait < s.minWait:
		return errorf("WithRetry: waits %v..%v are not a range; use 0 <= min <= max", s.minWait, s.maxWait)
	case s.maxRetryAfter < 0:
		return errorf("WithMaxRetryAfter: %v is negative", s.maxRetryAfter)
	case s.stateTTL < 0:
		return errorf("WithStateTTL: %v is negative", s.stateTTL)
	}
	return nil
}
