package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// delivery returns a Core body for an event of type typ with id id. Give it a name Core sends
// (reference/core-event-types.json), or a tenant's custom one.
func delivery(id string, typ events.Name) string {
	return fmt.Sprintf(`{"locator":%q,"requestId":"r","userLocator":"u","timestamp":"2026-11-23T18:04:05Z","type":%q,"data":{}}`, id, typ)
}

// post delivers body, signed with secret, to h behind a receiver and returns the recorded answer.
func post(h *Handler, body string) *httptest.ResponseRecorder {
	return send(h, nil, http.MethodPost, body)
}

// send delivers body, signed with secret, to h behind a receiver built with opts.
func send(h *Handler, opts []hmac.Option, method, body string) *httptest.ResponseRecorder {
	recv, err := NewSecretReceiver(secret, h, opts...)
	if err != nil {
		panic(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(method, "/hook", strings.NewReader(body))
	r.Header.Set(hmac.HeaderName, hmac.Sign(secret, []byte(body)))
	recv.ServeHTTP(w, r)
	return w
}

// recorder is a HandlerFunc factory that records which functions ran, in order.
type recorder struct {
	mu  sync.Mutex
	ran []string
}

func (r *recorder) fn(name string, err error) HandlerFunc {
	return func(context.Context, *Event) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ran = append(r.ran, name)
		return err
	}
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.ran
	r.ran = nil
	return out
}

func TestRoutingRunsEveryMatchInOrder(t *testing.T) {
	t.Parallel()
	var rec recorder
	h := NewHandler(WithFallback(rec.fn("fallback", nil)))
	h.On("policy.*", rec.fn("policy.*", nil))
	h.On("*", rec.fn("*", nil))
	h.On("policy.quote.issue", rec.fn("exact", nil))
	h.On("*.issue", rec.fn("*.issue", nil))
	h.On("claim.*", rec.fn("claim.*", nil))
	h.On("policy.*", rec.fn("policy.* again", nil))
	tests := []struct {
		typ  events.Name
		want []string
	}{
		{events.PolicyQuoteIssue, []string{"policy.*", "*", "exact", "*.issue", "policy.* again"}},
		{events.ClaimFnolCreate, []string{"*", "claim.*"}},
		{"tenant.custom", []string{"*"}},
	}
	for i, tt := range tests {
		if w := post(h, delivery(fmt.Sprint("id", i), tt.typ)); w.Code != 200 {
			t.Fatalf("%s: status %d", tt.typ, w.Code)
		}
		if got := rec.take(); !slices.Equal(got, tt.want) {
			t.Errorf("%s ran %q, want %q", tt.typ, got, tt.want)
		}
	}
}

func TestRoutingFirstErrorStopsAndRedeliveryRerunsAll(t *testing.T) {
	t.Parallel()
	var rec recorder
	fail := errors.New("downstream down")
	var failing atomic.Bool
	failing.Store(true)
	h := NewHandler()
	h.On("policy.*", rec.fn("first", nil))
	h.On("policy.quote.*", func(ctx context.Context, ev *Event) error {
		rec.fn("second", nil)(ctx, ev)
		if failing.Load() {
			return fail
		}
		return nil
	})
	h.On("*", rec.fn("third", nil))
	body := delivery("E1", events.PolicyQuoteIssue)

	if w := post(h, body); w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	if got := rec.take(); !slices.Equal(got, []string{"first", "second"}) {
		t.Errorf("ran %q, want the chain to stop after the failing function", got)
	}
	err := h.Handle(t.Context(), mustParse(t, body))
	if !errors.Is(err, fail) || !strings.Contains(err.Error(), `handler for "policy.quote.*" failed on event E1`) {
		t.Errorf("Handle error = %v, want the handler's error with pattern and event id", err)
	}
	rec.take()
	failing.Store(false)
	if w := post(h, body); w.Code != 200 {
		t.Fatalf("redelivery status %d, want 200", w.Code)
	}
	if got := rec.take(); !slices.Equal(got, []string{"first", "second", "third"}) {
		t.Errorf("redelivery ran %q, want all three", got)
	}
	if w := post(h, body); w.Code != 200 || len(rec.take()) != 0 {
		t.Errorf("after success, a duplicate got %d and ran functions", w.Code)
	}
}

func mustParse(t *testing.T, body string) *Event {
	t.Helper()
	ev, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestPlatformDetectionInRouting(t *testing.T) {
	t.Parallel()
	var got []events.Platform
	h := NewHandler()
	h.On("policy.*", func(_ context.Context, ev *Event) error { got = append(got, ev.Platform); return nil })
	post(h, legacyBody)                              // policy.issue, which Legacy sends
	post(h, delivery("C", events.PolicyChangeIssue)) // which Core sends
	if !slices.Equal(got, []events.Platform{events.Legacy, events.Core}) {
		t.Errorf("platforms %v, want [legacy core]", got)
	}
}

// failingDeduper fails every call.
type failingDeduper struct{}

func (failingDeduper) Claim(context.Context, string) (Claim, error) {
	return 0, errors.New("connection refused")
}
func (failingDeduper) Complete(context.Context, string) error { return nil }
func (failingDeduper) Release(context.Context, string) error  { return nil }

func TestStatusCodes(t *testing.T) {
	t.Parallel()
	ok := func(context.Context, *Event) error { return nil }
	tests := []struct {
		name   string
		opts   []Option
		fn     HandlerFunc
		method string
		body   string
		want   int
		inBody string
		hopts  []hmac.Option
	}{
		{"success", nil, ok, "POST", delivery("a", "policy.change.issue"), 200, "", nil},
		{"unknown type acknowledged", nil, ok, "POST", delivery("a", "brand.new.event"), 200, "", nil},
		{"handler error", nil, func(context.Context, *Event) error { return errors.New("secret detail") }, "POST", delivery("a", "policy.change.issue"), 500, "Internal Server Error", nil},
		{"panic", nil, func(context.Context, *Event) error { panic("boom") }, "POST", delivery("a", "policy.change.issue"), 500, "Internal Server Error", nil},
		{"not a delivery", nil, ok, "POST", `{"locator":"L"}`, 400, `webhooks: missing "type"`, nil},
		{"not JSON", nil, ok, "POST", `<xml/>`, 400, "body is not JSON", nil},
		{"method", nil, ok, "GET", "", 405, "Method Not Allowed", nil},
		{"too large", nil, ok, "POST", delivery("a", "policy.change.issue"), 413, "", []hmac.Option{hmac.WithMaxBodyBytes(20)}},
		{"dedupe store down", []Option{WithDeduper(failingDeduper{})}, ok, "POST", delivery("a", "policy.change.issue"), 503, "", nil},
		{"dedupe off", []Option{WithDeduper(nil)}, ok, "POST", delivery("a", "policy.change.issue"), 200, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := NewHandler(tt.opts...)
			h.On("policy.*", tt.fn)
			w := send(h, tt.hopts, tt.method, tt.body)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d (body %q)", w.Code, tt.want, w.Body)
			}
			if !strings.Contains(w.Body.String(), tt.inBody) {
				t.Errorf("body %q does not contain %q", w.Body, tt.inBody)
			}
			if strings.Contains(w.Body.String(), "secret detail") {
				t.Error("a handler's error leaked into the response")
			}
			if tt.want == 405 && w.Header().Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", w.Header().Get("Allow"))
			}
		})
	}
}

func TestStatusCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{ErrDuplicate, 200},
		{fmt.Errorf("x: %w", ErrInProgress), 409},
		{ErrTimeout, 503},
		{fmt.Errorf("%w: claim: boom", ErrDedupe), 503},
		{context.Canceled, 503},
		{&ParseError{msg: "x"}, 400},
		{&PanicError{Value: 1}, 500},
		{errors.New("handler"), 500},
		// A function's error fails the delivery whatever it wraps; only the Handler's own limit makes it 503.
		{&funcError{"f", fmt.Errorf("x: %w", ErrDuplicate)}, 500},
		{&funcError{"f", errors.Join(ErrInProgress, ErrTimeout, context.Canceled)}, 500},
		{fmt.Errorf("%w (1s): %w", ErrTimeout, &funcError{"f", ErrDuplicate}), 503},
		{errors.Join(errors.New("x"), ErrDuplicate), 200},
	}
	for _, tt := range tests {
		if got := StatusCode(tt.err); got != tt.want {
			t.Errorf("StatusCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// logBuffer returns a logger writing JSON lines at debug level, and a function decoding them.
func logBuffer() (*slog.Logger, func() []map[string]any) {
	var mu sync.Mutex
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return l, func() []map[string]any {
		mu.Lock()
		defer mu.Unlock()
		var out []map[string]any
		for line := range strings.Lines(buf.String()) {
			var m map[string]any
			_ = json.Unmarshal([]byte(line), &m)
			out = append(out, m)
		}
		return out
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestPanicRecoveredAndLogged(t *testing.T) {
	t.Parallel()
	log, lines := logBuffer()
	h := NewHandler(WithLogger(log))
	h.On("*", func(context.Context, *Event) error { panic("kaboom") })
	err := h.Handle(t.Context(), mustParse(t, delivery("P1", events.PolicyChangeIssue)))
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" {
		t.Fatalf("Handle error = %v, want a *PanicError with the value", err)
	}
	var found bool
	for _, l := range lines() {
		if l["outcome"] == "panic" && l["event_id"] == "P1" && l["level"] == "ERROR" &&
			strings.Contains(l["error"].(string), "kaboom") && strings.Contains(l["stack"].(string), "handler_test.go") {
			found = true
		}
	}
	if !found {
		t.Errorf("no error log with the event id, panic value and stack in %v", lines())
	}
	// The claim was released: the event runs again.
	if err := h.Handle(t.Context(), mustParse(t, delivery("P1", events.PolicyChangeIssue))); !errors.As(err, &pe) {
		t.Errorf("redelivery after a panic: %v, want the handler to run again", err)
	}
}

func TestLogsEveryOutcome(t *testing.T) {
	t.Parallel()
	log, lines := logBuffer()
	h := NewHandler(WithLogger(log))
	h.On("policy.*", func(context.Context, *Event) error { return nil })
	h.On("claim.*", func(context.Context, *Event) error { return errors.New("nope") })
	post(h, delivery("A", events.PolicyChangeIssue))
	post(h, delivery("A", events.PolicyChangeIssue))
	post(h, delivery("B", events.ClaimFnolCreate))
	post(h, delivery("C", "tenant.thing"))
	post(h, `{}`)
	var got []string
	for _, l := range lines() {
		if id, ok := l["event_id"]; ok && l["outcome"] != nil {
			got = append(got, fmt.Sprintf("%s %s %s %s", id, l["event_type"], l["outcome"], l["level"]))
		}
	}
	want := []string{"A policy.change.issue handled INFO", "A policy.change.issue duplicate INFO", "B claim.fnol.create failed ERROR",
		"C tenant.thing handled INFO"}
	if !slices.Equal(got, want) {
		t.Errorf("logged\n %q\nwant\n %q", got, want)
	}
	text := fmt.Sprint(lines())
	for _, s := range []string{"no handler for event", "delivery rejected"} {
		if !strings.Contains(text, s) {
			t.Errorf("no log line containing %q", s)
		}
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var runs atomic.Int32
		cause := make(chan error, 1)
		log, lines := logBuffer()
		h := NewHandler(WithTimeout(5*time.Second), WithLogger(log))
		h.On("*", func(ctx context.Context, ev *Event) error {
			if runs.Add(1) > 1 {
				return nil
			}
			<-ctx.Done()
			cause <- context.Cause(ctx)
			<-release // keeps running past the deadline, like a handler that ignores ctx for a while
			return ctx.Err()
		})
		body := delivery("T1", events.PolicyChangeIssue)
		start := time.Now()
		if w := post(h, body); w.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503", w.Code)
		}
		if took := time.Since(start); took != 5*time.Second {
			t.Errorf("answered after %v, want exactly the 5s limit", took)
		}
		if c := <-cause; !errors.Is(c, ErrTimeout) {
			t.Errorf("handler's context cause = %v, want ErrTimeout", c)
		}
		// Still running: a redelivery gets 409.
		if w := post(h, body); w.Code != http.StatusConflict {
			t.Errorf("redelivery while the first still runs: %d, want 409", w.Code)
		}
		close(release)
		synctest.Wait()
		var late bool
		for _, l := range lines() {
			late = late || l["msg"] == "webhooks: handlers finished after the timeout" && l["event_id"] == "T1" &&
				strings.Contains(fmt.Sprint(l["outcome"]), "context deadline exceeded")
		}
		if !late {
			t.Errorf("the late outcome was not logged: %v", lines())
		}
		// The late failure released the claim: the next redelivery runs and succeeds.
		if w := post(h, body); w.Code != 200 || runs.Load() != 2 {
			t.Errorf("redelivery after release: status %d, runs %d; want 200, 2", w.Code, runs.Load())
		}
		if s := h.Stats(); s.Failures != 1 || s.Duplicates != 1 || s.Handled != 1 {
			t.Errorf("stats %+v, want 1 failure, 1 duplicate, 1 handled", s)
		}
	})
}

func TestTimeoutFastHandler(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(WithTimeout(time.Second))
		h.On("*", func(ctx context.Context, ev *Event) error {
			time.Sleep(999 * time.Millisecond)
			return ctx.Err()
		})
		if err := h.Handle(t.Context(), mustParse(t, delivery("F", "a.b"))); err != nil {
			t.Errorf("Handle = %v, want nil within the limit", err)
		}
		h2 := NewHandler(WithTimeout(time.Second))
		h2.On("*", func(ctx context.Context, ev *Event) error {
			<-ctx.Done()
			return fmt.Errorf("db: %w", ctx.Err()) // returns promptly on cancellation
		})
		err := h2.Handle(t.Context(), mustParse(t, delivery("F", "a.b")))
		if !errors.Is(err, ErrTimeout) || StatusCode(err) != 503 {
			t.Errorf("Handle = %v, want ErrTimeout (503)", err)
		}
	})
}

func TestConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	const n = 32
	var runs atomic.Int32
	gate := make(chan struct{})
	h := NewHandler()
	h.On("*", func(context.Context, *Event) error {
		runs.Add(1)
		<-gate
		return nil
	})
	body := delivery("D1", events.PolicyChangeIssue)
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { codes <- post(h, body).Code })
	}
	// All but the one holding the claim answer without waiting for it.
	counts := map[int]int{}
	for range n - 1 {
		counts[<-codes]++
	}
	close(gate)
	wg.Wait()
	counts[<-codes]++
	if runs.Load() != 1 || counts[200] != 1 || counts[409] != n-1 {
		t.Errorf("runs %d, statuses %v; want 1 run, one 200 and %d 409s", runs.Load(), counts, n-1)
	}
	if w := post(h, body); w.Code != 200 || runs.Load() != 1 {
		t.Errorf("after completion: %d, runs %d; want 200 without running", w.Code, runs.Load())
	}
}

func TestHandleDuplicate(t *testing.T) {
	t.Parallel()
	h := NewHandler()
	var runs int
	h.On("*", func(context.Context, *Event) error { runs++; return nil })
	ev := mustParse(t, legacyBody)
	if err := h.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(t.Context(), ev); !errors.Is(err, ErrDuplicate) || runs != 1 {
		t.Errorf("second Handle = %v with %d runs, want ErrDuplicate and 1 run", err, runs)
	}
	if err := h.Handle(t.Context(), nil); err == nil {
		t.Error("Handle(nil) = nil, want an error")
	}
}

