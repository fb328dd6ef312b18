package conformance

import (
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
)

// Option configures [Check] and [Run].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// sample is one event the kit sends as a valid delivery.
type sample struct {
	typ  events.Name
	data any
}

type config struct {
	platforms events.Platform
	probe     *Probe
	timeout   time.Duration
	maxBody   int64
	samples   []sample
	path      string
	headers   http.Header
	lag       time.Duration
	skip      map[Scenario]bool
	log       *slog.Logger
	errs      []string
}

func newConfig(opts []Option) *config {
	c := &config{
		platforms: events.Core, timeout: DefaultTimeout, maxBody: hmac.DefaultMaxBodyBytes, path: "/",
		skip: map[Scenario]bool{}, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if len(c.samples) == 0 {
		c.samples = []sample{{typ: DefaultEvent}}
	}
	return c
}

// DefaultTimeout is how long a delivery may take to be answered unless [WithTimeout] says otherwise. Socotra
// does not publish its delivery timeout; ten seconds is the fake tenant's default.
const DefaultTimeout = 10 * time.Second

// DefaultEvent is the event type of the valid deliveries unless [WithEvent] says otherwise. Both platforms
// send it.
const DefaultEvent = events.PolicyQuoteCreate

// WithPlatform chooses the delivery format: events.Core (Insurance Suite), events.Legacy (Connected Core),
// or events.Core|events.Legacy to run every scenario for both. Default: events.Core.
func WithPlatform(p events.Platform) Option {
	return optionFunc(func(c *config) {
		if p == 0 || p&^(events.Core|events.Legacy) != 0 {
			c.errs = append(c.errs, "WithPlatform: want events.Core, events.Legacy or both")
			return
		}
		c.platforms = p
	})
}

// WithProbe tells the kit how the handler reports processing: the handler calls p.Observe (or runs its
// functions through p.Wrap) for each event it processes. Without a probe the kit sees only status codes, so
// it cannot tell a duplicate processed twice from one skipped, and it skips [ScenarioRetry]. Default: none.
func WithProbe(p *Probe) Option {
	return optionFunc(func(c *config) { c.probe = p })
}

// WithTimeout sets how long the handler may take to answer a delivery; an answer that takes longer is a
// problem, since Socotra then counts the delivery as failed and sends it again. Default: [DefaultTimeout].
// Tests usually set a fraction of a second.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.errs = append(c.errs, "WithTimeout: want a positive duration, got "+d.String())
			return
		}
		c.timeout = d
	})
}

// WithMaxBodyBytes sets the body limit the handler is expected to enforce: a delivery of n bytes must be
// accepted and one of n+1 bytes refused. Default: hmac.DefaultMaxBodyBytes (1 MiB), the limit of
// hmac.NewVerifier and webhooks.NewReceiver.
func WithMaxBodyBytes(n int64) Option {
	return optionFunc(func(c *config) {
		if n < 1024 {
			c.errs = append(c.errs, "WithMaxBodyBytes: want at least 1024 bytes (a delivery is bigger than that)")
			return
		}
		c.maxBody = n
	})
}

// WithEvent adds an event the handler processes, with its data (a value that encodes to a JSON object, raw
// JSON bytes, or nil for {}), to the valid deliveries the kit sends; every scenario uses the first one.
// Each delivery carries a new event id and the same data. Give the event types the handler routes to your
// code, so that the kit can see them processed. Default: [DefaultEvent] with empty data.
func WithEvent(typ events.Name, data any) Option {
	return optionFunc(func(c *config) {
		if _, err := events.Parse(string(typ)); err != nil {
			c.errs = append(c.errs, "WithEvent: "+err.Error())
			return
		}
		c.samples = append(c.samples, sample{typ: typ, data: data})
	})
}

// WithPath sets the path (with any query) the deliveries are posted to, for a handler that is a mux serving
// several routes. Default: "/".
func WithPath(path string) Option {
	return optionFunc(func(c *config) {
		if len(path) == 0 || path[0] != '/' {
			c.errs = append(c.errs, "WithPath: want a path starting with '/', got "+path)
			return
		}
		c.path = path
	})
}

// WithHeader adds a header to every delivery, as the headers configured on a Socotra webhook endpoint are,
// for a handler that requires one (an API key, say). Default: none.
func WithHeader(key, value string) Option {
	return optionFunc(func(c *config) {
		if key == "" || http.CanonicalHeaderKey(key) == http.CanonicalHeaderKey(hmac.HeaderName) {
			c.errs = append(c.errs, "WithHeader: want a header name other than "+hmac.HeaderName+", got "+key)
			return
		}
		if c.headers == nil {
			c.headers = http.Header{}
		}
		c.headers.Add(key, value)
	})
}

// WithProcessingDelay is for a handler that acknowledges an event first and processes it afterwards (from a
// queue, say): the kit waits up to d for each acknowledged event to be processed before it calls the event
// lost. Such a handler usually leaves out [ScenarioRetry] with [WithSkip], since its queue, not Socotra,
// retries failures. Default: 0, the handler processes an event before answering.
func WithProcessingDelay(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d < 0 {
			c.errs = append(c.errs, "WithProcessingDelay: want a duration of 0 or more, got "+d.String())
			return
		}
		c.lag = d
	})
}

// WithSkip leaves out scenarios, for a handler that deliberately behaves otherwise. Default: every scenario
// in [Scenarios] runs.
func WithSkip(s ...Scenario) Option {
	return optionFunc(func(c *config) {
		for _, x := range s {
			if x.Expectation() == "" {
				c.errs = append(c.errs, "WithSkip: unknown scenario "+string(x))
				continue
			}
			c.skip[x] = true
		}
	})
}

// WithLogger sets the logger of the kit and of its fake tenant (every delivery is logged at debug level).
// Default: discards everything.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.log = l
		}
	})
}
