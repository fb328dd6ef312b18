package socotra

import (
	"encoding/json"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const (
	testTenant = "6f1c2d3e-0a1b-4c5d-8e9f-001122334455"
	testToken  = "pat-9f8e7d6c5b4a"
)

// recorded is one request as the test server saw it.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
}

// recorder is an httptest server whose handlers are registered on a mux and
// whose every request is recorded.
type recorder struct {
	*httptest.Server
	Mux  *http.ServeMux
	mu   sync.Mutex
	reqs []recorded
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	rec := &recorder{Mux: http.NewServeMux()}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(b)})
		rec.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		rec.Mux.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) requests() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

func (rec *recorder) last(t *testing.T) recorded {
	t.Helper()
	r := rec.requests()
	if len(r) == 0 {
		t.Fatal("no request reached the server")
	}
	return r[len(r)-1]
}

// reply answers with status and v encoded as JSON.
func reply(status int, v any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if s, ok := v.(string); ok {
			io.WriteString(w, s)
			return
		}
		json.NewEncoder(w).Encode(v)
	}
}

func newTestCore(t *testing.T, rec *recorder, opts ...Option) *CoreClient {
	t.Helper()
	opts = append([]Option{WithRetry(1, 0, 0)}, opts...)
	c, err := NewCoreClient(rec.URL, testTenant, testToken, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func jsonDecode(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }

// listAll collects seq, stopping at its first error.
func listAll[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}
