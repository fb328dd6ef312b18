package webhooks

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/socotra-go/sdk/events"
)

// Stats counts what a [Handler] did since it was created. Every delivery of an event counts once in
// Received and in at most one of Handled, Duplicates and Failures (a delivery whose client went away, or
// one still running past a timeout, counts as a failure).
type Stats struct {
	// Received counts the events given to [Handler.Handle], parsed deliveries included.
	Received uint64
	// Handled counts the events whose functions all returned nil (the fallback's included).
	Handled uint64
	// Duplicates counts deliveries of an event already processed or being processed; no function ran.
	Duplicates uint64
	// Failures counts handler errors, panics, timeouts and dedupe store errors.
	Failures uint64
	// Unmatched counts the events no pattern matched, which went to the fallback.
	Unmatched uint64
	// Rejected counts the requests refused before decoding an event: a method other than POST, a body
	// too large, a body that is neither a delivery nor an alert (400), and behind [NewReceiver] every
	// request the signature check refused.
	Rejected uint64
	// Refused counts the requests refused for a missing or wrong signature (401), behind [NewReceiver];
	// they count in Rejected too.
	Refused uint64
	// TooLarge counts the requests refused for a body over the limit (413); they count in Rejected too.
	TooLarge uint64
	// Unverified counts the requests a Handler mounted on its own served without a signature check, which
	// only [InsecureAcceptUnverified] allows. A Handler mounted on its own without it refuses every request
	// (401), counted in Refused and Rejected.
	Unverified uint64
	// Alerts counts the failure alerts received (see [Alert]); they count nowhere else.
	Alerts uint64
	// ByType holds the counts per event name, for the names received at least once. Unknown names are
	// listed up to a limit of 1000 names of at most 128 bytes; other names count only in the totals.
	ByType map[events.Name]TypeStats
}

// TypeStats counts the deliveries of one event name; the fields mean what they mean in [Stats].
type TypeStats struct {
	Received, Handled, Duplicates, Failures uint64
}

// maxUnknownTypes bounds how many unknown event names get their own counters, and maxUnknownTypeBytes how
// long each may be, so that the names kept take at most about 128 KB whatever a sender makes up.
const (
	maxUnknownTypes     = 1000
	maxUnknownTypeBytes = events.MaxNameLen
)

type counters struct {
	received, handled, duplicates, failures atomic.Uint64
}

func (c *counters) load() TypeStats {
	return TypeStats{c.received.Load(), c.handled.Load(), c.duplicates.Load(), c.failures.Load()}
}

type stats struct {
	total               counters
	unmatched, rejected atomic.Uint64
	refused, tooLarge   atomic.Uint64
	alerts              atomic.Uint64
	unverified          atomic.Uint64
	known               []counters // indexed like knownNames
	unknown             sync.Map   // events.Name -> *counters
	unknownN            atomic.Int64
	overflow            counters // unknown names past the limit
}

func (s *stats) init() { s.known = make([]counters, len(knownNames)) }

// forType returns the counters of n without allocating for known names.
func (s *stats) forType(n events.Name) *counters {
	if i, ok := knownIndex[string(n)]; ok {
		return &s.known[i]
	}
	if c, ok := s.unknown.Load(n); ok {
		return c.(*counters)
	}
	if s.unknownN.Load() >= maxUnknownTypes || len(n) > maxUnknownTypeBytes {
		return &s.overflow
	}
	// The map keeps a copy: n may share memory with a larger string, such as a backfill's page.
	c, loaded := s.unknown.LoadOrStore(events.Name(strings.Clone(string(n))), new(counters))
	if !loaded {
		s.unknownN.Add(1)
	}
	return c.(*counters)
}

// Stats returns a snapshot of the counters. Each is read atomically, the set is not: under load the totals
// may be slightly ahead of ByType.
func (h *Handler) Stats() Stats {
	s := &h.stats
	t := s.total.load()
	out := Stats{
		Received: t.Received, Handled: t.Handled, Duplicates: t.Duplicates, Failures: t.Failures,
		Unmatched: s.unmatched.Load(), Rejected: s.rejected.Load(),
		Refused: s.refused.Load(), TooLarge: s.tooLarge.Load(), Alerts: s.alerts.Load(), Unverified: s.unverified.Load(),
		ByType: make(map[events.Name]TypeStats),
	}
	for i := range s.known {
		if ts := s.known[i].load(); ts.Received > 0 {
			out.ByType[knownNames[i]] = ts
		}
	}
	s.unknown.Range(func(k, v any) bool {
		out.ByType[k.(events.Name)] = v.(*counters).load()
		return true
	})
	return out
}
