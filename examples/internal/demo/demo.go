// Package demo holds the plumbing the example programs share and that has nothing to teach about the
// SDK: a server on a free loopback port, and a writer that several goroutines may print to.
package demo

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Serve starts h on a free port of 127.0.0.1 and returns its base URL, such as http://127.0.0.1:41234,
// and a function that shuts the server down, waiting up to five seconds for requests in progress.
func Serve(h http.Handler) (baseURL string, shutdown func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // returns http.ErrServerClosed after Shutdown
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// SyncWriter serialises writes to W, so that handlers running on the servers' goroutines and the
// program itself can print to the same output without interleaving within a line.
type SyncWriter struct {
	mu sync.Mutex
	W  io.Writer
}

// Write writes p to W while holding the lock.
func (s *SyncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.W.Write(p)
}
