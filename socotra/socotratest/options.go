package socotratest

import (
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Option configures a [Server].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	clock           Clock
	tokenTTL        time.Duration
	retryUnit       time.Duration
	deliveryTimeout time.Duration
	faults          Faults
	log             *slog.Logger
	client          *http.Client
	bareList        bool
	noEndToken      bool
	coreScheme      string
	smpKey          string
	extra           extraConfig // control.go
}

func defaults() config {
	return config{
		clock:           realClock{},
		tokenTTL:        time.Hour,
		retryUnit:       time.Second,
		deliveryTimeout: 10 * time.Second,
		log:             slog.New(slog.NewTextHandler(io.Discard, nil)),
		coreScheme:      "Bearer",
	}
}

// WithClock sets the clock that stamps events and times backoff, fault delays and token expiry.
// Pass a [FakeClock] to test retries without waiting. The server waits as well as reads the time, so it
// takes a [Clock]; socotra.WithClock and hmac.WithClock only read it and take a func() time.Time, which
// the same clock's Now method is: socotra.WithClock(clock.Now). Default: the real clock.
func WithClock(c Clock) Option { return optionFunc(func(cfg *config) { cfg.clock = c }) }

// WithTokenTTL sets how long a Legacy token from /account/authenticate or /account/authenticateAdmin
// stays valid. Default: one hour.
func WithTokenTTL(d time.Duration) Option { return optionFunc(func(c *config) { c.tokenTTL = d }) }

// WithRetryUnit sets the duration of one unit of a retry strategy's interval. Socotra does not publish
// the unit, so it is a setting. Legacy retries, which have no interval, wait one unit per retry.
// Default: one second.
func WithRetryUnit(d time.Duration) Option { return optionFunc(func(c *config) { c.retryUnit = d }) }

// WithDeliveryTimeout sets how long one delivery attempt may take before it counts as a timeout.
// This is real time, whatever the clock. Default: ten seconds.
func WithDeliveryTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.deliveryTimeout = d })
}

// WithFaults makes deliveries misbehave as f says; see [Faults]. Default: no faults.
func WithFaults(f Faults) Option { return optionFunc(func(c *config) { c.faults = f }) }

// WithLogger sets the logger for management calls and deliveries. Default: discards everything.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.log = l }) }

// WithHTTPClient sets the client used for deliveries, for example an httptest TLS server's Client so
// that endpoints with secureSsl on trust its certificate. Endpoints with secureSsl off skip the
// certificate check whatever the client (unless its Transport is not an *http.Transport). The
// client is used as it is, redirect policy included, and its idle connections are closed by
// [Server.Close]. Default: a client of the server's own that does not follow redirects.
func WithHTTPClient(c *http.Client) Option { return optionFunc(func(cfg *config) { cfg.client = c }) }

// WithSMPKey makes every delivery carry the header x-smp-key: key, as every request the Marketplace
// platform sends to an app does (socotra-facts.md, section 4): for an app under test that reads its
// installation from that header (socotra.WithMarketplace, socotra.Marketplace.Middleware). Default: no
// such header, as for a webhook registered outside the Marketplace.
func WithSMPKey(key string) Option { return optionFunc(func(c *config) { c.smpKey = key }) }

// WithBareWebhookList makes the Core webhook list answer with a bare JSON array instead of the
// {listCompleted, items} envelope, as some tenant versions do. Default: the envelope.
func WithBareWebhookList() Option { return optionFunc(func(c *config) { c.bareList = true }) }

// WithoutFinalPagingToken makes the Core event stream leave the pagingToken out of a page that
// ends the matching events, so that a reader's fallback for a stream without a final token can be
// tested. By default every page carries a token (see the package documentation: that Core does
// so is an assumption).
func WithoutFinalPagingToken() Option { return optionFunc(func(c *config) { c.noEndToken = true }) }

// WithCoreAuthScheme sets the scheme the Core API expects before the token in the Authorization
// header; the empty string means the bare token. The client's matching setting has the same name:
// socotra.WithCoreAuthScheme. Default: "Bearer".
func WithCoreAuthScheme(scheme string) Option {
	return optionFunc(func(c *config) { c.coreScheme = scheme })
}
