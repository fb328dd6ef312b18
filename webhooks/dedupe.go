package webhooks

import (
	"context"
	"errors"
	"hash/maphash"
	"reflect"
	"strconv"
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
// claim should then expire after a while in case the process holding it dies, and belong to the caller
// that made it: implement [LeasedDeduper] too. With Redis, for example:
//
//	Claim:    SET whk:<id> <token> NX PX <lease>; if it was not set, GET whk:<id>: "done" is Done, else InProgress
//	Complete: SET whk:<id> done PX <ttl>
//	Release:  DEL whk:<id> if its value is still <token> (a script)
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

// LeasedDeduper is a Deduper whose claims expire after a lease and belong to the caller that made them.
//
// A [Handler] whose store implements LeasedDeduper uses these methods instead of Claim, Complete and
// Release, so that a claim whose holder hangs or dies lapses, and a holder whose lease lapsed cannot
// release or complete a claim another delivery took since. A lease of zero or less asks for the store's
// own default lease. A type that embeds a LeasedDeduper (such as *[MemoryDeduper]) to change
// Claim, Complete or Release must change these methods too, since a Handler calls these instead.
type LeasedDeduper interface {
	Deduper
	// ClaimLease is Claim with a lease: an unfinished claim lapses after lease. On Claimed, token names
	// this claim; CompleteLease and ReleaseLease act only while token still owns the claim.
	ClaimLease(ctx context.Context, id string, lease time.Duration) (c Claim, token string, err error)
	// CompleteLease marks id processed when token still owns the claim or no claim holds id (the lease
	// lapsed and nobody took the event since, or another delivery completed it since). When another
	// delivery's claim holds id, it changes nothing and returns an error matching [ErrLeaseLost].
	CompleteLease(ctx context.Context, id, token string) error
	// ReleaseLease forgets the claim of id that token owns, so that a redelivery runs the event again.
	// It does nothing when token no longer owns the claim.
	ReleaseLease(ctx context.Context, id, token string) error
}

// ErrLeaseLost is returned by [LeasedDeduper.CompleteLease] when the claim lapsed and another delivery's
// claim holds the event now: the event was processed, and may be processed once more by that delivery.
var ErrLeaseLost = errors.New("webhooks: the claim's lease lapsed and another delivery claimed the event")

// MemoryDeduper is the in-process [LeasedDeduper] a [Handler] uses by default.
//
// It remembers a processed id for at least its time-to-live, within a memory budget counted in bytes
// (each id costs its length plus [DedupeEntryOverhead]). Processed ids are kept in two generations: new
// ones go into the current generation, which becomes the previous one after a TTL or when it holds half
// the budget, and the previous generation is then dropped whole. So an id is forgotten between one and two
// TTLs after it was processed, or sooner when the budget runs out (the last half budget's worth of ids is
// always remembered); dropping a whole map gives its memory back, and lookups never wade through deleted
// entries.
//
// A claim holds until it is completed or released, or until its lease lapses (another Claim of the id then
// succeeds). Claims do not count toward the budget. It is safe for concurrent use.
//
// The store keys its maps by a 128-bit hash of each id under two seeds drawn for the store, not by a copy
// of the id: an entry then holds no pointer, the id's bytes are neither copied nor kept, and a lookup
// compares two words instead of reading a string elsewhere in memory. Two distinct ids share a key with a
// probability of about n²/2¹²⁹ for n ids held (below 10⁻²⁸ for a full default store), and the seeds are
// secret, so a sender cannot choose ids that collide.
type MemoryDeduper struct {
	ttl      time.Duration
	maxBytes int64

	base time.Time // times below are offsets from base on the monotonic clock, one cheap clock read each

	mu        sync.Mutex
	seeds     [2]maphash.Seed
	cur, prev map[idKey]time.Duration // processed id -> when it was completed
	curBytes  int64
	prevBytes int64
	born      time.Duration // when cur became the current generation
	claims    map[idKey]claimEntry
	swept     int // len(claims) after the last sweep of lapsed claims
	seq       uint64
}

// idKey is what a MemoryDeduper keeps of an id: its hash under the store's two seeds.
type idKey [2]uint64

// key returns id's key.
func (d *MemoryDeduper) key(id string) idKey {
	return idKey{maphash.String(d.seeds[0], id), maphash.String(d.seeds[1], id)}
}

// claimEntry is one claim: its token and when its lease lapses.
type claimEntry struct {
	token uint64
	until time.Duration
}

// Defaults of [NewMemoryDeduper] for non-positive arguments, and of the lease of a plain Claim.
const (
	DefaultDedupeTTL   = 24 * time.Hour
	DefaultDedupeBytes = 16 << 20
	DefaultLease       = 5 * time.Minute
)

// DedupeEntryOverhead is what a [MemoryDeduper] counts for each remembered id besides the id's bytes: the
// key, the completion time and the map's own share. It is generous on purpose (a full map measured about
// 40 bytes per id when it still kept a copy of each id; its 16-byte key takes less), so that the budget also
// covers a map's growth and the generation being replaced.
const DedupeEntryOverhead = 96

// MaxIDBytes is the longest event id a [Handler] accepts (Core locators are 26-byte ULIDs and Legacy ids
// 36-byte UUIDs, reference/socotra-facts.md §3); a longer one is refused as an invalid delivery, so that
// no store keeps an attacker's megabyte per event.
const MaxIDBytes = 256

// NewMemoryDeduper returns a [MemoryDeduper] that remembers processed ids for at least ttl
// (DefaultDedupeTTL when ttl <= 0) within maxBytes of memory (DefaultDedupeBytes, 16 MiB, when
// maxBytes <= 0: room for about 137 000 ids of 26 bytes, of which at least half are remembered).
func NewMemoryDeduper(ttl time.Duration, maxBytes int64) *MemoryDeduper {
	if ttl <= 0 {
		ttl = DefaultDedupeTTL
	}
	if maxBytes <= 0 {
		maxBytes = DefaultDedupeBytes
	}
	return &MemoryDeduper{
		ttl: ttl, maxBytes: maxBytes, base: time.Now(),
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		cur:   make(map[idKey]time.Duration), claims: make(map[idKey]claimEntry),
	}
}

// Claim implements [Deduper] with a lease of [DefaultLease]. It never fails.
func (d *MemoryDeduper) Claim(_ context.Context, id string) (Claim, error) {
	c, _ := d.claim(id, DefaultLease)
	return c, nil
}

// Complete implements [Deduper]: it marks id processed, whoever holds the claim. It never fails.
func (d *MemoryDeduper) Complete(_ context.Context, id string) error {
	d.complete(id, 0)
	return nil
}

// Release implements [Deduper]: it drops the claim on id, whoever holds it. It never fails.
func (d *MemoryDeduper) Release(_ context.Context, id string) error {
	d.release(id, 0)
	return nil
}

// ClaimLease implements [LeasedDeduper]; a lease <= 0 means [DefaultLease]. It never fails.
func (d *MemoryDeduper) ClaimLease(_ context.Context, id string, lease time.Duration) (Claim, string, error) {
	c, tok := d.claim(id, lease)
	if c != Claimed {
		return c, "", nil
	}
	return c, strconv.FormatUint(tok, 36), nil
}

// CompleteLease implements [LeasedDeduper]: it marks id processed unless another claim, still in its
// lease, replaced token's, which it reports with [ErrLeaseLost].
func (d *MemoryDeduper) CompleteLease(_ context.Context, id, token string) error {
	tok, err := strconv.ParseUint(token, 36, 64)
	if err != nil || tok == 0 {
		return errors.New("webhooks: MemoryDeduper.CompleteLease: not a token from ClaimLease")
	}
	if !d.complete(id, tok) {
		return ErrLeaseLost
	}
	return nil
}

// ReleaseLease implements [LeasedDeduper]: it drops the claim on id if token still owns it. It never fails.
func (d *MemoryDeduper) ReleaseLease(_ context.Context, id, token string) error {
	if tok, err := strconv.ParseUint(token, 36, 64); err == nil && tok != 0 {
		d.release(id, tok)
	}
	return nil
}

// Len returns how many processed ids d remembers now.
func (d *MemoryDeduper) Len() int {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.age(now)
	n := 0
	for _, at := range d.cur {
		if now-at < d.ttl {
			n++
		}
	}
	for id, at := range d.prev {
		if _, again := d.cur[id]; !again && now-at < d.ttl {
			n++
		}
	}
	return n
}

// Bytes returns how many bytes of its budget d counts for the ids it keeps now.
func (d *MemoryDeduper) Bytes() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.curBytes + d.prevBytes
}

