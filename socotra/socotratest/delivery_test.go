package socotratest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/internal/coreapi"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func TestCoreDeliveryBody(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rcv := newReceiver(t, nil)
	c := coreClient(t, s)
	req := hookFor(rcv.URL, "policy.change.create")
	req.Endpoint.Headers = &coreapi.Headers{"X-App": {"a", "b"}}
	createCore(t, c, s, req)

	em, err := s.EmitCore(t.Context(), events.PolicyChangeCreate, map[string]string{"policyLocator": "P1"})
	if err != nil {
		t.Fatal(err)
	}
	if w := s.Webhooks(); len(em.Webhooks) != 1 || em.Webhooks[0] != w[0].ID {
		t.Errorf("Emitted.Webhooks = %v, want [%s]", em.Webhooks, w[0].ID)
	}
	if _, err := s.EmitCore(t.Context(), "policy.change.issue", nil); err != nil { // not subscribed
		t.Fatal(err)
	}
	flush(t, s)
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	var body coreapi.EventResponse
	if err := json.Unmarshal(got[0].body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Locator != em.ID || body.Type != "policy.change.create" || string(body.Data) != `{"policyLocator":"P1"}` ||
		deref(body.RequestId) != em.RequestID || deref(body.UserLocator) == "" || !body.Timestamp.Equal(em.Time) {
		t.Errorf("body = %s, emitted %+v", got[0].body, em)
	}
	if v := got[0].header.Values("X-App"); len(v) != 2 || v[0] != "a" || v[1] != "b" {
		t.Errorf("X-App = %q, want [a b]", v)
	}
	if got[0].header.Get(hmac.HeaderName) != "" {
		t.Error("signed although hmacEnabled is off")
	}
	if d := s.Deliveries(); len(d) != 1 || d[0].Status != 200 || d[0].Attempt != 1 || d[0].EventID != em.ID {
		t.Errorf("Deliveries() = %+v", d)
	}
}

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

