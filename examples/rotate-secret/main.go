// Rotate-secret moves a webhook to a new signing secret without refusing a single delivery.
//
//	go run ./examples/rotate-secret
//
// The receiver's hmac.Verifier is a keyring: it holds one key per secret, each named by the tag that
// Socotra's endpoint carries to say which secret is in use. socotra.RotateSecret does the three steps in
// the only safe order:
//
//  1. add the new key to the keyring, so the receiver accepts both secrets;
//  2. re-register the webhook with the new secret and tag (on Core, one PATCH of the endpoint);
//  3. retire the old key after a grace period, long enough for deliveries signed before the switch
//     (in flight, or retried later by Socotra) to arrive.
//
// The program runs the fake tenant and a receiver on 127.0.0.1, keeps events flowing while it rotates,
// and shows which key verified each delivery, that none was refused, and that the old secret stops
// passing once the grace period is over.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/examples/internal/demo"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

func main() { demo.Main("rotate-secret", run) }

const (
	hookPath = "/hooks/socotra"
	oldTag   = "2026-10"
	newTag   = "2026-11"
	grace    = 10 * time.Minute
)

func run(ctx context.Context, stdout io.Writer) error {
	say := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }
	clock := &manualClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	oldSecret, newSecret := []byte("secret-of-october"), []byte("secret-of-november")

	// The receiver accepts the keys of its keyring; the handler notes which key verified each event.
	ring, err := hmac.NewKeyringVerifier([]hmac.Key{{Secret: oldSecret, Tag: oldTag}}, hmac.WithClock(clock.Now))
	if err != nil {
		return err
	}
	seen := &tagCounter{}
	h := webhooks.NewHandler()
	h.On("*", func(ctx context.Context, ev *webhooks.Event) error {
		tag, _ := hmac.VerifiedKeyTag(ctx)
		seen.add(tag)
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("POST "+hookPath, webhooks.NewReceiver(ring, h))
	base, shutdown, err := demo.Serve(mux)
	if err != nil {
		return err
	}
	defer shutdown()

	tenant := socotratest.NewServer()
	defer tenant.Close()
	client, err := socotra.NewCoreClient(tenant.URL(), tenant.TenantLocator(), tenant.CoreToken())
	if err != nil {
		return err
	}
	reg := client.Registrar()
	const name = "orders-receiver"
	err = reg.Register(ctx, socotra.Registration{Name: name, URL: base + hookPath,
		Events: []events.Name{events.PolicyQuoteIssue}, Secret: string(oldSecret), Tag: oldTag})
	if err != nil {
		return err
	}
	defer reg.Unregister(context.WithoutCancel(ctx), name)
	say("registered %q signed with the secret tagged %s; the receiver's keyring holds %s", name, oldTag, describeKeys(ring))

	emit := func(n int) error {
		for i := 0; i < n; i++ {
			if _, err := tenant.EmitCore(ctx, events.PolicyQuoteIssue, map[string]string{"quoteLocator": fmt.Sprint("Q-", i)}); err != nil {
				return err
			}
		}
		return tenant.Flush(ctx)
	}

	if err := emit(3); err != nil {
		return err
	}
	say("before: %s", seen.take())

	// Rotate while events keep coming.
	var wg sync.WaitGroup
	var emitErr error
	wg.Go(func() { emitErr = emit(20) })
	err = socotra.RotateSecret(ctx, reg, ring, socotra.Rotation{Name: name, Secret: socotra.Secret(newSecret), Tag: newTag, Grace: grace, Now: clock.Now})
	wg.Wait()
	if err != nil {
		return err
	}
	if emitErr != nil {
		return emitErr
	}
	say("rotated to %s while 20 events were delivered: %d accepted, %d refused", newTag, seen.total(), refused(tenant))
	seen.take()
	say("the keyring now holds %s", describeKeys(ring))

	if err := emit(3); err != nil {
		return err
	}
	say("after: %s", seen.take())

	// Deliveries signed with the old secret before the switch, arriving late (Socotra retries, say).
	for i, wait := range []time.Duration{time.Minute, grace} {
		clock.advance(wait)
		late := fmt.Sprintf(`{"locator":"late-%d","timestamp":"2026-11-23T08:59:00Z","type":"policy.quote.issue","data":{}}`, i)
		status, err := demo.PostSigned(ctx, base+hookPath, []byte(late), oldSecret)
		if err != nil {
			return err
		}
		verdict := seen.take()
		if verdict == "" {
			verdict = "refused: the old key is retired"
		}
		say("a delivery signed with the old secret, %v after the switch: %d %s (%s)", clock.since(), status, http.StatusText(status), verdict)
	}

	for _, w := range tenant.Webhooks() {
		say("on the tenant: webhook %q is tagged %s", w.Name, w.Tag)
	}
	say("refused deliveries from Socotra in all: %d", refused(tenant))
	return nil
}

// refused counts the tenant's deliveries the receiver did not accept.
func refused(tenant *socotratest.Server) int {
	n := 0
	for _, d := range tenant.Deliveries() {
		if d.Status != http.StatusOK {
			n++
		}
	}
	return n
}

func describeKeys(v *hmac.Verifier) string {
	s := ""
	for i, k := range v.Keys() {
		if i > 0 {
			s += " and "
		}
		s += k.Tag
		if !k.NotAfter.IsZero() {
			s += " (until " + k.NotAfter.Format("15:04") + ")"
		}
	}
	return s
}

// tagCounter counts the events verified with each key tag.
type tagCounter struct {
	mu     sync.Mutex
	counts map[string]int
	order  []string
}

func (c *tagCounter) add(tag string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	if c.counts[tag] == 0 {
		c.order = append(c.order, tag)
	}
	c.counts[tag]++
}

func (c *tagCounter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.counts {
		n += v
	}
	return n
}

// take describes the counts, such as "key 2026-10 verified 3 events", and resets them.
func (c *tagCounter) take() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := ""
	for i, tag := range c.order {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("key %s verified %d event", tag, c.counts[tag])
		if c.counts[tag] != 1 {
			s += "s"
		}
	}
	c.counts, c.order = nil, nil
	return s
}

// manualClock is the receiver's clock, moved by hand to show the end of the grace period.
type manualClock struct {
	mu    sync.Mutex
	t     time.Time
	moved time.Duration
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t.Add(c.moved)
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.moved += d
}

func (c *manualClock) since() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.moved
}
