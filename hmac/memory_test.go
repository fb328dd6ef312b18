package hmac

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// firstRead is a request body that reports when the middleware first reads it (by then the old code had
// allocated its whole buffer).
type firstRead struct {
	io.ReadCloser
	once *sync.Once
	wg   *sync.WaitGroup
}

func (f firstRead) Read(p []byte) (int, error) {
	f.once.Do(f.wg.Done)
	return f.ReadCloser.Read(p)
}

// Regression: the middleware allocated Content-Length+1 bytes before checking the signature, so 64
// connections each sending ~150 bytes of a body announced as 1 MiB held 64 MiB of heap. The buffer now
// grows as bytes arrive. The heap is compared before and while the connections hang, with a wide margin
// (the old code needs 64 MiB, the new well under 8), so that a busy machine cannot make it flaky.
func TestSlowBodiesDoNotReserveContentLength(t *testing.T) {
	const conns, announced = 64, DefaultMaxBodyBytes
	v, err := NewVerifier([]byte("memory-test-secret-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	mw := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("a request with a bad signature got through")
	}))
	var reached sync.WaitGroup
	reached.Add(conns)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = firstRead{r.Body, new(sync.Once), &reached}
		mw.ServeHTTP(w, r)
	}))
	defer srv.Close()

	runtime.GC()
	var before, during runtime.MemStats
	runtime.ReadMemStats(&before)
	var answered atomic.Int32
	clients := make([]net.Conn, 0, conns)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range conns {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n%s: %064x\r\n\r\n", announced, HeaderName, 0)
		fmt.Fprintf(c, `{"locator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQP","type":"policy.create","data":{"pad":"%0100d"`, 0)
		go func() {
			if _, err := bufio.NewReader(c).ReadByte(); err == nil {
				answered.Add(1)
			}
		}()
	}
	waited := make(chan struct{})
	go func() { reached.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start reading every body within 30s")
	}
	runtime.GC()
	runtime.ReadMemStats(&during)
	grew := int64(during.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d connections announcing %d bytes and sending ~150: heap grew by %.1f MiB", conns, announced, float64(grew)/(1<<20))
	if limit := int64(8 << 20); grew > limit {
		t.Errorf("heap grew by %.1f MiB while %d connections hung before authentication; want under %d MiB",
			float64(grew)/(1<<20), conns, limit>>20)
	}
	if n := answered.Load(); n != 0 {
		t.Errorf("%d connections were answered before their body arrived", n)
	}
}

func TestReadBodyGrowsToTheBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		size      int
		announced int64 // -1 for none
		wantCap   int
	}{
		{"small announced", 2 << 10, 2 << 10, 2<<10 + 1},
		{"large announced", 100 << 10, 100 << 10, 100<<10 + 1},
		{"unannounced", 3000, -1, 4096},
		{"empty", 0, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := make([]byte, tc.size)
			for i := range body {
				body[i] = byte('a' + i%26)
			}
			r := httptest.NewRequest(http.MethodPost, "/", &onlyReader{body: body})
			r.ContentLength = tc.announced
			got, err := readBody(httptest.NewRecorder(), r, DefaultMaxBodyBytes)
			if err != nil || string(got) != string(body) {
				t.Fatalf("readBody = %d bytes, %v; want the %d-byte body", len(got), err, len(body))
			}
			if cap(got) != tc.wantCap {
				t.Errorf("buffer capacity %d, want %d", cap(got), tc.wantCap)
			}
		})
	}
	// Over the limit: refused, and the buffer never went far past it.
	r := httptest.NewRequest(http.MethodPost, "/", &onlyReader{body: make([]byte, 5000)})
	r.ContentLength = -1
	got, err := readBody(httptest.NewRecorder(), r, 1000)
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) || cap(got) > 2048 {
		t.Errorf("over the limit: %v with a %d-byte buffer; want a MaxBytesError within 2 KiB", err, cap(got))
	}
}

// onlyReader hides every method but Read, as a network body does.
type onlyReader struct {
	body []byte
	off  int
}

func (o *onlyReader) Read(p []byte) (int, error) {
	if o.off == len(o.body) {
		return 0, io.EOF
	}
	n := copy(p, o.body[o.off:])
	o.off += n
	return n, nil
}
