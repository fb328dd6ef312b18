package webhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
)

// readCounter is a request body that records whether anyone read it.
type readCounter struct {
	r    io.Reader
	read atomic.Bool
}

func (c *readCounter) Read(p []byte) (int, error) { c.read.Store(true); return c.r.Read(p) }
func (c *readCounter) Close() error               { return nil }

// Regression: a Handler mounted directly processed forged deliveries after one warning.
func TestBareHandlerRefusesUnverifiedRequests(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			log, lines := logBuffer()
			h := NewHandler(WithLogger(log))
			var ran atomic.Bool
			h.On("*", func(context.Context, *Event) error { ran.Store(true); return nil })
			body := &readCounter{r: strings.NewReader(delivery("F1", events.PolicyChangeIssue))}
			r := httptest.NewRequestWithContext(t.Context(), method, "/hook", nil)
			r.Body = body
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized || ran.Load() || body.read.Load() {
				t.Errorf("status %d, handler ran %t, body read %t; want 401, neither", w.Code, ran.Load(), body.read.Load())
			}
			if s := h.Stats(); s.Rejected != 1 || s.Received != 0 || s.Unverified != 0 {
				t.Errorf("stats %+v, want 1 rejected", s)
			}
			if !strings.Contains(fmt.Sprint(lines()), "NewReceiver") {
				t.Errorf("the refusal's log does not say what to do: %v", lines())
			}
		})
	}
}

func TestInsecureAcceptUnverified(t *testing.T) {
	t.Parallel()
	log, lines := logBuffer()
	h := NewHandler(WithLogger(log), InsecureAcceptUnverified(), WithMaxBodyBytes(200))
	if !strings.Contains(fmt.Sprint(lines()), "InsecureAcceptUnverified is set") {
		t.Errorf("NewHandler did not warn about InsecureAcceptUnverified: %v", lines())
	}
	var runs atomic.Int32
	h.On("*", func(context.Context, *Event) error { runs.Add(1); return nil })
	for _, tc := range []struct {
		method, body string
		want         int
	}{
		{"POST", delivery("U1", events.PolicyChangeIssue), 200},
		{"GET", "", 405},
		{"POST", delivery("U2"+strings.Repeat("x", 200), events.PolicyChangeIssue), 413},
		{"POST", "{}", 400},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), tc.method, "/hook", strings.NewReader(tc.body)))
		if w.Code != tc.want {
			t.Errorf("%s %.20q: status %d, want %d", tc.method, tc.body, w.Code, tc.want)
		}
		if tc.want == 405 && w.Header().Get("Allow") != "POST" {
			t.Errorf("405 without Allow: POST")
		}
	}
	if s := h.Stats(); s.Unverified != 4 || runs.Load() != 1 || s.Handled != 1 {
		t.Errorf("stats %+v with %d runs; want 4 unverified, 1 handled", s, runs.Load())
	}
}

// Regression: Handle accepted an empty event id, so a second id-less event was dropped as a duplicate.
func TestHandleRefusesBadIDs(t *testing.T) {
	t.Parallel()
	h := NewHandler()
	var runs atomic.Int32
	h.On("*", func(context.Context, *Event) error { runs.Add(1); return nil })
	for _, tc := range []struct {
		name, id, want string
	}{
		{"empty", "", "is empty"},
		{"too long", strings.Repeat("x", MaxIDBytes+1), "bytes long"},
	} {
		for range 2 {
			err := h.Handle(t.Context(), &Event{ID: tc.id, Type: events.PolicyChangeIssue})
			if !errors.Is(err, ErrInvalidDelivery) || !strings.Contains(err.Error(), tc.want) || StatusCode(err) != 400 {
				t.Errorf("%s id: Handle = %v, want an invalid delivery saying %q", tc.name, err, tc.want)
			}
		}
	}
	if err := h.Handle(t.Context(), &Event{ID: strings.Repeat("x", MaxIDBytes), Type: events.PolicyChangeIssue}); err != nil {
		t.Errorf("id of MaxIDBytes: %v", err)
	}
	if runs.Load() != 1 {
		t.Errorf("%d runs, want 1", runs.Load())
	}
	if _, err := Parse([]byte(delivery(strings.Repeat("x", MaxIDBytes+1), events.PolicyChangeIssue))); !errors.Is(err, ErrInvalidDelivery) ||
		!strings.Contains(err.Error(), `"locator"`) {
		t.Errorf("Parse of a long id = %v, want an error naming \"locator\"", err)
	}
}

