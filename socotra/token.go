package socotra

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

const (
	// renewBefore is how long before its expiry a cached token is replaced;
	// a token that lives less than twice as long is replaced at half its life,
	// so that a short-lived token is not renewed on every call.
	renewBefore = time.Minute
	// renewTimeout bounds one renewal, which runs apart from any caller's
	// context so that one caller giving up does not fail the others.
	renewTimeout = time.Minute
)

// errNoRenewal is returned by renew when the token cannot be renewed (a
// fixed token with no credentials); the transport then keeps the 401.
var errNoRenewal = errors.New("socotra: token cannot be renewed")

// fetchFunc obtains a new token and its expiry (zero when unknown).
type fetchFunc func(ctx context.Context) (token string, expires time.Time, err error)

// tokenCache holds one token, renews it before expiry or on demand, and makes
// concurrent callers share a single renewal.
type tokenCache struct {
	fetch fetchFunc // nil: the token is fixed
	now   func() time.Time

	mu     sync.Mutex
	tok    string
	exp    time.Time     // zero: valid until the server refuses it
	margin time.Duration // renew this long before exp
	flight *renewal      // the renewal in progress, if any
}

type renewal struct {
	done chan struct{}
	tok  string
	err  error
}

func (c *tokenCache) fresh() bool {
	if c.tok == "" {
		return false
	}
	if c.exp.IsZero() {
		return true
	}
	margin := c.margin
	if margin == 0 {
		margin = renewBefore
	}
	return c.now().Before(c.exp.Add(-margin))
}

// setLocked stores a token fetched now, valid until exp (zero: unknown). The
// renewal margin is renewBefore, or half the token's life when that is
// shorter. A token already expired when it arrives (a skewed clock) is used
// until the server refuses it, rather than renewed on every call.
func (c *tokenCache) setLocked(tok string, exp time.Time) {
	c.tok, c.exp, c.margin = tok, exp, renewBefore
	if exp.IsZero() {
		return
	}
	life := exp.Sub(c.now())
	switch {
	case life <= 0:
		c.exp = time.Time{}
	case life < 2*renewBefore:
		c.margin = life / 2
	}
}

// get returns the cached token, renewing it first when it is missing or about
// to expire.
func (c *tokenCache) get(ctx context.Context) (string, error) {
	c.mu.Lock()
	if c.fresh() || (c.fetch == nil && c.tok != "") {
		tok := c.tok
		c.mu.Unlock()
		return tok, nil
	}
	return c.wait(ctx) // unlocks
}

// renew replaces stale, the token the server just refused, unless another
// caller already did.
func (c *tokenCache) renew(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	if c.fetch == nil {
		c.mu.Unlock()
		return "", errNoRenewal
	}
	if c.tok != stale && c.fresh() {
		tok := c.tok
		c.mu.Unlock()
		return tok, nil
	}
	c.tok = ""
	return c.wait(ctx)
}

// wait joins the renewal in progress or starts one; c.mu must be held and is
// released.
func (c *tokenCache) wait(ctx context.Context) (string, error) {
	if c.fetch == nil {
		c.mu.Unlock()
		return "", errNoRenewal
	}
	f := c.flight
	if f == nil {
		f = &renewal{done: make(chan struct{})}
		c.flight = f
		go c.run(context.WithoutCancel(ctx), f)
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.tok, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (c *tokenCache) run(ctx context.Context, f *renewal) {
	ctx, cancel := context.WithTimeout(ctx, renewTimeout)
	defer cancel()
	tok, exp, err := c.fetchRecovered(ctx)
	if err == nil && tok == "" {
		err = errors.New("socotra: authentication returned an empty token")
	}
	c.mu.Lock()
	if err == nil {
		c.setLocked(tok, exp)
	}
	c.flight = nil
	c.mu.Unlock()
	f.tok, f.err = tok, err
	close(f.done)
}

// fetchRecovered is c.fetch with a panic turned into an error, since it runs on a goroutine of its own:
// a panicking token source must not take the process down, nor leave callers waiting for ever. The panic
// value is not repeated: it might hold a credential.
func (c *tokenCache) fetchRecovered(ctx context.Context) (tok string, exp time.Time, err error) {
	defer func() {
		if p := recover(); p != nil {
			tok, err = "", fmt.Errorf("socotra: the token source panicked (a %T)", p)
		}
	}()
	return c.fetch(ctx)
}

// current returns the cached token without renewing, for redaction.
func (c *tokenCache) current() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tok
}
