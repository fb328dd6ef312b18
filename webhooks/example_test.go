package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/webhooks"
)

// The examples' Core bodies carry names Core sends (reference/core-event-types.json), and their Legacy
// bodies names Legacy sends (reference/legacy-event-types.json).

func ExampleParse() {
	core := `{"locator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQP","requestId":"r-1","userLocator":"u-1",` +
		`"timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.issue","data":{"quoteLocator":"Q1"}}`
	legacy := `{"id":"e-7","timestamp":1795457045000,"transactionId":"t-1","username":"alice","type":"policy.issue","data":{}}`
	for _, body := range []string{core, legacy, `{"id":"e-8","timestamp":1}`} {
		ev, err := webhooks.Parse([]byte(body))
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(ev.Platform, ev.ID, ev.Type, ev.Time.UTC().Format("2006-01-02 15:04:05"), ev.User, string(ev.Data))
	}
	// Output:
	// core 01JD7Y3Q8Z5X2W9V4T6R1M0KQP policy.quote.issue 2026-11-23 18:04:05 u-1 {"quoteLocator":"Q1"}
	// legacy e-7 policy.issue 2026-11-23 18:04:05 alice {}
	// webhooks: missing "type"
}

func ExampleHandler_On() {
	h := webhooks.NewHandler()
	h.On("policy.*", func(ctx context.Context, ev *webhooks.Event) error {
		fmt.Println("policy.*:", ev.Type)
		return nil
	})
	h.On("policy.quote.issue", func(ctx context.Context, ev *webhooks.Event) error {
		fmt.Println("exact:   ", ev.Type)
		return nil
	})
	ctx := context.Background()
	for _, typ := range []string{"policy.quote.issue", "policy.change.issue", "claim.fnol.create"} {
		ev, _ := webhooks.Parse([]byte(`{"locator":"` + typ + `","timestamp":"2026-11-23T18:04:05Z","type":"` + typ + `"}`))
		_ = h.Handle(ctx, ev)
	}
	ev, _ := webhooks.Parse([]byte(`{"locator":"policy.change.issue","timestamp":"2026-11-23T18:04:05Z","type":"policy.change.issue"}`))
	fmt.Println(errors.Is(h.Handle(ctx, ev), webhooks.ErrDuplicate))
	// Output:
	// policy.*: policy.quote.issue
	// exact:    policy.quote.issue
	// policy.*: policy.change.issue
	// true
}

func ExampleHandleData() {
	h := webhooks.NewHandler()
	err := webhooks.HandleData(h, events.PolicyQuoteIssue,
		func(ctx context.Context, ev *webhooks.Event, q *events.QuoteData) error {
			fmt.Println("issue quote", q.QuoteLocator)
			return nil
		})
	fmt.Println(err)
	err = webhooks.HandleData(h, events.PolicyQuoteIssue,
		func(ctx context.Context, ev *webhooks.Event, p *events.PolicyData) error { return nil })
	fmt.Println(err)

	ev, _ := webhooks.Parse([]byte(`{"locator":"L","timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.issue","data":{"quoteLocator":"Q9"}}`))
	_ = h.Handle(context.Background(), ev)
	// Output:
	// <nil>
	// webhooks: HandleData "policy.quote.issue": its data is *events.QuoteData, not *events.PolicyData; change the function's data parameter to *events.QuoteData
	// issue quote Q9
}

