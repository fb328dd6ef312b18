package hmac

import (
	"context"
	stdhmac "crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socotra-go/sdk/internal/verified"
)

// Key is one webhook secret. Tag names it (Socotra's endpoint tag says which secret is in use); tags are
// unique within a verifier, and at most one key may be untagged. NotBefore and NotAfter bound when the key
// passes: a zero time leaves that side unbounded, and NotAfter itself is already outside the window.
type Key struct {
	Secret    []byte
	Tag       string
	NotBefore time.Time
	NotAfter  time.Time
}

// redacted is what a Key prints, logs and marshals instead of its secret.
const redacted = "[REDACTED]"

func (k Key) hiddenSecret() string {
	if len(k.Secret) == 0 {
		return ""
	}
	return redacted
}

// String prints the key with its secret replaced by [REDACTED].
func (k Key) String() string {
	return fmt.Sprintf("{Secret:%s Tag:%s NotBefore:%s NotAfter:%s}", k.hiddenSecret(), k.Tag,
		k.NotBefore.Format(time.RFC3339), k.NotAfter.Format(time.RFC3339))
}

// GoString prints the key as Go syntax with its secret replaced by [REDACTED].
func (k Key) GoString() string {
	return fmt.Sprintf("hmac.Key{Secret:[]byte(%q), Tag:%q, NotBefore:%q, NotAfter:%q}", k.hiddenSecret(), k.Tag,
		k.NotBefore.Format(time.RFC3339), k.NotAfter.Format(time.RFC3339))
}

// Format writes [Key.GoString] for %#v and [Key.String] for every other verb, so no verb prints the secret.
func (k Key) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, k.GoString())
		return
	}
	io.WriteString(f, k.String())
}

// LogValue logs the key's tag and window, with its secret replaced by [REDACTED].
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("secret", k.hiddenSecret()), slog.String("tag", k.Tag),
		slog.Time("not_before", k.NotBefore), slog.Time("not_after", k.NotAfter))
}

// MarshalJSON writes the key with its secret replaced by [REDACTED], so that a Key logged or sent as JSON
// does not carry it. To store keys, store their secrets yourself.
func (k Key) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Secret              string
		Tag                 string
		NotBefore, NotAfter time.Time
	}{k.hiddenSecret(), k.Tag, k.NotBefore, k.NotAfter})
}

// activeAt reports whether t lies in [NotBefore, NotAfter).
func (k *Key) activeAt(t time.Time) bool {
	return (k.NotBefore.IsZero() || !t.Before(k.NotBefore)) && (k.NotAfter.IsZero() || t.Before(k.NotAfter))
}

func (k *Key) bounded() bool { return !k.NotBefore.IsZero() || !k.NotAfter.IsZero() }

func displayTag(tag string) string {
	if tag == "" {
		return "(untagged)"
	}
	return tag
}

func validateKey(k Key) error {
	if len(k.Secret) == 0 {
		return fmt.Errorf("hmac: key %s: %w", displayTag(k.Tag), ErrEmptySecret)
	}
	if !k.NotBefore.IsZero() && !k.NotAfter.IsZero() && !k.NotAfter.After(k.NotBefore) {
		return fmt.Errorf("hmac: key %s: NotAfter (%s) must be after NotBefore (%s)",
			displayTag(k.Tag), k.NotAfter.Format(time.RFC3339), k.NotBefore.Format(time.RFC3339))
	}
	return nil
}

// keyedMAC is an HMAC keyed once and reused: Reset restores the precomputed inner state, so a check costs
// the body hashing plus one finalisation.
type keyedMAC struct {
	h   hash.Hash
	sum [maxMACSize]byte
}

// keyEntry is an immutable key plus a pool of HMACs keyed with its secret. Entries are shared between key
// sets, so retiring a key keeps its warm pool.
type keyEntry struct {
	key  Key
	pool *sync.Pool
}

// keySet is an immutable snapshot of the keys. Writers publish a new one; readers load it atomically.
type keySet struct {
	keys    []*keyEntry
	bounded bool // some key has a window, so the clock must be read
	// last is the index of the key that matched most recently. Checks start there, so once senders switch
	// to a new secret during a rotation a delivery costs one HMAC again, not one per key tried before it.
	last atomic.Int32
}

