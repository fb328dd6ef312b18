package redisstore

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of a [Deduper].
const (
	// DefaultPrefix starts every key a [Deduper] writes; the event id follows it.
	DefaultPrefix = "socotra:webhooks:dedupe:"
	// DefaultLease is how long a claim holds before another instance may take the event over.
	DefaultLease = 5 * time.Minute
	// DefaultTTL is how long a processed event id is remembered. It is longer than the in-memory default
	// because Redis keeps ids cheaply and diverted events may be replayed days after they happened.
	DefaultTTL = 7 * 24 * time.Hour
)

// Option configures a [Deduper].
type Option interface{ apply(*settings) }

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

type settings struct {
	prefix     string
	lease, ttl time.Duration
}

// WithPrefix sets the string that starts every key, so that several applications can share one Redis.
// The default is [DefaultPrefix].
func WithPrefix(p string) Option { return optionFunc(func(s *settings) { s.prefix = p }) }

// WithLease sets how long a claim holds: if the instance that claimed an event neither completes nor
// releases it within d (it crashed, say), another delivery may process the event. Keep d above the
// handlers' timeout. The default is [DefaultLease]; d must be at least a millisecond.
func WithLease(d time.Duration) Option { return optionFunc(func(s *settings) { s.lease = d }) }

// WithTTL sets how long a processed event id is remembered; a delivery of the same event after that runs
// the handlers again. The default is [DefaultTTL]; d must be at least a millisecond.
func WithTTL(d time.Duration) Option { return optionFunc(func(s *settings) { s.ttl = d }) }

// validate reports every bad setting.
func (s *settings) validate() error {
	var errs []error
	if s.lease < time.Millisecond {
		errs = append(errs, fmt.Errorf("redisstore: lease %s is below the 1ms Redis can express; use WithLease with a positive duration such as 5*time.Minute", s.lease))
	}
	if s.ttl < time.Millisecond {
		errs = append(errs, fmt.Errorf("redisstore: TTL %s is below the 1ms Redis can express; use WithTTL with a positive duration such as 7*24*time.Hour", s.ttl))
	}
	return errors.Join(errs...)
}
