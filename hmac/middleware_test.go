package hmac

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncWriter lets parallel handlers log into one builder.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(&syncWriter{w: w}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// recordingHandler records what the protected handler saw.
type recordingHandler struct {
	ran      bool
	body     []byte
	verified []byte
	tag      string
}

func (h *recordingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.ran = true
	h.body, _ = io.ReadAll(r.Body)
	h.verified, _ = VerifiedBody(r.Context())
	h.tag, _ = VerifiedKeyTag(r.Context())
	w.WriteHeader(http.StatusNoContent)
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), 2048)
	signed := func(body []byte) http.Header { return http.Header{HeaderName: {Sign(testSecret, body)}} }
	tests := []struct {
		name       string
		method     string
		body       []byte
		header     http.Header
		chunked    bool // unknown Content-Length
		opts       []Option
		wantStatus int
		wantLog    []string
	}{
		{name: "valid", method: http.MethodPost, body: testBody, header: signed(testBody), wantStatus: 204},
		{name: "valid empty body", method: http.MethodPost, body: nil, header: signed(nil), wantStatus: 204},
		{name: "valid chunked", method: http.MethodPost, body: big, header: signed(big), chunked: true, wantStatus: 204},
		{name: "missing", method: http.MethodPost, body: testBody, header: http.Header{}, wantStatus: 401,
			wantLog: []string{"missing Socotra-Signature", "header_lines=0", "keys_tried=[(untagged)]"}},
		{name: "invalid hex", method: http.MethodPost, body: testBody, header: signed([]byte("other")), wantStatus: 401,
			wantLog: []string{"reason=\"hmac: invalid signature\"", "signatures=[hex/64]", "body_len=" + itoa(len(testBody)), "content_length=" + itoa(len(testBody))}},
		{name: "truncated base64 with prefix", method: http.MethodPost, body: testBody,
			header:     http.Header{HeaderName: {"sha256=" + base64.StdEncoding.EncodeToString([]byte("short"))}},
			wantStatus: 401, wantLog: []string{"malformed", "sha256=base64/8"}},
		{name: "too large by Content-Length", method: http.MethodPost, body: big, header: signed(big),
			opts: []Option{WithMaxBodyBytes(1024)}, wantStatus: 413, wantLog: []string{"too large", "content_length=2048", "max_body_bytes=1024"}},
		{name: "too large chunked", method: http.MethodPost, body: big, header: signed(big), chunked: true,
			opts: []Option{WithMaxBodyBytes(1024)}, wantStatus: 413, wantLog: []string{"too large", "content_length=-1"}},
		{name: "exactly the limit", method: http.MethodPost, body: big, header: signed(big), chunked: true,
			opts: []Option{WithMaxBodyBytes(2048)}, wantStatus: 204},
		{name: "GET refused", method: http.MethodGet, header: signed(nil), wantStatus: 405, wantLog: []string{"method=GET"}},
		{name: "PUT allowed by option", method: http.MethodPut, body: testBody, header: signed(testBody),
			opts: []Option{WithMethods(http.MethodPost, http.MethodPut)}, wantStatus: 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs strings.Builder
			v := mustVerifier(t, testSecret, append([]Option{WithLogger(newTestLogger(&logs))}, tt.opts...)...)
			next := &recordingHandler{}
			var body io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length
			}
			r := httptest.NewRequestWithContext(t.Context(), tt.method, "/hooks/socotra", body)
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			w := httptest.NewRecorder()
			v.Middleware(next).ServeHTTP(w, r)

			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d; logs: %s", w.Code, tt.wantStatus, logs.String())
			}
			if tt.wantStatus != 204 {
				if next.ran {
					t.Fatal("the next handler ran for a refused request")
				}
				if got, want := strings.TrimSpace(w.Body.String()), http.StatusText(tt.wantStatus); got != want {
					t.Errorf("body %q, want the generic %q", got, want)
				}
				for _, want := range tt.wantLog {
					if !strings.Contains(logs.String(), want) {
						t.Errorf("log lacks %q: %s", want, logs.String())
					}
				}
			} else {
				if !next.ran || !bytes.Equal(next.body, tt.body) || !bytes.Equal(next.verified, tt.body) {
					t.Fatalf("next handler: ran=%v body=%q verified=%q, want %q twice", next.ran, next.body, next.verified, tt.body)
				}
			}
			if tt.wantStatus == 405 && w.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", w.Header().Get("Allow"))
			}
			// Neither the response nor the log ever carries a MAC.
			for _, vs := range tt.header {
				for _, val := range vs {
					if strings.Contains(w.Body.String(), val) || strings.Contains(logs.String(), val) {
						t.Errorf("received MAC %q echoed", val)
					}
				}
			}
			if expected := Sign(testSecret, tt.body); strings.Contains(w.Body.String()+logs.String(), expected) {
				t.Error("expected MAC leaked into the response or the log")
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestMiddlewareOverHTTP delivers a signed request over a loopback server, as Socotra would.
func TestMiddlewareOverHTTP(t *testing.T) {
	t.Parallel()
	v, err := NewKeyringVerifier([]Key{{Secret: []byte("old"), Tag: "v1"}, {Secret: testSecret, Tag: "v2"}})
	if err != nil {
		t.Fatal(err)
	}
	next := &recordingHandler{}
	srv := httptest.NewServer(v.Middleware(next))
	defer srv.Close()

	req, err := NewSignedRequest(http.MethodPost, srv.URL+"/hook", testBody, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || !bytes.Equal(next.verified, testBody) || next.tag != "v2" {
		t.Fatalf("status %d, verified %q, tag %q; want 204, the body, v2", resp.StatusCode, next.verified, next.tag)
	}

	// A body larger than the limit is refused over the wire too.
	small, err := NewVerifier(testSecret, WithMaxBodyBytes(8))
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(small.Middleware(&recordingHandler{}))
	defer srv2.Close()
	req, _ = NewSignedRequest(http.MethodPost, srv2.URL, testBody, testSecret)
	resp, err = srv2.Client().Do(req.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

func TestSignRequest(t *testing.T) {
	t.Parallel()
	v := mustVerifier(t, testSecret)
	for name, r := range map[string]*http.Request{
		"with GetBody":    httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(testBody)),
		"without GetBody": httptest.NewRequest(http.MethodPost, "/", io.MultiReader(bytes.NewReader(testBody))),
	} {
		if name == "with GetBody" {
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(testBody)), nil }
		}
		if err := SignRequest(r, testSecret); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w := httptest.NewRecorder()
		next := &recordingHandler{}
		v.Middleware(next).ServeHTTP(w, r)
		if w.Code != http.StatusNoContent || !bytes.Equal(next.body, testBody) {
			t.Fatalf("%s: status %d, body %q", name, w.Code, next.body)
		}
	}
	if err := SignRequest(httptest.NewRequest(http.MethodPost, "/", nil), nil); err != ErrEmptySecret {
		t.Errorf("SignRequest(no secret) = %v, want ErrEmptySecret", err)
	}
	if _, err := NewSignedRequest(http.MethodPost, "/", testBody, nil); err != ErrEmptySecret {
		t.Errorf("NewSignedRequest(no secret) = %v, want ErrEmptySecret", err)
	}
	if _, err := NewSignedRequest("bad method", "/", testBody, testSecret); err == nil {
		t.Error("NewSignedRequest(bad method): want error")
	}
}

func TestVerifiedBodyAbsent(t *testing.T) {
	t.Parallel()
	if b, ok := VerifiedBody(t.Context()); ok || b != nil {
		t.Fatalf("VerifiedBody on a plain context = %q, %v", b, ok)
	}
	if _, ok := VerifiedKeyTag(t.Context()); ok {
		t.Fatal("VerifiedKeyTag on a plain context: ok")
	}
}

func TestMiddlewareKeepsParentContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	v := mustVerifier(t, testSecret)
	var got any
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Context().Value(key{}) }))
	r, _ := NewSignedRequest(http.MethodPost, "/", testBody, testSecret)
	h.ServeHTTP(httptest.NewRecorder(), r.WithContext(context.WithValue(t.Context(), key{}, "kept")))
	if got != "kept" {
		t.Fatalf("parent context value = %v, want kept", got)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestMiddlewareBodyReadError(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	v := mustVerifier(t, testSecret, WithLogger(newTestLogger(&logs)))
	next := &recordingHandler{}
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", io.MultiReader(failingReader{}))
	r.Header.Set(HeaderName, Sign(testSecret, nil))
	w := httptest.NewRecorder()
	v.Middleware(next).ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest || next.ran || !strings.Contains(logs.String(), "connection reset") {
		t.Fatalf("status %d, handler ran %v, logs %q; want 400, not run, the read error logged", w.Code, next.ran, logs.String())
	}
}

func TestMiddlewareInsecureAndDebugLog(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	v, err := NewVerifier(nil, InsecureSkipVerify(), WithLogger(newTestLogger(&logs)))
	if err != nil {
		t.Fatal(err)
	}
	next := &recordingHandler{}
	w := httptest.NewRecorder()
	v.Middleware(next).ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/x", strings.NewReader("unsigned")))
	if w.Code != http.StatusNoContent || string(next.verified) != "unsigned" {
		t.Fatalf("status %d, verified %q; want 204 and the body", w.Code, next.verified)
	}
	if !strings.Contains(logs.String(), "signature verified") || !strings.Contains(logs.String(), "body_len=8") {
		t.Fatalf("debug log missing: %q", logs.String())
	}
}

// panicReader fails the test if the middleware reads a body it should have refused unread.
type panicReader struct{ t *testing.T }

func (p panicReader) Read([]byte) (int, error) {
	p.t.Error("body read although the signature header is missing")
	return 0, io.EOF
}

func TestMiddlewareMissingHeaderSkipsBody(t *testing.T) {
	t.Parallel()
	v := mustVerifier(t, testSecret)
	w := httptest.NewRecorder()
	v.Middleware(&recordingHandler{}).ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", panicReader{t}))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", w.Code)
	}
}