// at returns the i-th key to try, starting from the one that matched last.
func (s *keySet) at(i int) (int, *keyEntry) {
	j := (int(s.last.Load()) + i) % len(s.keys)
	return j, s.keys[j]
}

// Verifier checks webhook signatures against one or more keys. It is safe for concurrent use, including
// [Verifier.AddKey], [Verifier.RetireKey] and [Verifier.RemoveKey] while requests are being verified.
type Verifier struct {
	keys     atomic.Pointer[keySet]
	mu       sync.Mutex // serialises key changes
	scheme   Scheme
	fast     *headerScheme // scheme, when it is the allocation-free kind
	clock    func() time.Time
	log      *slog.Logger
	maxBody  int64
	methods  []string
	allow    string // Allow header for 405 answers
	insecure bool
}

// MinSecretBytes is the shortest secret a [Verifier] takes without a warning: 32 bytes, the output size of
// SHA-256, below which RFC 2104 discourages HMAC keys. A shorter secret is accepted, not refused, and the
// verifier's logger warns about it once per key: the secret is set where the webhook is registered, the
// platform states no minimum (reference/socotra-facts.md §1 lists the field only), and a receiver must keep
// verifying the deliveries of a webhook registered before it could choose. Rotate such a secret to a random
// one of at least this length (socotra.RotateSecret does it without downtime).
const MinSecretBytes = 32

// NewVerifier returns a verifier for one secret (an untagged key with no time bounds). An empty secret is
// refused with [ErrEmptySecret] unless [InsecureSkipVerify] is given; a secret together with
// InsecureSkipVerify is refused too. A secret shorter than [MinSecretBytes] is logged as a warning.
func NewVerifier(secret []byte, opts ...Option) (*Verifier, error) {
	var keys []Key
	if len(secret) > 0 {
		keys = []Key{{Secret: secret}}
	}
	return NewKeyringVerifier(keys, opts...)
}

// NewKeyringVerifier returns a verifier that accepts a signature made with any of keys that is active at
// the time of the check; during a rotation give both the old and the new secret. It fails when keys is
// empty (unless [InsecureSkipVerify] is given), when keys is not empty and InsecureSkipVerify is given, when
// a key has no secret, when two keys share a tag, or when a key's NotAfter is not after its NotBefore.
func NewKeyringVerifier(keys []Key, opts ...Option) (*Verifier, error) {
	c := config{maxBody: DefaultMaxBodyBytes, clock: time.Now, scheme: defaultScheme, methods: []string{http.MethodPost}}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if len(keys) == 0 && !c.insecure {
		return nil, fmt.Errorf("hmac: no key given (pass the webhook's secret): %w", ErrEmptySecret)
	}
	if len(keys) > 0 && c.insecure {
		return nil, errInsecureWithKey
	}
	v := &Verifier{
		scheme:   c.scheme,
		clock:    c.clock,
		log:      c.log,
		maxBody:  c.maxBody,
		methods:  c.methods,
		allow:    strings.Join(c.methods, ", "),
		insecure: c.insecure,
	}
	v.fast, _ = c.scheme.(*headerScheme)
	set := &keySet{}
	for _, k := range keys {
		next, err := v.withKey(set, k)
		if err != nil {
			return nil, err
		}
		set = next
	}
	v.keys.Store(set)
	if v.insecure {
		v.log.Warn("hmac: InsecureSkipVerify is set: every request passes without a signature check; use it only in tests")
	}
	return v, nil
}

// errInsecureWithKey refuses a verifier that would both hold a key and skip the check, so that a test
// option left in production code cannot silently disable a configured secret.
var errInsecureWithKey = errors.New("hmac: InsecureSkipVerify is set together with a secret, which it would ignore; " +
	"drop InsecureSkipVerify to check signatures with the secret")