// now reads the monotonic clock only, as an offset from base.
func (d *MemoryDeduper) now() time.Duration { return time.Since(d.base) }

// forever is a lease that never lapses: the claim holds until it is completed or released.
const forever = time.Duration(1<<63 - 1)

// claim is Claim with a lease, returning the new claim's token (never 0). It reads the clock only when an
// answer depends on it, and leaves starting a new generation to complete.
func (d *MemoryDeduper) claim(id string, lease time.Duration) (Claim, uint64) {
	if lease <= 0 {
		lease = DefaultLease
	}
	now := time.Duration(-1) // not read yet
	k := d.key(id)
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.claims[k]; ok {
		if c.until == forever {
			return InProgress, 0
		}
		if now = d.now(); now < c.until {
			return InProgress, 0
		}
	}
	for _, gen := range [2]map[idKey]time.Duration{d.cur, d.prev} {
		if at, ok := gen[k]; ok {
			if now < 0 {
				now = d.now()
			}
			if now-at < d.ttl {
				return Done, 0
			}
		}
	}
	until := forever
	if lease != forever || len(d.claims) >= 2*d.swept+64 {
		if now < 0 {
			now = d.now()
		}
		if lease != forever {
			if until = now + lease; until < now {
				until = forever
			}
		}
		if len(d.claims) >= 2*d.swept+64 {
			d.sweep(now)
		}
	}
	d.seq++
	d.claims[k] = claimEntry{token: d.seq, until: until}
	return Claimed, d.seq
}

