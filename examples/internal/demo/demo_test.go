package demo

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
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