// Regression: a handler that called runtime.Goexit left its event claimed for ever (409 on every retry).
func TestGoexitReleasesTheClaim(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"no timeout", nil},
		{"timeout", []Option{WithTimeout(time.Minute)}},
		{"leased store", []Option{WithDeduper(hidden{NewMemoryDeduper(0, 0)})}},
		{"plain store", []Option{WithDeduper(plainStore{NewMemoryDeduper(0, 0)})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := NewHandler(tc.opts...)
			var runs atomic.Int32
			h.On("*", func(context.Context, *Event) error {
				if runs.Add(1) == 1 {
					runtime.Goexit()
				}
				return nil
			})
			ev := mustParse(t, delivery("G1", events.PolicyChangeIssue))
			errc := make(chan error, 1)
			go func() {
				defer close(errc)
				errc <- h.Handle(t.Context(), ev)
			}()
			if err, ok := <-errc; ok && !errors.Is(err, errGoexit) {
				t.Errorf("first Handle = %v, want the Goexit error", err)
			}
			if err := h.Handle(t.Context(), ev); err != nil || runs.Load() != 2 {
				t.Errorf("redelivery: %v after %d runs; want it handled", err, runs.Load())
			}
		})
	}
}

// hidden is a LeasedDeduper that is not a *MemoryDeduper and does not embed one, so a Handler goes
// through the LeasedDeduper interface.
type hidden struct{ d *MemoryDeduper }

func (h hidden) Claim(ctx context.Context, id string) (Claim, error) { return h.d.Claim(ctx, id) }
func (h hidden) Complete(ctx context.Context, id string) error       { return h.d.Complete(ctx, id) }
func (h hidden) Release(ctx context.Context, id string) error        { return h.d.Release(ctx, id) }
func (h hidden) ClaimLease(ctx context.Context, id string, lease time.Duration) (Claim, string, error) {
	return h.d.ClaimLease(ctx, id, lease)
}
func (h hidden) CompleteLease(ctx context.Context, id, token string) error {
	return h.d.CompleteLease(ctx, id, token)
}
func (h hidden) ReleaseLease(ctx context.Context, id, token string) error {
	return h.d.ReleaseLease(ctx, id, token)
}

// embedding changes Complete of the MemoryDeduper it embeds; a Handler must call it, not the promoted
// CompleteLease that would go around it.
type embedding struct {
	*MemoryDeduper
	completes atomic.Int32
}

func (e *embedding) Complete(ctx context.Context, id string) error {
	e.completes.Add(1)
	return e.MemoryDeduper.Complete(ctx, id)
}

func TestHandlerPicksTheDedupeMethods(t *testing.T) {
	t.Parallel()
	if leasedOf(hidden{NewMemoryDeduper(0, 0)}) == nil {
		t.Error("a LeasedDeduper of its own is not used as one")
	}
	if leasedOf(NewMemoryDeduper(0, 0)) == nil {
		t.Error("a *MemoryDeduper is not used as a LeasedDeduper")
	}
	e := &embedding{MemoryDeduper: NewMemoryDeduper(0, 0)}
	h := NewHandler(WithDeduper(e))
	h.On("*", func(context.Context, *Event) error { return nil })
	if err := h.Handle(t.Context(), &Event{ID: "e1", Type: events.PolicyChangeIssue}); err != nil {
		t.Fatal(err)
	}
	if e.completes.Load() != 1 {
		t.Errorf("the embedding store's Complete ran %d times, want 1", e.completes.Load())
	}
}

// plain hides the lease methods, so a Handler uses Claim, Complete and Release.
type plainStore struct{ d Deduper }

func (p plainStore) Claim(ctx context.Context, id string) (Claim, error) { return p.d.Claim(ctx, id) }
func (p plainStore) Complete(ctx context.Context, id string) error       { return p.d.Complete(ctx, id) }
func (p plainStore) Release(ctx context.Context, id string) error        { return p.d.Release(ctx, id) }

type panickingDeduper struct{ plainStore }

func (panickingDeduper) Claim(context.Context, string) (Claim, error) { panic("store exploded") }

// Regression: with WithTimeout, a panicking Deduper crashed the process (its goroutine had no recover).
func TestPanickingDeduperUnderTimeout(t *testing.T) {
	t.Parallel()
	h := NewHandler(WithTimeout(time.Minute), WithDeduper(panickingDeduper{}))
	h.On("*", func(context.Context, *Event) error { t.Error("handler ran"); return nil })
	err := h.Handle(t.Context(), mustParse(t, delivery("P1", events.PolicyChangeIssue)))
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "store exploded" || StatusCode(err) != 500 {
		t.Errorf("Handle = %v, want a *PanicError answered 500", err)
	}
}