func ExampleNewReceiver() {
	secret := []byte("the webhook's secret")
	h := webhooks.NewHandler()
	h.On("*", func(ctx context.Context, ev *webhooks.Event) error {
		if ev.Type == "claim.fnol.create" {
			return errors.New("claims system unavailable")
		}
		return nil
	})
	v, err := hmac.NewVerifier(secret)
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(webhooks.NewReceiver(v, h))
	defer srv.Close()

	send := func(body string, sign bool) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		if sign {
			req.Header.Set(hmac.HeaderName, hmac.Sign(secret, []byte(body)))
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	send(`{"locator":"A","timestamp":"2026-11-23T18:04:05Z","type":"policy.change.issue"}`, true)
	send(`{"locator":"A","timestamp":"2026-11-23T18:04:05Z","type":"policy.change.issue"}`, true) // duplicate
	send(`{"locator":"B","timestamp":"2026-11-23T18:04:05Z","type":"claim.fnol.create"}`, true)
	send(`{"locator":"C","timestamp":"2026-11-23T18:04:05Z","type":"policy.change.issue"}`, false)
	send(`{"locator":"D"}`, true)
	s := h.Stats()
	fmt.Printf("received %d, handled %d, duplicates %d, failures %d, rejected %d (bad signature %d)\n",
		s.Received, s.Handled, s.Duplicates, s.Failures, s.Rejected, s.Refused)
	// Output:
	// 200
	// 200
	// 500
	// 401
	// 400
	// received 3, handled 1, duplicates 1, failures 1, rejected 2 (bad signature 1)
}

// sharedStore is a Deduper over a map, standing in for a store shared by several instances (Redis, SQL).
type sharedStore struct {
	mu    sync.Mutex
	state map[string]webhooks.Claim
}

func (s *sharedStore) Claim(_ context.Context, id string) (webhooks.Claim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.state[id]; ok {
		return c, nil // InProgress or Done
	}
	s.state[id] = webhooks.InProgress
	return webhooks.Claimed, nil
}

func (s *sharedStore) Complete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state[id] = webhooks.Done
	return nil
}

func (s *sharedStore) Release(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.state, id)
	return nil
}

func ExampleDeduper() {
	store := &sharedStore{state: map[string]webhooks.Claim{}}
	// Two instances of a service receive the same webhook; the shared store makes each event run once.
	var instances []*webhooks.Handler
	for i := range 2 {
		h := webhooks.NewHandler(webhooks.WithDeduper(store))
		h.On("*", func(ctx context.Context, ev *webhooks.Event) error {
			fmt.Printf("instance %d handled %s\n", i, ev.ID)
			return nil
		})
		instances = append(instances, h)
	}
	ev, _ := webhooks.Parse([]byte(`{"locator":"E1","timestamp":"2026-11-23T18:04:05Z","type":"policy.change.issue"}`))
	fmt.Println(instances[0].Handle(context.Background(), ev))
	fmt.Println(instances[1].Handle(context.Background(), ev))
	// Output:
	// instance 0 handled E1
	// <nil>
	// webhooks: duplicate event (already processed)
}

func ExampleHandler_OnAlert() {
	secret := []byte("the alert endpoint's secret")
	h := webhooks.NewHandler()
	h.OnAlert(func(ctx context.Context, a *webhooks.Alert) error {
		fmt.Printf("%s: webhook %q got %s for %s\n", a.Kind, a.WebhookName, a.ActualStatus, a.EventType)
		return nil // page someone, open a ticket...
	})
	recv, err := webhooks.NewSecretReceiver(secret, h)
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(recv)
	defer srv.Close()

	// What Legacy posts to an alert integration when a delivery fails for good.
	body := []byte(`{"webhookName":"claims","url":"https://app.example/socotra","expectedStatus":"2xx","actualStatus":"503",` +
		`"eventData":{"id":"e1","timestamp":1795457045123,"type":"claim.create","data":{}}}`)
	req, _ := hmac.NewSignedRequest(http.MethodPost, srv.URL, body, secret)
	resp, err := srv.Client().Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, h.Stats().Alerts)
	// Output:
	// delivery_failed: webhook "claims" got 503 for claim.create
	// 200 1
}

// A Handler mounted without a receiver refuses every request: nothing checked its signature. A test that
// wants to post unsigned deliveries opts out by name.
func ExampleInsecureAcceptUnverified() {
	body := `{"locator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQP","timestamp":"2026-11-23T18:04:05Z","type":"policy.change.issue","data":{}}`
	for _, h := range []*webhooks.Handler{
		webhooks.NewHandler(),
		webhooks.NewHandler(webhooks.InsecureAcceptUnverified()), // tests only
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/socotra", strings.NewReader(body)))
		fmt.Println(w.Code, h.Stats().Unverified)
	}
	// Output:
	// 401 0
	// 200 1
}