func TestMiddlewareRotationAndCustomScheme(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	keys := []Key{{Secret: []byte("old"), Tag: "v1", NotAfter: t0}, {Secret: testSecret, Tag: "v2", NotBefore: t0.Add(-time.Hour)}}
	clock := func() time.Time { return t0 }
	for _, scheme := range []Scheme{DefaultScheme(), opaqueScheme{DefaultScheme()}} {
		v, err := NewKeyringVerifier(keys, WithClock(clock), WithScheme(scheme))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			secret string
			want   int
			tag    string
		}{{"old", 401, ""}, {string(testSecret), 204, "v2"}, {"wrong", 401, ""}} {
			next := &recordingHandler{}
			r, _ := NewSignedRequest(http.MethodPost, "/", testBody, []byte(c.secret))
			w := httptest.NewRecorder()
			v.Middleware(next).ServeHTTP(w, r.WithContext(t.Context()))
			if w.Code != c.want || next.tag != c.tag || next.ran != (c.want == 204) {
				t.Errorf("%T, signed with %q: status %d, tag %q, ran %v; want %d, %q", scheme, c.secret, w.Code, next.tag, next.ran, c.want, c.tag)
			}
		}
	}
	// A custom scheme's own refusal is a 401 too.
	v, err := NewVerifier(testSecret, WithScheme(failingScheme{opaqueScheme{DefaultScheme()}, errors.New("stale timestamp")}))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := NewSignedRequest(http.MethodPost, "/", testBody, testSecret)
	w := httptest.NewRecorder()
	v.Middleware(&recordingHandler{}).ServeHTTP(w, r.WithContext(t.Context()))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("failing scheme: status %d, want 401", w.Code)
	}
}

// TestMiddlewareAllocations checks that a verified request costs two allocations: the body, and one
// object that is at once the restored body, the new context and the request passed on.
func TestMiddlewareAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	v := mustVerifier(t, testSecret)
	var seen []byte
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = VerifiedBody(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	rd := bytes.NewReader(testBody)
	r := httptest.NewRequest(http.MethodPost, "/hook", rd)
	r.Header.Set(HeaderName, Sign(testSecret, testBody))
	r.Body = io.NopCloser(rd)
	w := &discardWriter{h: http.Header{}}
	serve := func() {
		rd.Reset(testBody)
		w.status = 0
		h.ServeHTTP(w, r)
	}
	serve() // warm the pools
	if n := testing.AllocsPerRun(100, serve); n > 2 {
		t.Errorf("Middleware allocates %.1f times per request, want at most 2", n)
	}
	if w.status != http.StatusNoContent || !bytes.Equal(seen, testBody) {
		t.Errorf("status %d, verified body %q; want 204 and the body", w.status, seen)
	}
}
