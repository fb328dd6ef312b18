package socotra

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/socotra-go/sdk/hmac"
)

// Keyring is the part of an [hmac.Verifier] that secret rotation needs.
type Keyring interface {
	AddKey(k hmac.Key) error
	RetireKey(tag string, at time.Time) error
}

// Rotation moves the registration Name to a new signing Secret and Tag.
type Rotation struct {
	Name   string
	Secret Secret
	Tag    string // must differ from the current tag, so both keys can coexist
	// Grace is how long deliveries signed with the old secret still pass after
	// the switch (deliveries in flight and platform retries).
	Grace time.Duration
	// Now gives the current time; nil means time.Now.
	Now func() time.Time
}

// RotateSecret switches a registered webhook to a new secret without
// refusing a delivery: it adds the new key to ring, re-registers the webhook
// with the new secret and tag (Core: one PATCH of the endpoint; Legacy: the
// integration's security spec), then retires the key of the old tag at
// now+Grace. The registration keeps its URL, events, headers and failure
// handling. An error before the switch leaves the webhook as it was (the new
// key stays in ring, which is harmless). When the current registration has no
// tag, there is no key to name and none is retired: retire it yourself.
func RotateSecret(ctx context.Context, reg Registrar, ring Keyring, rot Rotation) error {
	if rot.Name == "" || rot.Secret == "" || rot.Tag == "" {
		return errorf("rotate secret: Name, Secret and Tag are required")
	}
	if rot.Grace < 0 {
		return errorf("rotate secret %q: negative Grace %v", rot.Name, rot.Grace)
	}
	now := rot.Now
	if now == nil {
		now = time.Now
	}
	regs, err := reg.Registrations(ctx, rot.Name)
	if err != nil {
		return fmt.Errorf("socotra: rotate secret %q: %w", rot.Name, err)
	}
	i := slices.IndexFunc(regs, func(r Registration) bool { return r.Name == rot.Name })
	if i < 0 {
		return fmt.Errorf("socotra: rotate secret %q: %w: no registration of that name", rot.Name, ErrNotFound)
	}
	cur := regs[i]
	if cur.Tag == rot.Tag {
		return errorf("rotate secret %q: new tag %q is the current tag; choose a new one", rot.Name, rot.Tag)
	}
	if err := ring.AddKey(hmac.Key{Secret: []byte(rot.Secret.Reveal()), Tag: rot.Tag}); err != nil {
		return fmt.Errorf("socotra: rotate secret %q: add key: %w", rot.Name, err)
	}
	next := cur
	next.Secret, next.Tag = rot.Secret.Reveal(), rot.Tag
	if err := reg.Register(ctx, next); err != nil {
		return fmt.Errorf("socotra: rotate secret %q: %w", rot.Name, err)
	}
	if cur.Tag != "" {
		if err := ring.RetireKey(cur.Tag, now().Add(rot.Grace)); err != nil {
			return fmt.Errorf("socotra: rotate secret %q: retire key %q: %w", rot.Name, cur.Tag, err)
		}
	}
	return nil
}
