package webhooks

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
)

var secret = []byte("whsec-test-0123456789")

func TestReceiver(t *testing.T) {
	t.Parallel()
	h := NewHandler()
	var runs atomic.Int32
	var aliased atomic.Bool
	h.On("*", func(ctx context.Context, ev *Event) error {
		runs.Add(1)
		verified, _ := hmac.VerifiedBody(ctx)
		aliased.Store(len(verified) > 0 && &ev.Raw[0] == &verified[0])
		return nil
	})
	recv, err := NewSecretReceiver(secret, h)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(recv)
	defer srv.Close()

	signed := func(body string, key []byte) *http.Request {
		r, err := hmac.NewSignedRequest(http.MethodPost, srv.URL, []byte(body), key)
		if err != nil {
			t.Fatal(err)
		}
		return r.WithContext(t.Context())
	}
	unsigned, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, strings.NewReader(coreBody))
	get, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	tests := []struct {
		name string
		req  *http.Request
		want int
		runs int32
	}{
		{"signed", signed(coreBody, secret), 200, 1},
		{"signed duplicate", signed(coreBody, secret), 200, 1},
		{"signed legacy", signed(legacyBody, secret), 200, 2},
		{"unsigned", unsigned, 401, 2},
		{"wrong secret", signed(delivery("new", events.PolicyChangeIssue), []byte("other")), 401, 2},
		{"signed garbage", signed(`{"nope":1}`, secret), 400, 2},
		{"GET", get, 405, 2},
	}
	for _, tt := range tests { // in order: runs accumulate
		resp, err := srv.Client().Do(tt.req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want || runs.Load() != tt.runs {
			t.Errorf("%s: status %d, %d runs; want %d, %d", tt.name, resp.StatusCode, runs.Load(), tt.want, tt.runs)
		}
	}
	if !aliased.Load() {
		t.Error("the event does not alias the verified body: it was read or copied again")
	}
}

func TestNewReceiverArguments(t *testing.T) {
	t.Parallel()
	if _, err := NewSecretReceiver(nil, NewHandler()); !errors.Is(err, hmac.ErrEmptySecret) {
		t.Errorf("empty secret: %v, want hmac.ErrEmptySecret", err)
	}
	if _, err := NewSecretReceiver(secret, nil); err == nil {
		t.Error("nil handler accepted")
	}
	if _, err := NewSecretReceiver(secret, NewHandler(), hmac.WithMaxBodyBytes(-1)); err == nil {
		t.Error("invalid hmac option accepted")
	}
	defer func() {
		if recover() == nil {
			t.Error("NewReceiver(nil, h) did not panic")
		}
	}()
	NewReceiver(nil, NewHandler())
}

func TestReceiverKeyring(t *testing.T) {
	t.Parallel()
	v, err := hmac.NewKeyringVerifier([]hmac.Key{{Secret: []byte("old"), Tag: "v1"}, {Secret: []byte("new"), Tag: "v2"}})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler()
	h.On("*", func(context.Context, *Event) error { return nil })
	srv := httptest.NewServer(NewReceiver(v, h))
	defer srv.Close()
	for i, key := range []string{"old", "new"} {
		r, _ := hmac.NewSignedRequest(http.MethodPost, srv.URL, []byte(delivery(key, events.PolicyChangeIssue)), []byte(key))
		resp, err := srv.Client().Do(r.WithContext(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("key %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if s := h.Stats(); s.Handled != 2 {
		t.Errorf("handled %d, want 2", s.Handled)
	}
}

func TestReceiverTimeoutOverHTTP(t *testing.T) {
	t.Parallel()
	h := NewHandler(WithTimeout(50 * time.Millisecond))
	h.On("*", func(ctx context.Context, ev *Event) error {
		<-ctx.Done()
		return ctx.Err()
	})
	recv, _ := NewSecretReceiver(secret, h)
	srv := httptest.NewServer(recv)
	defer srv.Close()
	r, _ := hmac.NewSignedRequest(http.MethodPost, srv.URL, []byte(coreBody), secret)
	resp, err := srv.Client().Do(r.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", resp.StatusCode)
	}
}

// TestReceiverAllocations counts the allocations of one delivery through NewReceiver: the body, the
// verified request (which is also its context and body reader), the Event, and one string holding its id,
// request id and user. The deduper keeps a hash of the id, not a copy.
func TestReceiverAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	const n = 512
	rb := newReceiverBench(n, 2<<10)
	stack, h := newStack(t, n)
	for range n { // fill the deduper, so that each delivery also evicts an old id
		rb.serve(stack)
	}
	if allocs := testing.AllocsPerRun(n, func() { rb.serve(stack) }); allocs > 4 {
		t.Errorf("a delivery allocates %.1f times, want at most 4", allocs)
	}
	if s := h.Stats(); s.Handled < n || s.Duplicates != 0 {
		t.Errorf("stats %+v; want every delivery handled once", s)
	}
}

// TestSecretReceiverBodyLimit checks that the Handler's WithMaxBodyBytes reaches the verifier
// NewSecretReceiver builds, and that an hmac.WithMaxBodyBytes given to it wins.
func TestSecretReceiverBodyLimit(t *testing.T) {
	t.Parallel()
	body := delivery("a", "policy.change.issue")
	tests := []struct {
		name  string
		limit int64 // the Handler's
		hopts []hmac.Option
		want  int
	}{
		{"handler limit below the body", int64(len(body) - 1), nil, http.StatusRequestEntityTooLarge},
		{"handler limit fits", int64(len(body)), nil, http.StatusOK},
		{"hmac option wins", int64(len(body) - 1), []hmac.Option{hmac.WithMaxBodyBytes(int64(len(body)))}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := NewHandler(WithMaxBodyBytes(tt.limit))
			h.On("*", func(context.Context, *Event) error { return nil })
			recv, err := NewSecretReceiver(secret, h, tt.hopts...)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(recv)
			defer srv.Close()
			req, err := hmac.NewSignedRequest(http.MethodPost, srv.URL, []byte(body), secret)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// TestReceiverContextCarriesVerification checks that the functions a receiver runs get a context in which
// hmac.VerifiedBody finds the event's own bytes and hmac.VerifiedKeyTag the tag of the key that matched,
// along with the request's own values.
func TestReceiverContextCarriesVerification(t *testing.T) {
	t.Parallel()
	type ctxKey struct{}
	v, err := hmac.NewKeyringVerifier([]hmac.Key{{Secret: []byte("old"), Tag: "k1"}, {Secret: secret, Tag: "k2"}})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler()
	var tag, value string
	var same bool
	h.On("*", func(ctx context.Context, ev *Event) error {
		body, _ := hmac.VerifiedBody(ctx)
		same = len(body) > 0 && &body[0] == &ev.Raw[0]
		tag, _ = hmac.VerifiedKeyTag(ctx)
		value, _ = ctx.Value(ctxKey{}).(string)
		return nil
	})
	r, err := hmac.NewSignedRequest(http.MethodPost, "/hook", []byte(coreBody), secret)
	if err != nil {
		t.Fatal(err)
	}
	r = r.WithContext(context.WithValue(t.Context(), ctxKey{}, "from the server"))
	w := httptest.NewRecorder()
	NewReceiver(v, h).ServeHTTP(w, r)
	if w.Code != http.StatusOK || !same || tag != "k2" || value != "from the server" {
		t.Errorf("status %d; body aliased %v, key tag %q, request value %q; want 200, true, k2, from the server", w.Code, same, tag, value)
	}
}