func TestFallback(t *testing.T) {
	t.Parallel()
	var got []events.Name
	h := NewHandler(WithFallback(func(_ context.Context, ev *Event) error {
		got = append(got, ev.Type)
		return errors.New("not ready for " + string(ev.Type))
	}))
	h.On("policy.*", func(context.Context, *Event) error { return nil })
	if w := post(h, delivery("1", events.PolicyChangeIssue)); w.Code != 200 {
		t.Errorf("matched: %d", w.Code)
	}
	if w := post(h, delivery("2", "billing.invoice.settle")); w.Code != 500 {
		t.Errorf("fallback error: %d, want 500", w.Code)
	}
	if !slices.Equal(got, []events.Name{"billing.invoice.settle"}) {
		t.Errorf("fallback saw %v", got)
	}
	if s := h.Stats(); s.Unmatched != 1 {
		t.Errorf("Unmatched = %d, want 1", s.Unmatched)
	}
}

func TestRegisterPatterns(t *testing.T) {
	t.Parallel()
	h := NewHandler()
	fn := func(context.Context, *Event) error { return nil }
	for _, tt := range []struct{ pattern, want string }{
		{"", `empty; use "*" to match every event`},
		{"policy..issue", "empty segment at byte 7"},
		{"policy.", "empty segment at byte 7"},
		{".policy", "empty segment at byte 0"},
		{"policy quote", `character ' ' at byte 6`},
		{"policy-quote", `character '-' at byte 6`},
		{strings.Repeat("a", events.MaxNameLen+1), "over the limit of 128"},
	} {
		err := h.Register(tt.pattern, fn)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "webhooks: ") ||
			!errors.Is(err, events.ErrMalformedPattern) {
			t.Errorf("Register(%q) = %v, want an error containing %q", tt.pattern, err, tt.want)
		}
	}
	if err := h.Register("policy.*", nil); err == nil {
		t.Error("Register with a nil function succeeded")
	}
	for _, p := range []string{"*", "policy.*", "*.create", "tenant.custom_event", "**"} {
		if err := h.Register(p, fn); err != nil {
			t.Errorf("Register(%q) = %v", p, err)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "policy..x") {
			t.Errorf("On with a malformed pattern: recovered %v, want a panic naming it", r)
		}
	}()
	h.On("policy..x", fn)
}

