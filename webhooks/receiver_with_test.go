package webhooks

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/socotra-go/sdk/hmac"
)

type tenantCtxKey struct{}

// outcomes is an Observer that records each delivery's outcome and status.
type outcomes struct {
	mu  sync.Mutex
	got []string
}

func (o *outcomes) Start(ctx context.Context, _ *DeliveryInfo) context.Context { return ctx }

func (o *outcomes) End(_ context.Context, d *DeliveryInfo) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, string(d.Outcome)+" "+http.StatusText(d.Status))
}

func TestNewReceiverWith(t *testing.T) {
	t.Parallel()
	secret := []byte("receiver-with-secret")
	obs := &outcomes{}
	var mu sync.Mutex
	var handled []string
	h := NewHandler(WithObserver(obs), WithFallback(func(ctx context.Context, ev *Event) error {
		mu.Lock()
		defer mu.Unlock()
		tenant, _ := ctx.Value(tenantCtxKey{}).(string)
		handled = append(handled, ev.ID+"@"+tenant)
		return nil
	}))
	v, err := hmac.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	var mwCalls int
	rc := NewReceiverWith(v, h, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mwCalls++
			if _, ok := hmac.VerifiedBody(r.Context()); !ok {
				t.Error("the middleware ran without a verified body")
			}
			tenant := r.Header.Get("X-Tenant")
			if tenant == "" {
				http.Error(w, "no tenant", http.StatusServiceUnavailable)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantCtxKey{}, tenant)))
		})
	})
	body := []byte(`{"id":"e1","type":"policy.create","timestamp":1767225600000,"transactionId":"t","username":"u","data":{}}`)
	send := func(signed bool, tenant string) int {
		req := httptest.NewRequest(http.MethodPost, "/hooks", bytes.NewReader(body))
		if signed {
			if err := hmac.SignRequest(req, secret); err != nil {
				t.Fatal(err)
			}
		}
		if tenant != "" {
			req.Header.Set("X-Tenant", tenant)
		}
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := send(false, "acme"); code != http.StatusUnauthorized || mwCalls != 0 {
		t.Errorf("unsigned: %d after %d middleware calls; want 401 before the middleware", code, mwCalls)
	}
	if code := send(true, ""); code != http.StatusServiceUnavailable {
		t.Errorf("middleware answer: %d, want 503", code)
	}
	if code := send(true, "acme"); code != http.StatusOK {
		t.Errorf("signed: %d, want 200", code)
	}
	mu.Lock()
	if len(handled) != 1 || handled[0] != "e1@acme" {
		t.Errorf("handled %q, want e1 with the middleware's context value", handled)
	}
	mu.Unlock()
	if s := h.Stats(); s.Refused != 1 || s.Rejected != 1 || s.Handled != 1 {
		t.Errorf("Stats = %+v; want the signature refusal counted once, the middleware's answer not, one handled", s)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	want := []string{"refused Unauthorized", "refused Service Unavailable", "unmatched OK"}
	if len(obs.got) != len(want) {
		t.Fatalf("observer saw %q, want %q", obs.got, want)
	}
	for i := range want {
		if obs.got[i] != want[i] {
			t.Errorf("observer saw %q, want %q", obs.got, want)
			break
		}
	}
}

// BenchmarkReceiverWithRatio reports a delivery through NewReceiverWith with a middleware that adds one
// context value, as a multiple of the same delivery through NewReceiver (x-receiver), measured in
// alternating batches (allocs/op counts one delivery through each).
func BenchmarkReceiverWithRatio(b *testing.B) {
	const n = 4096
	rb, rbWith := newReceiverBench(n, 2<<10), newReceiverBench(n, 2<<10)
	plain, _ := newStack(b, n)
	v, err := hmac.NewVerifier(secret)
	if err != nil {
		b.Fatal(err)
	}
	h := NewHandler(WithDeduper(NewMemoryDeduper(time.Hour, idBytes(n/2))))
	h.On("billing.*", func(ctx context.Context, ev *Event) error { return nil })
	with := NewReceiverWith(v, h, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantCtxKey{}, "acme")))
		})
	})
	b.ReportAllocs()
	best := interleave(b, []func(){
		func() { rbWith.serve(with) },
		func() { rb.serve(plain) },
	})
	b.ReportMetric(best[0]/best[1], "x-receiver")
}
