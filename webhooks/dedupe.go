package webhooks

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Claim is a [Deduper]'s answer to a request to process an event.
type Claim int

const (
	// Claimed: the caller now owns the event and must call Complete or Release when it is done.
	Claimed Claim = iota
	// InProgress: another delivery of the same event holds the claim and has not finished.
	InProgress
	// Done: the event was processed already.
	Done
)

// String returns "claimed", "in progress" or "done".
func (c Claim) String() string {
	switch c {
	case Claimed:
		return "claimed"
	case InProgress:
		return "in progress"
	case Done:
		return "done"
	}
	return "Claim(?)"
}

// Deduper records which events were processed, keyed on [Event.ID], so that each event is handled once
// even when Socotra delivers it again (retries, resends) or two deliveries race. A [Handler] calls Claim
// before running handlers, then Complete when every handler returned nil, or Release when one failed (so a
// redelivery processes the event again: an error never loses an event).
//
// Implementations must be safe for concurrent use, and Claim must be atomic: of two concurrent calls for
// the same id, one gets Claimed. A shared store makes dedupe hold across several instances of a service; a
// claim should then expire after a while in case the process holding it dies. With Redis, for example:
//
//	Claim:    SET whk:<id> running NX PX <lease>; if it was not set, GET whk:<id>: "done" is Done, else InProgress
//	Complete: SET whk:<id> done PX <ttl>
//	Release:  DEL whk:<id> (a script that deletes only a "running" value is safer)
//
// and with SQL, an INSERT on a unique key for Claim, an UPDATE of a state column for Complete, and a
// DELETE of the running row for Release.
type Deduper interface {
	// Claim reserves id for processing, or reports that it is InProgress or Done.
	Claim(ctx context.Context, id string) (Claim, error)
	// Complete marks id as processed, for as long as the store remembers.
	Complete(ctx context.Context, id string) error
	// Release drops the claim on id without marking it processed.
	Release(ctx context.Context, id string) error
}

// MemoryDeduper is the in-process [Deduper] a [Handler] uses by default. It remembers a processed id for a
// time-to-live and at most a fixed number of ids, forgetting the oldest first; ids being processed are held
// until completed or released and do not count toward the cap. It is safe for concurrent use.
type MemoryDeduper struct {
	ttl time.Duration
	max int

	base time.Time // times below are offsets from base on the monotonic clock, one cheap clock read each

	mu      sync.Mutex
	ids     map[string]time.Duration // id -> when it was completed, or processing while it is being processed
	claimed int                      // ids being processed
	order   []doneEntry              // completed ids, oldest first, from head on
	head    int
}

// processing marks an id being processed in MemoryDeduper.ids; completion times are never negative.
const processing time.Duration = -1

type doneEntry struct {
	id string
	at time.Duration
}

// Defaults of [NewMemoryDeduper] for non-positive arguments.
const (
	DefaultDedupeTTL = 24 * time.Hour
	DefaultDedupeMax = 100_000
)

// NewMemoryDeduper returns a [MemoryDeduper] that remembers processed ids for ttl (DefaultDedupeTTL when
// ttl <= 0), and at most max of them (DefaultDedupeMax when max <= 0). A full store of 26-character ids
// settles at about 160 bytes per remembered id (map growth included), so the default cap is about 15 MB.
func NewMemoryDeduper(ttl time.Duration, max int) *MemoryDeduper {
	if ttl <= 0 {
		ttl = DefaultDedupeTTL
	}
	if max <= 0 {
		max = DefaultDedupeMax
	}
	return &MemoryDeduper{ttl: ttl, max: max, base: time.Now(), ids: make(map[string]time.Duration)}
}

// Claim implements [Deduper]. It never fails.
func (d *MemoryDeduper) Claim(_ context.Context, id string) (Claim, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if at, ok := d.ids[id]; ok {
		if at == processing {
			return InProgress, nil
		}
		if d.now()-at < d.ttl {
			return Done, nil
		}
		// expired: claimed afresh below; its queue entry goes later
	}
	d.ids[id] = processing
	d.claimed++
	return Claimed, nil
}

// Complete implements [Deduper]. It never fails.
func (d *MemoryDeduper) Complete(_ context.Context, id string) error {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	at, ok := d.ids[id]
	if ok && at != processing {
		return nil // completed already
	}
	if ok {
		d.claimed--
	}
	// Assigning replaces the key too: the map keeps the copy, not the caller's string, which may share
	// memory with the rest of the delivery.
	id = strings.Clone(id)
	d.ids[id] = now
	d.order = append(d.order, doneEntry{id, now})
	d.expire(now)
	for len(d.order)-d.head > d.max {
		d.pop()
	}
	return nil
}

// Release implements [Deduper]. It never fails.
func (d *MemoryDeduper) Release(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if at, ok := d.ids[id]; ok && at == processing {
		delete(d.ids, id)
		d.claimed--
	}
	return nil
}

// Len returns how many processed ids d remembers now.
func (d *MemoryDeduper) Len() int {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.expire(now)
	return len(d.ids) - d.claimed
}

// now reads the monotonic clock only, as an offset from base.
func (d *MemoryDeduper) now() time.Duration { return time.Since(d.base) }

// expire forgets the ids completed more than ttl before now.
func (d *MemoryDeduper) expire(now time.Duration) {
	for d.head < len(d.order) && now-d.order[d.head].at >= d.ttl {
		d.pop()
	}
}

// pop forgets the oldest completed id, unless it was completed again since, and compacts the queue once
// half of it is spent.
func (d *MemoryDeduper) pop() {
	e := d.order[d.head]
	d.order[d.head] = doneEntry{}
	d.head++
	if at, ok := d.ids[e.id]; ok && at == e.at {
		delete(d.ids, e.id)
	}
	if d.head > len(d.order)/2 {
		d.order = append(d.order[:0], d.order[d.head:]...)
		d.head = 0
	}
}