func TestRegisterWarnsAboutMisspelling(t *testing.T) {
	t.Parallel()
	log, lines := logBuffer()
	h := NewHandler(WithLogger(log))
	h.On("policy.quote.isue", func(context.Context, *Event) error { return nil })
	h.On("policy.quote.*", func(context.Context, *Event) error { return nil })
	l := lines()
	if len(l) != 1 || l[0]["pattern"] != "policy.quote.isue" || l[0]["did_you_mean"] != "policy.quote.issue" {
		t.Errorf("logged %v, want one warning suggesting policy.quote.issue", l)
	}
}

func TestRegisterWhileServing(t *testing.T) {
	t.Parallel()
	h := NewHandler(WithDeduper(nil))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { h.On(fmt.Sprint("p", i, ".*"), func(context.Context, *Event) error { return nil }) })
		wg.Go(func() { post(h, delivery("x", "p1.a")) })
	}
	wg.Wait()
	if n := len(*h.routes.Load()); n != 20 {
		t.Errorf("%d routes, want 20", n)
	}
}

func TestHandleData(t *testing.T) {
	t.Parallel()
	h := NewHandler()
	var got []string
	err := HandleData(h, events.PolicyQuoteAccept, func(_ context.Context, ev *Event, q *events.QuoteData) error {
		got = append(got, ev.ID+":"+q.QuoteLocator)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var legacy int
	h.On("policy.quote.accept", func(_ context.Context, ev *Event) error {
		if ev.Platform == events.Legacy {
			legacy++
		}
		return nil
	})
	post(h, `{"locator":"C1","timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.accept","data":{"quoteLocator":"Q1"}}`)
	post(h, `{"locator":"C2","timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.accept"}`)
	post(h, `{"id":"L1","timestamp":1,"type":"policy.quote.accept","data":{"quoteLocator":"legacy shape"}}`)
	if !slices.Equal(got, []string{"C1:Q1", "C2:"}) || legacy != 1 {
		t.Errorf("typed function saw %q, Legacy deliveries to On: %d; want [C1:Q1 C2:] and 1", got, legacy)
	}
	w := post(h, `{"locator":"C3","timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.accept","data":{"quoteLocator":[]}}`)
	if w.Code != 500 {
		t.Errorf("data of the wrong shape: %d, want 500", w.Code)
	}
}

func TestHandleDataRegistrationErrors(t *testing.T) {
	t.Parallel()
	h := NewHandler()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"wrong type", HandleData(h, events.PolicyQuoteIssue, func(context.Context, *Event, *events.PolicyData) error { return nil }),
			"its data is *events.QuoteData, not *events.PolicyData"},
		{"legacy only", HandleData(h, "policy.issue", func(context.Context, *Event, *events.PolicyData) error { return nil }),
			"has no typed data"},
		{"unknown", HandleData(h, "tenant.thing", func(context.Context, *Event, *struct{}) error { return nil }),
			"has no typed data"},
		{"malformed", HandleData(h, "a..b", func(context.Context, *Event, *struct{}) error { return nil }),
			"events: "},
		{"nil", HandleData[events.QuoteData](h, events.PolicyQuoteIssue, nil), "nil handler function"},
	}
	for _, tt := range tests {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) || !strings.HasPrefix(tt.err.Error(), "webhooks: ") {
			t.Errorf("%s: error %v, want one containing %q", tt.name, tt.err, tt.want)
		}
	}
	if n := len(*h.routes.Load()); n != 0 {
		t.Errorf("failed registrations added %d routes", n)
	}
}

