package pgstore

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults of a [Store].
const (
	// DefaultTablePrefix starts the name of every table a [Store] creates.
	DefaultTablePrefix = "socotra_webhooks_"
	// DefaultLease is how long a [Deduper] claim holds before another delivery may take the event over.
	DefaultLease = 5 * time.Minute
	// DefaultRetention is how long a processed event is remembered, by the [Deduper] and by
	// [Store.HandleTx]; a delivery of the same event after that is processed again. Diverted events may be
	// resent days after they happened, so it is a week.
	DefaultRetention = 7 * 24 * time.Hour
	// DefaultCleanupInterval is how often the background cleanup deletes the rows older than the retention.
	DefaultCleanupInterval = time.Hour
)

// Option configures a [Store].
type Option interface{ apply(*settings) }

type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

type settings struct {
	schema, prefix   string
	lease, retention time.Duration
	cleanup          time.Duration
	log              *slog.Logger
}

// WithSchema puts the tables in the named schema, which [New] creates if it does not exist (the role then
// needs CREATE on the database). The default, "", is the connection's current schema: the first schema
// of its search_path that exists, usually "public". Every instance of a service must reach the same
// tables: name the schema when their connections' search_path may differ.
func WithSchema(name string) Option { return optionFunc(func(s *settings) { s.schema = name }) }

// WithTablePrefix sets the string that starts every table name, so that several applications can share
// one schema. It must be a lower-case SQL identifier of at most 40 characters (letters, digits and '_', not
// starting with a digit). The default is [DefaultTablePrefix].
func WithTablePrefix(p string) Option { return optionFunc(func(s *settings) { s.prefix = p }) }

// WithLease sets how long a [Deduper] claim holds: if the delivery that claimed an event neither completes
// nor releases it within d (its process crashed, say), another delivery may process the event. Keep d
// above the handlers' timeout ([webhooks.WithTimeout]). The default is [DefaultLease]; d must be at least a
// millisecond.
func WithLease(d time.Duration) Option { return optionFunc(func(s *settings) { s.lease = d }) }

// WithRetention sets how long processed events are remembered, by the [Deduper] (its done marks) and by
// [Store.HandleTx] (its processed rows). A delivery of an event after that processes it again. The
// default is [DefaultRetention]; d must be at least a second.
func WithRetention(d time.Duration) Option { return optionFunc(func(s *settings) { s.retention = d }) }

// WithCleanupInterval sets how often a background goroutine deletes the rows older than the retention
// and the lapsed claims; [Store.Close] stops it. 0 turns the background cleanup off: call [Store.Cleanup]
// yourself (from a scheduled job, say). The default is [DefaultCleanupInterval]; d must not be negative.
func WithCleanupInterval(d time.Duration) Option {
	return optionFunc(func(s *settings) { s.cleanup = d })
}

// WithLogger sets the logger that receives the background cleanup's failures (at error level) and counts
// (at debug level). Nothing the Store logs holds data from an event. The default discards.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(s *settings) {
		if l != nil {
			s.log = l
		}
	})
}

// maxPrefix leaves room under PostgreSQL's 63-byte identifier limit for the longest table or index suffix.
const maxPrefix = 40

// validate reports every bad setting.
func (s *settings) validate() error {
	var errs []error
	if s.prefix == "" || len(s.prefix) > maxPrefix || !identifier(s.prefix) {
		errs = append(errs, fmt.Errorf("pgstore: table prefix %q is not a lower-case SQL identifier of 1 to %d characters; use WithTablePrefix with letters, digits and '_', such as %q", s.prefix, maxPrefix, DefaultTablePrefix))
	}
	if len(s.schema) > 63 {
		errs = append(errs, fmt.Errorf("pgstore: schema name of %d bytes is over PostgreSQL's 63; use WithSchema with a shorter name", len(s.schema)))
	}
	if s.lease < time.Millisecond {
		errs = append(errs, fmt.Errorf("pgstore: lease %s is below 1ms; use WithLease with a positive duration such as 5*time.Minute", s.lease))
	}
	if s.retention < time.Second {
		errs = append(errs, fmt.Errorf("pgstore: retention %s is below 1s; use WithRetention with a duration such as 7*24*time.Hour", s.retention))
	}
	if s.cleanup < 0 {
		errs = append(errs, fmt.Errorf("pgstore: cleanup interval %s is negative; use WithCleanupInterval(0) to turn the background cleanup off", s.cleanup))
	}
	return errors.Join(errs...)
}

// identifier reports whether p is made of lower-case letters, digits and '_' and does not start with a
// digit, so that it needs no quoting and folds to itself.
func identifier(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
