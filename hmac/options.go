package hmac

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Option configures a [Verifier]. Options are checked by the constructor.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	maxBody  int64
	log      *slog.Logger
	clock    func() time.Time
	scheme   Scheme
	methods  []string
	insecure bool
}

func (c *config) validate() error {
	var errs []error
	if c.maxBody <= 0 {
		errs = append(errs, fmt.Errorf("hmac: WithMaxBodyBytes(%d): the limit must be positive", c.maxBody))
	}
	if c.clock == nil {
		errs = append(errs, errors.New("hmac: WithClock(nil): pass a function such as time.Now"))
	}
	if c.scheme == nil {
		errs = append(errs, errors.New("hmac: WithScheme(nil): pass DefaultScheme() or your own Scheme"))
	} else if s := c.scheme.Hash()().Size(); s <= 0 || s > maxMACSize {
		errs = append(errs, fmt.Errorf("hmac: WithScheme: hash size %d is outside 1..%d bytes", s, maxMACSize))
	}
	if len(c.methods) == 0 {
		errs = append(errs, errors.New("hmac: WithMethods needs at least one method, such as http.MethodPost"))
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return errors.Join(errs...)
}

// WithMaxBodyBytes sets the largest body [Verifier.Middleware] reads; a larger one is refused with 413
// before the next handler runs. It must be positive. Default: [DefaultMaxBodyBytes] (1 MiB).
func WithMaxBodyBytes(n int64) Option { return optionFunc(func(c *config) { c.maxBody = n }) }

// WithLogger sets the logger that receives why a request was refused, with facts safe to log (never a MAC
// or a secret). Default: a logger that discards everything; nil keeps the default.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.log = l }) }

// WithClock sets the clock that decides which keys are inside their NotBefore/NotAfter window, as the
// function that reads the time, like socotra.WithClock (a socotratest.FakeClock's Now method fits both).
// Only keys with a window read it: [NewKeyringVerifier]'s; the one key of [NewVerifier] has none, so there
// the clock is accepted and never read (one option list serves both constructors). Default: time.Now.
func WithClock(now func() time.Time) Option { return optionFunc(func(c *config) { c.clock = now }) }

// WithScheme sets how signatures are computed and carried. Default: [DefaultScheme].
func WithScheme(s Scheme) Option { return optionFunc(func(c *config) { c.scheme = s }) }

// WithMethods sets the HTTP methods [Verifier.Middleware] lets through; any other is refused with 405.
// Default: POST only, which is how Socotra delivers webhooks.
func WithMethods(methods ...string) Option {
	return optionFunc(func(c *config) { c.methods = append([]string(nil), methods...) })
}

// InsecureSkipVerify makes the verifier accept every request without checking any signature, and lets it be
// built without a key; given together with a key it is an error, so that it cannot silently override a
// configured secret. It exists for tests and local experiments only; the constructor logs a warning.
// Default: off.
func InsecureSkipVerify() Option { return optionFunc(func(c *config) { c.insecure = true }) }