// TestMalformedTypeHandled checks that a delivery whose type events.Parse calls malformed is routed by
// pattern like any other (so Socotra does not retry it forever) and logged at debug level, while a
// well-formed unknown type is not.
func TestMalformedTypeHandled(t *testing.T) {
	t.Parallel()
	log, lines := logBuffer()
	var rec recorder
	h := NewHandler(WithLogger(log))
	h.On("tenant.*", rec.fn("tenant", nil))
	for _, tc := range []struct {
		id      string
		typ     events.Name
		ran     []string
		flagged bool
	}{
		{"M1", "tenant.my-event", []string{"tenant"}, true},
		{"M2", "my event", nil, true}, // default fallback: acknowledged
		{"M3", "tenant.thing", []string{"tenant"}, false},
		{"M4", events.PolicyChangeIssue, nil, false},
	} {
		if w := post(h, delivery(tc.id, tc.typ)); w.Code != http.StatusOK {
			t.Errorf("%q: status %d (%s), want 200", tc.typ, w.Code, w.Body)
		}
		if got := rec.take(); !slices.Equal(got, tc.ran) {
			t.Errorf("%q: ran %v, want %v", tc.typ, got, tc.ran)
		}
		flagged := false
		for _, l := range lines() {
			if l["event_id"] == tc.id && l["level"] == "DEBUG" && strings.Contains(fmt.Sprint(l["msg"]), "not a well-formed event name") {
				flagged = l["event_type"] == string(tc.typ) && strings.Contains(fmt.Sprint(l["reason"]), "events:")
			}
		}
		if flagged != tc.flagged {
			t.Errorf("%q: logged as not well-formed: %v, want %v (logs %v)", tc.typ, flagged, tc.flagged, lines())
		}
	}
	if s := h.Stats(); s.Handled != 4 || s.Unmatched != 2 || s.ByType["my event"].Handled != 1 {
		t.Errorf("Stats() = %+v; want 4 handled, 2 unmatched, one of them \"my event\"", s)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	h := NewHandler()
	h.On("policy.*", func(context.Context, *Event) error { return nil })
	h.On("claim.*", func(context.Context, *Event) error { return errors.New("x") })
	post(h, delivery("1", events.PolicyChangeIssue))
	post(h, delivery("1", events.PolicyChangeIssue))
	post(h, delivery("2", events.ClaimFnolCreate))
	post(h, delivery("3", "tenant.custom"))
	post(h, "nope")
	want := Stats{Received: 4, Handled: 2, Duplicates: 1, Failures: 1, Unmatched: 1, Rejected: 1,
		ByType: map[events.Name]TypeStats{
			events.PolicyChangeIssue: {Received: 2, Handled: 1, Duplicates: 1},
			events.ClaimFnolCreate:   {Received: 1, Failures: 1},
			"tenant.custom":          {Received: 1, Handled: 1},
		}}
	got := h.Stats()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Stats() =\n %+v\nwant\n %+v", got, want)
	}
}

