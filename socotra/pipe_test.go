package socotra

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
)

// pipeNet is an in-memory network for tests inside a testing/synctest
// bubble: an http.Server accepts net.Pipe connections that an http.Transport
// dials, so retries and backoff run on the bubble's fake clock.
type pipeNet struct {
	conns    chan net.Conn
	done     chan struct{}
	once     sync.Once
	mu       sync.Mutex
	failDial int // dials left to refuse, as a connection refused before sending
	dials    int
}

func newPipeNet() *pipeNet {
	return &pipeNet{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (p *pipeNet) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.done:
		return nil, net.ErrClosed
	}
}

func (p *pipeNet) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

func (p *pipeNet) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

var errRefused = errors.New("connect: connection refused")

func (p *pipeNet) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	p.mu.Lock()
	p.dials++
	refuse := p.failDial > 0
	if refuse {
		p.failDial--
	}
	p.mu.Unlock()
	if refuse {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errRefused}
	}
	client, server := net.Pipe()
	select {
	case p.conns <- server:
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		return nil, net.ErrClosed
	}
}

// serve starts h on a pipeNet and returns a client for it and a stop
// function that must run before the bubble ends.
func serve(h http.Handler) (*http.Client, *pipeNet, func()) {
	p := newPipeNet()
	srv := &http.Server{Handler: h}
	go srv.Serve(p)
	tr := &http.Transport{DialContext: p.dial}
	return &http.Client{Transport: tr}, p, func() {
		srv.Close()
		tr.CloseIdleConnections()
	}
}
