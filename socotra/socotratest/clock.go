package socotratest

import (
	"sort"
	"sync"
	"time"
)

// Clock is the server's source of time. It stamps events and deliveries, expires Legacy tokens and
// times retry backoff and fault delays. The HTTP timeout of each delivery attempt uses real time.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives the time once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// FakeClock is a [Clock] that moves only when told to. [Server.Flush] advances it by itself to the
// next pending wait, so a test of retries with backoff runs instantly. Use one FakeClock per server:
// Flush counts every pending wait on the clock as the server's own.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*waiter
	changed func() // set by the server to wake Flush
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewFakeClock returns a [FakeClock] reading start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the clock's time once it has been advanced by at least d.
// A wait of zero or less fires at once.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	w := &waiter{at: c.now.Add(d), ch: make(chan time.Time, 1)}
	if d <= 0 {
		w.ch <- c.now
		c.mu.Unlock()
		return w.ch
	}
	c.waiters = append(c.waiters, w)
	notify := c.changed
	c.mu.Unlock()
	if notify != nil {
		notify()
	}
	return w.ch
}

// Advance moves the clock forward by d and fires every wait that is due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.setLocked(c.now.Add(d))
	c.mu.Unlock()
}

// Pending reports how many waits have not fired yet.
func (c *FakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// advanceToNext moves the clock to the earliest pending wait and fires it; false when none is pending.
func (c *FakeClock) advanceToNext() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiters) == 0 {
		return false
	}
	next := c.waiters[0].at
	for _, w := range c.waiters[1:] {
		if w.at.Before(next) {
			next = w.at
		}
	}
	if next.Before(c.now) {
		next = c.now
	}
	c.setLocked(next)
	return true
}

func (c *FakeClock) setLocked(t time.Time) {
	c.now = t
	sort.SliceStable(c.waiters, func(i, j int) bool { return c.waiters[i].at.Before(c.waiters[j].at) })
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(t) {
			kept = append(kept, w)
			continue
		}
		w.ch <- t
	}
	clear(c.waiters[len(kept):])
	c.waiters = kept
}