func TestStatsUnknownTypesBounded(t *testing.T) {
	t.Parallel()
	h := NewHandler(WithDeduper(nil))
	for i := range maxUnknownTypes + 50 {
		if err := h.Handle(t.Context(), &Event{ID: "x", Type: events.Name(fmt.Sprint("t", i))}); err != nil {
			t.Fatal(err)
		}
	}
	s := h.Stats()
	if len(s.ByType) != maxUnknownTypes || s.Received != maxUnknownTypes+50 {
		t.Errorf("%d types listed, %d received; want %d and %d", len(s.ByType), s.Received, maxUnknownTypes, maxUnknownTypes+50)
	}
}

func TestHandleAllocations(t *testing.T) {
	ev := mustParse(t, coreBody)
	evs := make([]*Event, 400)
	for i := range evs {
		e := *ev
		e.ID = fmt.Sprint("id-", i)
		evs[i] = &e
	}
	// The in-memory deduper keeps a hash of each completed id, not a copy, so it allocates nothing either.
	for _, opt := range []Option{WithDeduper(nil), WithDeduper(NewMemoryDeduper(time.Hour, idBytes(100)))} {
		h := NewHandler(opt)
		h.On("policy.*", func(context.Context, *Event) error { return nil })
		i := 0
		allocs := testing.AllocsPerRun(300, func() {
			if err := h.Handle(t.Context(), evs[i%len(evs)]); err != nil {
				t.Fatal(err)
			}
			i++
		})
		if allocs != 0 {
			t.Errorf("Handle allocates %v times per event, want 0", allocs)
		}
	}
}

// TestTimeoutRace has handlers finish exactly at the limit: the answer is success or a timeout, never a
// spurious "gave up" caused by the handler goroutine's own cleanup.
func TestTimeoutRace(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := NewHandler(WithTimeout(time.Second), WithDeduper(nil))
		h.On("*", func(ctx context.Context, ev *Event) error {
			time.Sleep(time.Second)
			return nil
		})
		for i := range 50 {
			err := h.Handle(t.Context(), &Event{ID: fmt.Sprint(i), Type: "a.b"})
			if err != nil && !errors.Is(err, ErrTimeout) {
				t.Fatalf("Handle = %v, want nil or ErrTimeout", err)
			}
			synctest.Wait()
		}
	})
}

// A handler still running when its request went away, before the limit, is logged as such when it ends,
// not as having outlived the timeout.
func TestLateHandlerAfterCancelledRequest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		log, lines := logBuffer()
		h := NewHandler(WithTimeout(time.Minute), WithLogger(log))
		release := make(chan struct{})
		h.On("*", func(ctx context.Context, ev *Event) error { <-release; return nil })
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- h.Handle(ctx, &Event{ID: "C1", Type: events.PolicyChangeIssue}) }()
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
			t.Fatalf("Handle = %v, want the request's cancellation, not a timeout", err)
		}
		close(release)
		synctest.Wait()
		var msgs []string
		for _, l := range lines() {
			if l["event_id"] == "C1" && l["level"] == "WARN" {
				msgs = append(msgs, fmt.Sprint(l["msg"]))
			}
		}
		if len(msgs) != 1 || !strings.Contains(msgs[0], "after the caller stopped waiting: context canceled") {
			t.Errorf("late logs %q, want one saying the caller stopped waiting", msgs)
		}
	})
}

// Regression: a function fanning an event out to two Handlers returned errors.Join of their results; once
// the first had processed the event, its ErrDuplicate in the joined error made every redelivery 200 and a
// duplicate, though the second kept failing: the event was lost to it.
func TestFunctionErrorWrappingDuplicateFails(t *testing.T) {
	t.Parallel()
	billing, crm := NewHandler(), NewHandler()
	billing.On("*", func(context.Context, *Event) error { return nil })
	var crmRuns atomic.Int32
	crm.On("*", func(context.Context, *Event) error { crmRuns.Add(1); return errors.New("crm down") })
	rec := &obsRecorder{}
	front := NewHandler(WithDeduper(nil), WithObserver(rec))
	front.On("*", func(ctx context.Context, ev *Event) error {
		return errors.Join(billing.Handle(ctx, ev), crm.Handle(ctx, ev))
	})
	for i := range 3 {
		if code := postSigned(t, front, delivery("F1", events.PolicyChangeIssue)); code != 500 {
			t.Errorf("delivery %d: status %d, want 500 (crm failed)", i+1, code)
		}
		d := rec.last()
		if d.Outcome != OutcomeFailed || d.Status != 500 {
			t.Errorf("delivery %d: observed %q, %d; want failed, 500", i+1, d.Outcome, d.Status)
		}
		if errors.Is(d.Err, ErrDuplicate) != (i > 0) { // what the function returned stays visible to callers
			t.Errorf("delivery %d: errors.Is(%v, ErrDuplicate) = %t, want %t", i+1, d.Err, !(i > 0), i > 0)
		}
	}
	if s := front.Stats(); s.Failures != 3 || s.Duplicates != 0 || s.Handled != 0 || crmRuns.Load() != 3 {
		t.Errorf("stats %+v, crm ran %d times; want 3 failures, 3 runs", s, crmRuns.Load())
	}
}