// complete marks id processed and drops its claim. With a token, it does nothing and reports false when
// another claim, still in its lease, replaced that one.
func (d *MemoryDeduper) complete(id string, token uint64) bool {
	now := d.now()
	k := d.key(id)
	d.mu.Lock()
	defer d.mu.Unlock()
	c, claimed := d.claims[k]
	if token != 0 && claimed && c.token != token && now < c.until {
		return false
	}
	d.age(now)
	if claimed {
		delete(d.claims, k)
		// A claimed id is not in cur: claim found it absent or older than the TTL, and cur holds nothing
		// that old. (A plain Complete by another caller meanwhile only makes the count below generous.)
	} else if _, again := d.cur[k]; again {
		d.cur[k] = now // completed again: counted already
		return true
	}
	size := int64(len(id)) + DedupeEntryOverhead
	if d.curBytes+size > d.maxBytes/2 {
		d.rotate(now) // each generation has half the budget; the previous one goes first
	}
	d.cur[k] = now
	d.curBytes += size
	return true
}

// release drops the claim on id; with a token, only if that token still owns it.
func (d *MemoryDeduper) release(id string, token uint64) {
	k := d.key(id)
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.claims[k]; ok && (token == 0 || c.token == token) {
		delete(d.claims, k)
	}
}

// age starts a new generation once the current one is a TTL old, and drops both once the previous one is
// entirely past the TTL too.
func (d *MemoryDeduper) age(now time.Duration) {
	switch since := now - d.born; {
	case since >= 2*d.ttl:
		d.prev, d.prevBytes = nil, 0
		d.rotate(now)
	case since >= d.ttl:
		d.rotate(now)
	}
}

// rotate makes the current generation the previous one, dropping the previous one whole.
func (d *MemoryDeduper) rotate(now time.Duration) {
	d.prev, d.prevBytes = d.cur, d.curBytes
	d.cur, d.curBytes = make(map[idKey]time.Duration, len(d.prev)/2), 0
	d.born = now
}

// sweep drops the claims whose lease lapsed.
func (d *MemoryDeduper) sweep(now time.Duration) {
	for id, c := range d.claims {
		if now >= c.until {
			delete(d.claims, id)
		}
	}
	d.swept = len(d.claims)
}

// leasedOf returns d as a LeasedDeduper when the Handler should use the lease methods: when d implements
// them itself. A type that embeds *MemoryDeduper gets its lease methods by promotion while it may change
// Claim, Complete or Release (to count or fail calls, say); the Handler then calls those, as before leases
// existed.
func leasedOf(d Deduper) LeasedDeduper {
	ld, ok := d.(LeasedDeduper)
	if !ok {
		return nil
	}
	if _, mem := d.(*MemoryDeduper); mem {
		return ld
	}
	t := reflect.TypeOf(d)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		for i := range t.NumField() {
			if f := t.Field(i); f.Anonymous && (f.Type == reflect.TypeFor[*MemoryDeduper]() || f.Type == reflect.TypeFor[MemoryDeduper]()) {
				return nil
			}
		}
	}
	return ld
}
