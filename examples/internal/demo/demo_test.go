package demo

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/socotra-go/sdk/hmac"
)

func TestServe(t *testing.T) {
	t.Parallel()
	base, shutdown, err := Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base URL %q is not on loopback", base)
	}
	resp, err := http.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hi" {
		t.Errorf("body %q, want hi", body)
	}
	shutdown()
	if _, err := http.Get(base); err == nil {
		t.Error("server still answers after shutdown")
	}
}

func TestSyncWriter(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	w := &SyncWriter{W: &b}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { io.WriteString(w, "line\n") })
	}
	wg.Wait()
	if got := strings.Count(b.String(), "line\n"); got != 50 || b.Len() != 250 {
		t.Errorf("got %d whole lines in %d bytes, want 50 in 250", got, b.Len())
	}
}

func TestPostSigned(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	v, err := hmac.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	base, shutdown, err := Serve(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = hmac.VerifiedBody(r.Context())
		w.WriteHeader(http.StatusAccepted)
	})))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown()
	body := []byte(`{"locator":"E1"}`)
	for _, tc := range []struct {
		name   string
		secret []byte
		want   int
	}{
		{"right secret", secret, http.StatusAccepted},
		{"wrong secret", []byte("guess"), http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, err := PostSigned(t.Context(), base, body, tc.secret)
			if err != nil || status != tc.want {
				t.Fatalf("PostSigned = %d, %v; want %d", status, err, tc.want)
			}
		})
	}
	if !bytes.Equal(got, body) {
		t.Errorf("the handler got %q, want %q", got, body)
	}
}
