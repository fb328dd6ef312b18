package demo

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/socotra-go/sdk/hmac"
)

// Main runs a program's run function with a context that ends on an interrupt or SIGTERM, printing to
// stdout. When run fails, it prints "name: error" to stderr and exits with status 1.
func Main(name string, run func(ctx context.Context, stdout io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// PostSigned posts body to url as a webhook delivery signed with secret (the Socotra-Signature header
// of [hmac.NewSignedRequest]) and returns the status of the answer.
func PostSigned(ctx context.Context, url string, body, secret []byte) (int, error) {
	req, err := hmac.NewSignedRequest(http.MethodPost, url, body, secret)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Serve starts h on a free port of 127.0.0.1 and returns its base URL, such as http://127.0.0.1:41234,
// and a function that shuts the server down, waiting up to five seconds for requests in progress.
func Serve(h http.Handler) (baseURL string, shutdown func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	Limit(srv)
	go srv.Serve(ln) //nolint:errcheck // returns http.ErrServerClosed after Shutdown
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// Limit sets the time and header limits a server receiving webhooks needs before a request is
// authenticated (see package webhooks, "Serving"), unless srv sets them already.
func Limit(srv *http.Server) {
	if srv.ReadHeaderTimeout == 0 {
		srv.ReadHeaderTimeout = 5 * time.Second
	}
	if srv.ReadTimeout == 0 {
		srv.ReadTimeout = 30 * time.Second
	}
	if srv.IdleTimeout == 0 {
		srv.IdleTimeout = 60 * time.Second
	}
	if srv.MaxHeaderBytes == 0 {
		srv.MaxHeaderBytes = 64 << 10
	}
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