// A handler that outlives its timeout and its lease still keeps its event to itself in this process: the
// retry is refused, not run alongside it, and the late outcome settles the claim.
func TestLateHandlerNeverRunsAlongsideItsRetry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		store Deduper
	}{
		{"memory", NewMemoryDeduper(0, 0)},
		{"leased", hidden{NewMemoryDeduper(0, 0)}},
		{"plain", plainStore{NewMemoryDeduper(0, 0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := NewHandler(WithTimeout(time.Second), WithLease(time.Second), WithDeduper(tc.store))
				var running, overlaps, runs atomic.Int32
				h.On("*", func(ctx context.Context, ev *Event) error {
					runs.Add(1)
					if running.Add(1) > 1 {
						overlaps.Add(1)
					}
					defer running.Add(-1)
					time.Sleep(time.Hour) // ignores ctx, past the timeout, the 2s lease and DefaultLease
					return nil
				})
				ev := mustParse(t, delivery("L1", events.PolicyChangeIssue))
				if err := h.Handle(t.Context(), ev); !errors.Is(err, ErrTimeout) {
					t.Fatalf("first Handle = %v, want a timeout", err)
				}
				time.Sleep(30 * time.Minute)
				if err := h.Handle(t.Context(), ev); !errors.Is(err, ErrInProgress) {
					t.Errorf("retry while the first still runs: %v, want ErrInProgress", err)
				}
				time.Sleep(31 * time.Minute)
				synctest.Wait()
				if err := h.Handle(t.Context(), ev); !errors.Is(err, ErrDuplicate) {
					t.Errorf("retry after the late success: %v, want ErrDuplicate", err)
				}
				if overlaps.Load() != 0 || runs.Load() != 1 {
					t.Errorf("%d runs, %d overlapping; want 1 run", runs.Load(), overlaps.Load())
				}
			})
		})
	}
}

func TestMemoryDeduperLeases(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		d := NewMemoryDeduper(time.Hour, 0)
		c, stale, err := d.ClaimLease(ctx, "a", time.Minute)
		if c != Claimed || stale == "" || err != nil {
			t.Fatalf("ClaimLease = %v, %q, %v", c, stale, err)
		}
		if c, tok, _ := d.ClaimLease(ctx, "a", time.Minute); c != InProgress || tok != "" {
			t.Fatalf("second ClaimLease = %v, %q; want in progress", c, tok)
		}
		time.Sleep(time.Minute)
		c, live, _ := d.ClaimLease(ctx, "a", time.Minute)
		if c != Claimed || live == stale {
			t.Fatalf("ClaimLease after the lease = %v, %q (stale %q); want a new claim", c, live, stale)
		}
		if err := d.ReleaseLease(ctx, "a", stale); err != nil {
			t.Fatal(err)
		}
		if err := d.CompleteLease(ctx, "a", stale); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("CompleteLease with the stale token = %v, want ErrLeaseLost", err)
		}
		if c, _ := d.Claim(ctx, "a"); c != InProgress {
			t.Fatalf("after the stale holder's calls: %v, want in progress", c)
		}
		if err := d.CompleteLease(ctx, "a", live); err != nil {
			t.Fatal(err)
		}
		if c, _ := d.Claim(ctx, "a"); c != Done {
			t.Fatalf("after CompleteLease: %v, want done", c)
		}
		// The stale holder completing after its successor did finds the event done, as pgstore and
		// redisstore do: nothing is lost, so no ErrLeaseLost.
		if err := d.CompleteLease(ctx, "a", stale); err != nil {
			t.Errorf("CompleteLease with the stale token of a done event = %v, want nil", err)
		}
		if c, _ := d.Claim(ctx, "a"); c != Done {
			t.Fatalf("after the stale CompleteLease: %v, want done", c)
		}
		// Nor does a claim whose own lease lapsed stand in the way of an earlier holder's completion.
		_, first, _ := d.ClaimLease(ctx, "c", time.Minute)
		time.Sleep(time.Minute)
		_, second, _ := d.ClaimLease(ctx, "c", time.Minute)
		time.Sleep(time.Minute)
		if err := d.CompleteLease(ctx, "c", first); err != nil {
			t.Errorf("CompleteLease past a lapsed successor = %v, want nil", err)
		}
		if err := d.CompleteLease(ctx, "c", second); err != nil {
			t.Errorf("CompleteLease of the lapsed successor after its event was done = %v, want nil", err)
		}
		if c, _ := d.Claim(ctx, "c"); c != Done {
			t.Fatalf("after both completed: %v, want done", c)
		}
		if err := d.CompleteLease(ctx, "a", "not a token"); err == nil {
			t.Error("CompleteLease accepted a made-up token")
		}
		// A plain Claim has DefaultLease.
		d.Claim(ctx, "b")
		time.Sleep(DefaultLease - time.Nanosecond)
		if c, _ := d.Claim(ctx, "b"); c != InProgress {
			t.Errorf("plain claim just inside DefaultLease: %v", c)
		}
		time.Sleep(time.Nanosecond)
		if c, _ := d.Claim(ctx, "b"); c != Claimed {
			t.Errorf("plain claim at DefaultLease: %v, want lapsed", c)
		}
		// Lapsed claims are swept, not kept for ever.
		for i := range 1000 {
			d.ClaimLease(ctx, fmt.Sprint("x", i), time.Second)
		}
		time.Sleep(2 * time.Second)
		for i := range 1100 {
			d.ClaimLease(ctx, fmt.Sprint("y", i), time.Second)
		}
		if n := len(d.claims); n > 1200 {
			t.Errorf("%d claims kept with 1100 live and 1000 lapsed, want the lapsed ones swept", n)
		}
	})
}