// TestCoreRetriesDivertResend: a receiver answering 500 gets the configured retries, then the event
// is diverted, and resend delivers it again.
func TestCoreRetriesDivertResend(t *testing.T) {
	t.Parallel()
	clock := socotratest.NewFakeClock(start)
	s := newServer(t, socotratest.WithClock(clock))
	var failing atomic.Bool
	failing.Store(true)
	rcv := newReceiver(t, func(int) int {
		if failing.Load() {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	c := coreClient(t, s)
	req := hookFor(rcv.URL, "policy.change.create")
	req.FailureHandling = coreapi.FailureHandlingCreateRequest{
		Divert:        ptr(true),
		RetryStrategy: &coreapi.RetryStrategyCreateRequest{Type: ptr(coreapi.RetryTypeExponential), Interval: ptr(int64(2)), Attempts: ptr(int32(3))},
	}
	wh := createCore(t, c, s, req)

	em, err := s.EmitCore(t.Context(), events.PolicyChangeCreate, nil)
	if err != nil {
		t.Fatal(err)
	}
	flush(t, s)
	ds := s.Deliveries()
	if len(ds) != 4 {
		t.Fatalf("%d attempts, want 1 + 3 retries", len(ds))
	}
	wantGap := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second} // exponential from 2 units
	for i, d := range ds {
		if d.Attempt != i+1 || d.Status != 500 {
			t.Errorf("attempt %d: %+v", i+1, d)
		}
		if i > 0 && d.Time.Sub(ds[i-1].Time) != wantGap[i-1] {
			t.Errorf("wait before attempt %d = %v, want %v", i+1, d.Time.Sub(ds[i-1].Time), wantGap[i-1])
		}
	}
	list, err := c.ListDivertedEventsWithResponse(t.Context(), s.TenantLocator(), wh.Locator, nil)
	if err != nil || list.JSON200 == nil || len(*list.JSON200) != 1 {
		t.Fatalf("diverted list: %v %s", err, list.Body)
	}
	dv := (*list.JSON200)[0]
	if dv.EventLocator != em.ID || deref(dv.FailureTrigger) != "5xx" || deref(dv.RequestLocator) != em.RequestID {
		t.Errorf("diverted = %s", list.Body)
	}

	failing.Store(false)
	rs, err := c.ResendDivertedEventWithResponse(t.Context(), s.TenantLocator(), wh.Locator, em.ID)
	if err != nil || rs.StatusCode() != http.StatusOK {
		t.Fatalf("resend: %v %d %s", err, rs.StatusCode(), rs.Body)
	}
	flush(t, s)
	ds = s.Deliveries()
	if last := ds[len(ds)-1]; len(ds) != 5 || !last.Resend || last.Status != 200 || last.EventID != em.ID {
		t.Errorf("after resend: %d deliveries, last %+v", len(ds), last)
	}
	if n := len(s.DivertedEvents(wh.Locator)); n != 0 {
		t.Errorf("%d diverted events left after a successful resend", n)
	}
	again, _ := c.ResendDivertedEventWithResponse(t.Context(), s.TenantLocator(), wh.Locator, em.ID)
	if again.StatusCode() != http.StatusNotFound {
		t.Errorf("second resend: %d, want 404", again.StatusCode())
	}
}

func TestSuspendStopsDeliveriesUntilUnsuspend(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rcv := newReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	c := coreClient(t, s)
	req := hookFor(rcv.URL, "policy.change.create")
	req.FailureHandling = coreapi.FailureHandlingCreateRequest{Suspend: ptr(true)}
	wh := createCore(t, c, s, req)

	emit := func() {
		if _, err := s.EmitCore(t.Context(), events.PolicyChangeCreate, nil); err != nil {
			t.Fatal(err)
		}
		flush(t, s)
	}
	emit()
	got, _ := c.GetWebhookWithResponse(t.Context(), s.TenantLocator(), wh.Locator)
	if !deref(got.JSON200.Suspended) || got.JSON200.SuspendedAt == nil {
		t.Fatalf("not suspended after a failed delivery: %s", got.Body)
	}
	emit()
	if n := len(rcv.requests()); n != 1 {
		t.Fatalf("suspended webhook received %d requests, want 1", n)
	}
	active, _ := c.ListWebhooksWithResponse(t.Context(), s.TenantLocator(), &coreapi.ListWebhooksParams{Active: ptr(true)})
	if env, _ := active.JSON200.AsWebhookListResponse(); len(deref(env.Items)) != 0 {
		t.Errorf("active=true lists the suspended webhook: %s", active.Body)
	}
	un, err := c.UnsuspendWebhookWithResponse(t.Context(), s.TenantLocator(), wh.Locator)
	if err != nil || un.StatusCode() != http.StatusNoContent {
		t.Fatalf("unsuspend: %v %d", err, un.StatusCode())
	}
	emit()
	if n := len(rcv.requests()); n != 2 {
		t.Errorf("after unsuspend the receiver has %d requests, want 2", n)
	}
}

func TestSignatures(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	v, err := hmac.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		faults socotratest.Faults
		want   error
	}{
		{"clean", socotratest.Faults{}, nil},
		{"corrupted signature", socotratest.Faults{CorruptSignature: 1}, hmac.ErrInvalidSignature},
		{"tampered body", socotratest.Faults{TamperBody: 1}, hmac.ErrInvalidSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, socotratest.WithFaults(tc.faults))
			rcv := newReceiver(t, nil)
			req := hookFor(rcv.URL, "policy.change.create")
			req.Endpoint.HmacEnabled, req.Endpoint.Secret = ptr(true), ptr(string(secret))
			createCore(t, coreClient(t, s), s, req)
			if _, err := s.EmitCore(t.Context(), events.PolicyChangeCreate, nil); err != nil {
				t.Fatal(err)
			}
			flush(t, s)
			got := rcv.requests()
			if len(got) != 1 {
				t.Fatalf("%d requests", len(got))
			}
			if err := v.Verify(got[0].body, got[0].header); !errors.Is(err, tc.want) {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAddCoreWebhook(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if _, err := s.AddCoreWebhook("not a url", "", events.PolicyChangeIssue); err == nil || !strings.Contains(err.Error(), "endpoint.url") {
		t.Errorf("bad URL: %v", err)
	}
	if _, err := s.AddCoreWebhook("https://example.test", ""); err == nil || !strings.Contains(err.Error(), "eventTypes") {
		t.Errorf("no types: %v", err)
	}
	loc, err := s.AddCoreWebhook("https://example.test", "k", events.PolicyChangeIssue)
	w := s.Webhooks()
	if err != nil || len(w) != 1 || w[0].ID != loc || !w[0].HMAC || w[0].Secret != "k" || w[0].Events[0] != events.PolicyChangeIssue {
		t.Errorf("AddCoreWebhook = %q, %v; webhooks %+v", loc, err, w)
	}
}

// TestConcurrentUse drives emits, management calls and inspection at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := newServer(t, socotratest.WithFaults(socotratest.Faults{Seed: 1, Duplicate: 0.2}))
	rcv := newReceiver(t, nil)
	c := coreClient(t, s)
	for range 3 {
		createCore(t, c, s, hookFor(rcv.URL, "policy.change.create"))
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10 {
				if _, err := s.EmitCore(t.Context(), events.PolicyChangeCreate, nil); err != nil {
					t.Error(err)
				}
				_ = s.Deliveries()
				_ = s.Webhooks()
				if _, err := c.ListWebhooksWithResponse(t.Context(), s.TenantLocator(), nil); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	flush(t, s)
	dups := 0
	for _, d := range s.Deliveries() {
		if d.Faults.Has(socotratest.FaultDuplicate) {
			dups++
		}
	}
	if got, want := len(rcv.requests()), 4*10*3+dups; got != want {
		t.Errorf("receiver got %d requests, want %d", got, want)
	}
}

// TestCloseStopsPendingRetries: Close returns while a retry waits, and no goroutine is left (goleak).
func TestCloseStopsPendingRetries(t *testing.T) {
	t.Parallel()
	s := socotratest.NewServer(socotratest.WithRetryUnit(time.Hour))
	rcv := newReceiver(t, always(http.StatusInternalServerError))
	req := hookFor(rcv.URL, "policy.change.create")
	req.FailureHandling = coreapi.FailureHandlingCreateRequest{RetryStrategy: &coreapi.RetryStrategyCreateRequest{Attempts: ptr(int32(10))}}
	createCore(t, coreClient(t, s), s, req)
	s.EmitCore(t.Context(), events.PolicyChangeCreate, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := s.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush with an hour-long backoff: %v, want a deadline error", err)
	}
	for deadline := time.Now().Add(5 * time.Second); len(s.Deliveries()) == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // let the first attempt finish before closing
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while a retry was waiting")
	}
	s.Close() // idempotent
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("%d requests, want only the first attempt", n)
	}
}

// TestDeliveryOrder: without faults, first attempts to a webhook arrive in emission order, and
// diverted events are listed in event order.
func TestDeliveryOrder(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rcv := newReceiver(t, always(http.StatusInternalServerError))
	c := coreClient(t, s)
	req := hookFor(rcv.URL, "policy.change.create")
	req.FailureHandling = coreapi.FailureHandlingCreateRequest{Divert: ptr(true)}
	wh := createCore(t, c, s, req)
	var sent []string
	for range 20 {
		em, err := s.EmitCore(t.Context(), events.PolicyChangeCreate, nil)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, em.ID)
	}
	flush(t, s)
	var got []string
	for _, r := range rcv.requests() {
		var e coreapi.EventResponse
		_ = json.Unmarshal(r.body, &e)
		got = append(got, e.Locator)
	}
	if !slices.Equal(got, sent) {
		t.Errorf("arrival order %v, want emission order %v", got, sent)
	}
	list, _ := c.ListDivertedEventsWithResponse(t.Context(), s.TenantLocator(), wh.Locator, &coreapi.ListDivertedEventsParams{Count: ptr(int32(100))})
	var diverted []string
	for _, d := range deref(list.JSON200) {
		diverted = append(diverted, d.EventLocator)
	}
	if !slices.Equal(diverted, sent) {
		t.Errorf("diverted order %v, want event order %v", diverted, sent)
	}
}