// A store shared by several instances implements LeasedDeduper, so that each claim has a lease and a token
// of its own. The in-memory store does too.
func ExampleLeasedDeduper() {
	ctx := context.Background()
	var d webhooks.LeasedDeduper = webhooks.NewMemoryDeduper(0, 0)
	c, token, _ := d.ClaimLease(ctx, "01JD7Y3Q8Z5X2W9V4T6R1M0KQP", time.Minute)
	fmt.Println(c)
	c, _, _ = d.ClaimLease(ctx, "01JD7Y3Q8Z5X2W9V4T6R1M0KQP", time.Minute)
	fmt.Println(c)
	_ = d.CompleteLease(ctx, "01JD7Y3Q8Z5X2W9V4T6R1M0KQP", token)
	c, _ = d.Claim(ctx, "01JD7Y3Q8Z5X2W9V4T6R1M0KQP")
	fmt.Println(c)
	// Output:
	// claimed
	// in progress
	// done
}

// outcomes is an Observer that prints how each delivery ended; a real one would feed a metrics library.
type outcomes struct{}

func (outcomes) Start(ctx context.Context, d *webhooks.DeliveryInfo) context.Context { return ctx }

func (outcomes) End(ctx context.Context, d *webhooks.DeliveryInfo) {
	fmt.Printf("%d %s %s\n", d.Status, d.Outcome, d.Type())
}

func ExampleWithObserver() {
	secret := []byte("the webhook's secret")
	h := webhooks.NewHandler(webhooks.WithObserver(outcomes{}))
	h.On("policy.quote.*", func(ctx context.Context, ev *webhooks.Event) error { return nil })
	recv, err := webhooks.NewSecretReceiver(secret, h)
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(recv)
	defer srv.Close()

	send := func(body string, key []byte) {
		req, _ := hmac.NewSignedRequest(http.MethodPost, srv.URL, []byte(body), key)
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
	}
	quote := `{"locator":"A","timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.issue"}`
	send(quote, secret)
	send(quote, secret)
	send(`{"locator":"B","timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.accept"}`, []byte("forged"))
	// Output:
	// 200 handled policy.quote.issue
	// 200 duplicate policy.quote.issue
	// 401 refused
}

type tenantKey struct{}

// A lookup that must not run for unauthenticated requests goes between the signature check and the
// Handler: here, the tenant named by a header the webhook was registered with.
func ExampleNewReceiverWith() {
	secret := []byte("the webhook's secret")
	h := webhooks.NewHandler()
	h.On("policy.*", func(ctx context.Context, ev *webhooks.Event) error {
		fmt.Println("handled", ev.ID, "for", ctx.Value(tenantKey{}))
		return nil
	})
	v, err := hmac.NewVerifier(secret)
	if err != nil {
		panic(err)
	}
	tenants := map[string]bool{"acme": true}
	tenancy := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name := r.Header.Get("X-Tenant") // reached only once the signature checked out
			if !tenants[name] {
				http.Error(w, "unknown tenant", http.StatusNotFound)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, name)))
		})
	}
	srv := httptest.NewServer(webhooks.NewReceiverWith(v, h, tenancy))
	defer srv.Close()

	send := func(id, tenant string, key []byte) {
		body := `{"locator":"` + id + `","timestamp":"2026-11-23T18:04:05Z","type":"policy.change.issue"}`
		req, _ := hmac.NewSignedRequest(http.MethodPost, srv.URL, []byte(body), key)
		req.Header.Set("X-Tenant", tenant)
		resp, err := srv.Client().Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	send("A", "acme", secret)
	send("B", "other", secret)
	send("C", "acme", []byte("forged"))
	// Output:
	// handled A for acme
	// 200
	// 404
	// 401
}