func TestMaxEventAge(t *testing.T) {
	t.Parallel()
	h := NewHandler(WithMaxEventAge(time.Hour))
	var runs atomic.Int32
	h.On("*", func(context.Context, *Event) error { runs.Add(1); return nil })
	old := &Event{ID: "old", Type: events.PolicyChangeIssue, Time: time.Now().Add(-2 * time.Hour)}
	if err := h.Handle(t.Context(), old); !errors.Is(err, ErrTooOld) || StatusCode(err) != http.StatusUnprocessableEntity {
		t.Errorf("old event: %v, want ErrTooOld (422)", err)
	}
	fresh := &Event{ID: "fresh", Type: events.PolicyChangeIssue, Time: time.Now().Add(-time.Minute)}
	if err := h.Handle(t.Context(), fresh); err != nil {
		t.Errorf("fresh event: %v", err)
	}
	if err := NewHandler().Handle(t.Context(), old); err != nil {
		t.Errorf("without WithMaxEventAge an old event is handled: %v", err)
	}
	if runs.Load() != 1 {
		t.Errorf("%d runs, want 1", runs.Load())
	}
}

// Regression: stats kept every unknown type name whole, however long.
func TestStatsKeepShortUnknownNamesOnly(t *testing.T) {
	t.Parallel()
	h := NewHandler(WithDeduper(nil))
	long := events.Name("tenant." + strings.Repeat("x", 64<<10))
	for i := range 10 {
		if err := h.Handle(t.Context(), &Event{ID: fmt.Sprint("e", i), Type: long + events.Name(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	short := events.Name("tenant.custom")
	if err := h.Handle(t.Context(), &Event{ID: "s", Type: short}); err != nil {
		t.Fatal(err)
	}
	s := h.Stats()
	if len(s.ByType) != 1 || s.ByType[short].Received != 1 || s.Received != 11 {
		t.Errorf("ByType has %d names, received %d; want only %q listed and 11 received", len(s.ByType), s.Received, short)
	}
}

// forgedCarrier has a Verified method of its own, as a type outside this module can.
type forgedCarrier struct{ b []byte }

func (f forgedCarrier) Verified() ([]byte, string) { return f.b, "forged" }

// anyValue answers every key with v, as a permissive request-scoped context might.
type anyValue struct {
	context.Context
	v any
}

func (c anyValue) Value(any) any { return c.v }

// TestForgedVerificationRefused checks that a context cannot claim a verification it did not get: a value
// with a Verified method, found under any key, is not a verified body.
func TestForgedVerificationRefused(t *testing.T) {
	t.Parallel()
	const body = `{"locator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQP","timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.issue","data":{}}`
	if b, ok := hmac.VerifiedBody(anyValue{t.Context(), forgedCarrier{[]byte("never signed")}}); ok {
		t.Errorf("VerifiedBody of a forged context = %q, true; want false", b)
	}
	h := NewHandler()
	ran := false
	h.On("*", func(context.Context, *Event) error { ran = true; return nil })
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	r = r.WithContext(anyValue{r.Context(), forgedCarrier{[]byte(body)}})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || ran {
		t.Errorf("unsigned delivery with a forged context: status %d, function ran %v; want 401 and not run", w.Code, ran)
	}
}