// withKey returns set plus k, or an error when k is invalid or its tag is taken. It warns about a short
// secret.
func (v *Verifier) withKey(set *keySet, k Key) (*keySet, error) {
	if err := validateKey(k); err != nil {
		return nil, err
	}
	if v.insecure {
		return nil, errInsecureWithKey
	}
	if len(k.Secret) < MinSecretBytes {
		v.log.LogAttrs(context.Background(), slog.LevelWarn, "hmac: the secret is short; rotate to a random one of at least MinSecretBytes",
			slog.String("key_tag", displayTag(k.Tag)), slog.Int("secret_bytes", len(k.Secret)), slog.Int("min_secret_bytes", MinSecretBytes))
	}
	for _, e := range set.keys {
		if e.key.Tag == k.Tag {
			return nil, fmt.Errorf("hmac: key tag %q is already in use; give each key a distinct Tag", k.Tag)
		}
	}
	k.Secret = slices.Clone(k.Secret)
	secret, newHash := k.Secret, v.scheme.Hash()
	e := &keyEntry{key: k, pool: &sync.Pool{New: func() any {
		return &keyedMAC{h: stdhmac.New(newHash, secret)}
	}}}
	return newKeySet(append(slices.Clip(set.keys), e)), nil
}

func newKeySet(entries []*keyEntry) *keySet {
	s := &keySet{keys: entries}
	for _, e := range entries {
		s.bounded = s.bounded || e.key.bounded()
	}
	return s
}

// AddKey adds k, for example the new secret at the start of a rotation. It fails on the same conditions as
// [NewKeyringVerifier], and on a verifier built with [InsecureSkipVerify]. Verifications running meanwhile see either the old or the new key set.
func (v *Verifier) AddKey(k Key) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	next, err := v.withKey(v.keys.Load(), k)
	if err != nil {
		return err
	}
	v.keys.Store(next)
	return nil
}

// RetireKey makes the key tagged tag stop passing at time at (typically time.Now() once Socotra signs with
// the new secret, or a little later to let retries drain). It never extends a key's life: an earlier
// NotAfter stays. It returns an error wrapping [ErrUnknownKey] when no key has that tag.
func (v *Verifier) RetireKey(tag string, at time.Time) error {
	if at.IsZero() {
		return errors.New("hmac: RetireKey needs a time; pass time.Now() to retire the key at once")
	}
	return v.replace(tag, func(e *keyEntry) *keyEntry {
		if !e.key.NotAfter.IsZero() && !at.Before(e.key.NotAfter) {
			return e
		}
		k := e.key
		k.NotAfter = at
		return &keyEntry{key: k, pool: e.pool}
	})
}

// RemoveKey deletes the key tagged tag. It refuses to remove the last key; retire it instead, which makes
// every request fail closed. It returns an error wrapping [ErrUnknownKey] when no key has that tag.
func (v *Verifier) RemoveKey(tag string) error {
	return v.replace(tag, func(*keyEntry) *keyEntry { return nil })
}

// replace swaps the entry tagged tag for fn's answer (nil removes it).
func (v *Verifier) replace(tag string, fn func(*keyEntry) *keyEntry) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	set := v.keys.Load()
	i := slices.IndexFunc(set.keys, func(e *keyEntry) bool { return e.key.Tag == tag })
	if i < 0 {
		return fmt.Errorf("hmac: key %s: %w", displayTag(tag), ErrUnknownKey)
	}
	entries := slices.Clone(set.keys)
	if e := fn(entries[i]); e != nil {
		entries[i] = e
	} else if len(entries) == 1 {
		return fmt.Errorf("hmac: key %s is the last key; add another first or retire it with RetireKey", displayTag(tag))
	} else {
		entries = slices.Delete(entries, i, i+1)
	}
	v.keys.Store(newKeySet(entries))
	return nil
}

// Keys returns a copy of the keys, secrets included, in the order they were added.
func (v *Verifier) Keys() []Key {
	set := v.keys.Load()
	out := make([]Key, len(set.keys))
	for i, e := range set.keys {
		out[i] = e.key
		out[i].Secret = slices.Clone(e.key.Secret)
	}
	return out
}

// Verify checks that h carries a signature of body made with an active key. It returns nil, or an error
// matching [ErrMissingSignature], [ErrInvalidSignature] (also matched by [ErrMalformedSignature] and
// [ErrNoActiveKey]), or an error from a custom [Scheme]. With the default scheme it allocates nothing.
func (v *Verifier) Verify(body []byte, h http.Header) error {
	_, err := v.verify(body, h)
	return err
}

