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

// Option configures a [CoreClient], a [LegacyClient] or a [Marketplace].
// An option that does not concern a client is ignored by it.
type Option interface {
	apply(*settings)
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

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

func newSettings(opts []Option) settings {
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
		if o != nil {
			o.apply(&s)
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

// WithAuthScheme sets the scheme the Core client puts before its Personal
// Access Token in the Authorization header; "" sends the bare token. The
// platform's expected prefix is unconfirmed, hence this setting. Default:
// [DefaultAuthScheme] ("Bearer"). The Legacy client always sends its token bare.
func WithAuthScheme(scheme string) Option {
	return optionFunc(func(s *settings) { s.authScheme = scheme })
}

// WithStateTTL sets how long a [Marketplace] keeps an installation's state
// before fetching it again. Default: [DefaultStateTTL].
func WithStateTTL(d time.Duration) Option {
	return optionFunc(func(s *settings) { s.stateTTL = d })
}

// WithTenantLocatorFunc gives a [Marketplace] the last source of an
// installation's Core tenant locator, asked only when the installation
// names none itself (see [Installation.CoreClient]): fn gets the state and
// returns the locator (a UUID), for example looked up from TenantHostName in
// the app's own configuration. Default: none.
func WithTenantLocatorFunc(fn func(ctx context.Context, st InstallationState) (string, error)) Option {
	return optionFunc(func(s *settings) { s.tenantFunc = fn })
}

// WithClock replaces time.Now for token expiry and state caching, for tests.
// Default: time.Now.
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
