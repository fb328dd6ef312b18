package socotratest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// BenchmarkDelivery compares one signed delivery through the fake tenant (emit, sign, POST, record,
// flush) with the floor of a bare POST of the same body to the same receiver.
func BenchmarkDelivery(b *testing.B) {
	var received atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		received.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer recv.Close()
	srv := socotratest.NewServer()
	defer srv.Close()
	if _, err := srv.AddCoreWebhook(recv.URL, "s3cret", events.PolicyChangeIssue); err != nil {
		b.Fatal(err)
	}
	data := map[string]string{"policyLocator": "01JPOLICY000000000000000000"}
	ctx := context.Background()

	b.Run("floor=post", func(b *testing.B) {
		em, err := srv.EmitCore(ctx, events.PolicyChangeIssue, data)
		if err != nil || len(em.Body) == 0 {
			b.Fatalf("emit: %v (body %q)", err, em.Body)
		}
		if err := srv.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		defer client.CloseIdleConnections()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := client.Post(recv.URL, "application/json", bytes.NewReader(em.Body))
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("emit+flush", func(b *testing.B) {
		b.ReportAllocs()
		before := received.Load()
		for b.Loop() {
			if _, err := srv.EmitCore(ctx, events.PolicyChangeIssue, data); err != nil {
				b.Fatal(err)
			}
			if err := srv.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if n := received.Load() - before; n != int64(b.N) {
			b.Fatalf("%d deliveries reached the receiver for %d emits", n, b.N)
		}
	})
}