// VerifyKey is [Verifier.Verify] that also returns the tag of the key that matched, which tells whether
// senders still use an old secret during a rotation.
func (v *Verifier) VerifyKey(body []byte, h http.Header) (tag string, err error) {
	return v.verify(body, h)
}

func (v *Verifier) verify(body []byte, h http.Header) (string, error) {
	if v.insecure {
		return "", nil
	}
	if v.fast == nil {
		return v.verifyScheme(body, h)
	}
	values := headerValues(h, v.fast.header)
	if len(values) == 0 {
		return "", ErrMissingSignature
	}
	set := v.keys.Load()
	var now time.Time
	if set.bounded {
		now = v.clock()
	}
	tried := false
	for i := range set.keys {
		j, e := set.at(i)
		if set.bounded && !e.key.activeAt(now) {
			continue
		}
		tried = true
		m := e.pool.Get().(*keyedMAC)
		m.h.Reset()
		m.h.Write(body)
		ok, decoded := v.fast.match(values, m.h.Sum(m.sum[:0]))
		e.pool.Put(m)
		if ok {
			if i != 0 {
				set.last.Store(int32(j))
			}
			return e.key.Tag, nil
		}
		if decoded == 0 {
			return "", ErrMalformedSignature
		}
	}
	if !tried {
		return "", ErrNoActiveKey
	}
	return "", ErrInvalidSignature
}

// errZeroVerifier fails a Verifier that was declared rather than built: it has no key.
var errZeroVerifier = fmt.Errorf("hmac: Verifier not built by NewVerifier or NewKeyringVerifier: %w", ErrEmptySecret)

// verifyScheme is the general path for custom schemes.
func (v *Verifier) verifyScheme(body []byte, h http.Header) (string, error) {
	if v.scheme == nil {
		return "", errZeroVerifier
	}
	values := headerValues(h, http.CanonicalHeaderKey(v.scheme.Header()))
	if len(values) == 0 {
		return "", ErrMissingSignature
	}
	var macs [][]byte
	if err := v.scheme.Signatures(values, func(mac []byte) bool {
		macs = append(macs, slices.Clone(mac))
		return true
	}); err != nil {
		return "", err
	}
	if len(macs) == 0 {
		return "", ErrMalformedSignature
	}
	set := v.keys.Load()
	now := v.clock()
	tried := false
	for i := range set.keys {
		j, e := set.at(i)
		if !e.key.activeAt(now) {
			continue
		}
		tried = true
		m := e.pool.Get().(*keyedMAC)
		m.h.Reset()
		err := v.scheme.WriteSigned(m.h, body, h)
		sum := m.h.Sum(m.sum[:0])
		matched := err == nil && slices.ContainsFunc(macs, func(mac []byte) bool { return stdhmac.Equal(mac, sum) })
		e.pool.Put(m)
		if err != nil {
			return "", err
		}
		if matched {
			if i != 0 {
				set.last.Store(int32(j))
			}
			return e.key.Tag, nil
		}
	}
	if !tried {
		return "", ErrNoActiveKey
	}
	return "", ErrInvalidSignature
}

// keyFacts lists, for logs, the tags of the keys active at now and of those outside their window.
func (v *Verifier) keyFacts() (active, inactive []string) {
	now := v.clock()
	for _, e := range v.keys.Load().keys {
		if e.key.activeAt(now) {
			active = append(active, displayTag(e.key.Tag))
		} else {
			inactive = append(inactive, displayTag(e.key.Tag))
		}
	}
	return active, inactive
}

// VerifiedBody returns the request body that [Verifier.Middleware] verified, from the context of the request
// it passed on. The slice is the one the middleware read: do not modify it.
func VerifiedBody(ctx context.Context) ([]byte, bool) {
	vb, ok := ctx.Value(verified.Key{}).(verified.Carrier)
	if !ok {
		return nil, false
	}
	body, _ := vb.Verified(verified.Token{})
	return body, true
}

// VerifiedKeyTag returns the tag of the key whose signature [Verifier.Middleware] accepted ("" for an
// untagged key, or with [InsecureSkipVerify]).
func VerifiedKeyTag(ctx context.Context) (string, bool) {
	vb, ok := ctx.Value(verified.Key{}).(verified.Carrier)
	if !ok {
		return "", false
	}
	_, tag := vb.Verified(verified.Token{})
	return tag, true
}
