package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
)

const legacyAlert = `{"actualStatus":"500","expectedStatus":"2xx","url":"https://app.example/socotra","webhookName":"claims",` +
	`"eventData":` + legacyBody + `}`

// TestObserverOutcomes sends one delivery of each outcome through a receiver and checks what the
// Observer saw at its end, and that the functions saw the context the Observer returned.
func TestObserverOutcomes(t *testing.T) {
	t.Parallel()
	rec := &obsRecorder{}
	// Only the timed-out delivery goes to a Handler with a short limit: on a loaded machine a limit that
	// short could also cut off the deliveries that must succeed.
	h := NewHandler(WithObserver(rec), WithTimeout(time.Minute))
	h.On("policy.quote.*", func(ctx context.Context, ev *Event) error {
		if ctx.Value(observedKey{}) != "observed" {
			return errors.New("the function did not get the Observer's context")
		}
		return nil
	})
	h.On("claim.fnol.*", func(ctx context.Context, ev *Event) error { return errors.New("claims system down") })
	short := NewHandler(WithObserver(rec), WithTimeout(50*time.Millisecond))
	short.On("policy.cancellation.issue", func(ctx context.Context, ev *Event) error {
		<-ctx.Done()
		return ctx.Err()
	})
	srv, slow := httptest.NewServer(mustReceiver(t, h)), httptest.NewServer(mustReceiver(t, short))
	defer srv.Close()
	defer slow.Close()

	tests := []struct {
		name    string
		body    string
		key     []byte
		status  int
		outcome Outcome
		typ     events.Name
		err     bool
	}{
		{"handled", coreBody, secret, 200, OutcomeHandled, events.PolicyQuoteIssue, false},
		{"duplicate", coreBody, secret, 200, OutcomeDuplicate, events.PolicyQuoteIssue, true},
		{"unmatched", legacyBody, secret, 200, OutcomeUnmatched, events.PolicyIssue, false},
		{"failed", delivery("c1", events.ClaimFnolCreate), secret, 500, OutcomeFailed, events.ClaimFnolCreate, true},
		{"timed out", delivery("p1", events.PolicyCancellationIssue), secret, 503, OutcomeTimedOut, events.PolicyCancellationIssue, true},
		{"refused signature", coreBody, []byte("wrong"), 401, OutcomeRefused, "", false},
		{"refused body", `{"locator":"x"}`, secret, 400, OutcomeRefused, "", true},
		{"alert", legacyAlert, secret, 200, OutcomeAlert, events.PolicyIssue, false},
	}
	for i, tt := range tests { // in order: the duplicate follows the first delivery
		to := srv
		if tt.outcome == OutcomeTimedOut {
			to = slow
		}
		r, err := hmac.NewSignedRequest(http.MethodPost, to.URL, []byte(tt.body), tt.key)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := to.Client().Do(r.WithContext(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if n := rec.count(); n != i+1 {
			t.Fatalf("%s: %d deliveries observed, want %d", tt.name, n, i+1)
		}
		d := rec.last()
		if resp.StatusCode != tt.status || d.Status != tt.status || d.Outcome != tt.outcome || d.Type() != tt.typ || (d.Err != nil) != tt.err {
			t.Errorf("%s: answered %d; observed status %d, outcome %q, type %q, err %v; want %d, %q, %q, error %t",
				tt.name, resp.StatusCode, d.Status, d.Outcome, d.Type(), d.Err, tt.status, tt.outcome, tt.typ, tt.err)
		}
		if d.Request == nil || d.Duration <= 0 {
			t.Errorf("%s: observed request %v, duration %v; want the request and a positive duration", tt.name, d.Request, d.Duration)
		}
	}
}

func mustReceiver(t *testing.T, h *Handler) http.Handler {
	t.Helper()
	recv, err := NewSecretReceiver(secret, h)
	if err != nil {
		t.Fatal(err)
	}
	return recv
}

// TestObserverHandle checks that events given to Handle directly are observed too, without a request.
func TestObserverHandle(t *testing.T) {
	t.Parallel()
	rec := &obsRecorder{}
	h := NewHandler(WithObserver(rec))
	h.On("*", func(context.Context, *Event) error { return nil })
	ev := mustParse(t, coreBody)
	for _, want := range []Outcome{OutcomeHandled, OutcomeDuplicate} {
		_ = h.Handle(t.Context(), ev)
		if d := rec.last(); d.Outcome != want || d.Event != ev || d.Request != nil || d.Status != 0 {
			t.Errorf("observed outcome %q, event %p, request %v, status %d; want %q, %p, nil, 0", d.Outcome, d.Event, d.Request, d.Status, want, ev)
		}
	}
}

// TestObserverBareHandler checks a Handler served without a receiver: refused unless the app opted out.
func TestObserverBareHandler(t *testing.T) {
	t.Parallel()
	rec := &obsRecorder{}
	closed := NewHandler(WithObserver(rec))
	w := httptest.NewRecorder()
	closed.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", strings.NewReader(coreBody)))
	if d := rec.last(); w.Code != 401 || d.Outcome != OutcomeRefused || d.Status != 401 {
		t.Errorf("without InsecureAcceptUnverified: answered %d, observed %q %d; want 401, refused", w.Code, d.Outcome, d.Status)
	}
	h := NewHandler(WithObserver(rec), WithMaxBodyBytes(64), InsecureAcceptUnverified())
	for _, tt := range []struct {
		method, body string
		status       int
		outcome      Outcome
	}{
		{http.MethodGet, "", 405, OutcomeRefused},
		{http.MethodPost, coreBody, 413, OutcomeRefused},
		{http.MethodPost, `{"locator":"a","timestamp":"2026-11-23T18:04:05Z","type":"x.y"}`, 200, OutcomeUnmatched},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), tt.method, "/", strings.NewReader(tt.body)))
		if d := rec.last(); w.Code != tt.status || d.Outcome != tt.outcome || d.Status != tt.status {
			t.Errorf("%s %q: answered %d, observed %q %d; want %d, %q", tt.method, tt.body, w.Code, d.Outcome, d.Status, tt.status, tt.outcome)
		}
	}
	if s := h.Stats(); s.TooLarge != 1 || s.Rejected != 2 {
		t.Errorf("too large %d, rejected %d; want 1, 2", s.TooLarge, s.Rejected)
	}
}