// Every error a function or the fallback returns is a failure (500) and releases the claim, whichever of
// the Handler's sentinels it wraps.
func TestFunctionErrorWrappingSentinelsFails(t *testing.T) {
	t.Parallel()
	wrapped := []error{ErrDuplicate, ErrInProgress, ErrTimeout, ErrDedupe, ErrTooOld, ErrInvalidDelivery, context.Canceled}
	var runs atomic.Int32
	fn := func(ctx context.Context, ev *Event) error {
		runs.Add(1)
		var i int
		fmt.Sscan(strings.TrimPrefix(ev.ID, "S"), &i)
		return fmt.Errorf("downstream: %w", wrapped[i])
	}
	h := NewHandler(WithFallback(fn))
	h.On("policy.*", fn)
	for i, target := range wrapped {
		for _, typ := range []events.Name{events.PolicyChangeIssue, "tenant.custom"} { // a route, the fallback
			for range 2 { // the redelivery runs again
				if code := postSigned(t, h, delivery(fmt.Sprint("S", i), typ)); code != 500 {
					t.Errorf("%s wrapping %v: status %d, want 500", typ, target, code)
				}
			}
		}
	}
	if n, s := 4*len(wrapped), h.Stats(); runs.Load() != int32(n) || s.Failures != uint64(n) || s.Duplicates != 0 {
		t.Errorf("%d runs, stats %+v; want %d runs and failures, no duplicates", runs.Load(), s, n)
	}
}

// slowStore answers every Claim with c after delay, ignoring ctx, or with ctx's error when fail is set.
type slowStore struct {
	c     Claim
	delay time.Duration
	fail  bool
}

func (s slowStore) Claim(ctx context.Context, _ string) (Claim, error) {
	if s.fail {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	time.Sleep(s.delay)
	return s.c, nil
}
func (slowStore) Complete(context.Context, string) error { return nil }
func (slowStore) Release(context.Context, string) error  { return nil }

// Regression: under WithTimeout, an event processed already (or in progress) whose claim answered after
// the limit was answered 503 and counted a failure; the limit bounds the functions, not the claim's answer.
func TestSlowClaimKeepsItsStatusUnderTimeout(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		store   slowStore
		status  int
		outcome Outcome
	}{
		{slowStore{c: Done, delay: 60 * time.Millisecond}, 200, OutcomeDuplicate},
		{slowStore{c: InProgress, delay: 60 * time.Millisecond}, 409, OutcomeInProgress},
		{slowStore{fail: true}, 503, OutcomeTimedOut}, // a store that fails at the limit: as before
	} {
		rec := &obsRecorder{}
		h := NewHandler(WithDeduper(tt.store), WithTimeout(10*time.Millisecond), WithObserver(rec))
		h.On("*", func(context.Context, *Event) error { t.Error("a function ran"); return nil })
		code := postSigned(t, h, delivery("D1", events.PolicyChangeIssue))
		if d := rec.last(); code != tt.status || d.Outcome != tt.outcome {
			t.Errorf("claim %v (fail %t): status %d, outcome %q (%v); want %d, %q", tt.store.c, tt.store.fail, code, d.Outcome, d.Err, tt.status, tt.outcome)
		}
		if s := h.Stats(); (s.Failures == 1) != (tt.status == 503) {
			t.Errorf("claim %v (fail %t): stats %+v", tt.store.c, tt.store.fail, s)
		}
	}
}
