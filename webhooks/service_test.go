package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socotra-go/sdk/hmac"
)

type tenantKey struct{}

// tenancy is ordinary middleware: it refuses requests without X-Tenant and puts the tenant in the context.
func tenancy(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := r.Header.Get("X-Tenant")
		if t == "" {
			http.Error(w, "no tenant", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tenantKey{}, t)))
	})
}

// TestReceiverBehindMiddleware mounts the receiver behind middleware: the functions see the value the
// middleware put in the context and the delivery's headers, with and without a timeout and an Observer.
func TestReceiverBehindMiddleware(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts []Option
	}{
		{"plain", nil},
		{"timeout", []Option{WithTimeout(time.Minute)}},
		{"observer", []Option{WithObserver(&obsRecorder{})}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := NewHandler(tt.opts...)
			type seen struct{ tenant, header, sig string }
			got := make(chan seen, 1)
			h.On("*", func(ctx context.Context, ev *Event) error {
				tenant, _ := ctx.Value(tenantKey{}).(string)
				got <- seen{tenant, ev.Header.Get("X-Tenant"), ev.Header.Get(hmac.HeaderName)}
				return nil
			})
			recv, err := NewSecretReceiver(secret, h)
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			mux.Handle("POST /socotra", tenancy(recv))
			srv := httptest.NewServer(mux)
			defer srv.Close()
			r, err := hmac.NewSignedRequest(http.MethodPost, srv.URL+"/socotra", []byte(coreBody), secret)
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("X-Tenant", "acme")
			resp, err := srv.Client().Do(r.WithContext(t.Context()))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			s := <-got
			if s.tenant != "acme" || s.header != "acme" || s.sig != hmac.Sign(secret, []byte(coreBody)) {
				t.Errorf("handler saw tenant %q, header %q, signature %q; want the middleware's value and the request's headers", s.tenant, s.header, s.sig)
			}
		})
	}
}

func TestHandleEventHasNoHeader(t *testing.T) {
	t.Parallel()
	h := NewHandler()
	h.On("*", func(ctx context.Context, ev *Event) error {
		if ev.Header != nil {
			t.Errorf("Header = %v for an event given to Handle; want nil", ev.Header)
		}
		return nil
	})
	if err := h.Handle(t.Context(), mustParse(t, coreBody)); err != nil {
		t.Fatal(err)
	}
}

// TestReceiverLogsThroughOneLogger checks that the Handler's logger records every refusal, parse failure
// and handler error of a receiver, and that Stats counts refusals.
func TestReceiverLogsThroughOneLogger(t *testing.T) {
	t.Parallel()
	for _, secretReceiver := range []bool{true, false} {
		name := "NewReceiver"
		if secretReceiver {
			name = "NewSecretReceiver"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			log, lines := logBuffer()
			h := NewHandler(WithLogger(log))
			h.On("*", func(ctx context.Context, ev *Event) error { return errors.New("downstream unavailable") })
			var recv http.Handler
			if secretReceiver {
				var err error
				if recv, err = NewSecretReceiver(secret, h, hmac.WithMaxBodyBytes(1024)); err != nil {
					t.Fatal(err)
				}
			} else {
				v, err := hmac.NewVerifier(secret, hmac.WithMaxBodyBytes(1024))
				if err != nil {
					t.Fatal(err)
				}
				recv = NewReceiver(v, h)
			}
			srv := httptest.NewServer(recv)
			defer srv.Close()
			send := func(body string, key []byte) int {
				t.Helper()
				r, err := hmac.NewSignedRequest(http.MethodPost, srv.URL, []byte(body), key)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := srv.Client().Do(r.WithContext(t.Context()))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			codes := []int{
				send(coreBody, []byte("wrong secret")),
				send(`{"locator":"A"}`, secret),
				send(coreBody, secret),
				send(`{"locator":"`+strings.Repeat("x", 2000)+`"}`, secret),
			}
			if want := []int{401, 400, 500, 413}; !slices.Equal(codes, want) {
				t.Errorf("statuses %v, want %v", codes, want)
			}
			msgs := map[string]int{}
			for _, l := range lines() {
				if l["level"] == "WARN" || l["level"] == "ERROR" {
					msgs[l["msg"].(string)]++
				}
			}
			refusal := "webhooks: request refused"
			if secretReceiver {
				refusal = "hmac: request refused" // the verifier logs the detail through the same logger
			}
			for _, m := range []string{refusal, "webhooks: delivery rejected", "webhooks: event failed"} {
				if msgs[m] == 0 {
					t.Errorf("no %q in the log; got %v", m, msgs)
				}
			}
			if msgs[refusal] != 2 {
				t.Errorf("%d lines %q, want 2 (one per refusal): %v", msgs[refusal], refusal, msgs)
			}
			s := h.Stats()
			if s.Refused != 1 || s.TooLarge != 1 || s.Rejected != 3 || s.Failures != 1 {
				t.Errorf("stats refused %d, too large %d, rejected %d, failures %d; want 1, 1, 3, 1", s.Refused, s.TooLarge, s.Rejected, s.Failures)
			}
		})
	}
}

func TestReceiverCountsWithoutLogger(t *testing.T) {
	t.Parallel()
	// Without WithLogger nothing is logged, and refusals are still counted.
	h := NewHandler()
	recv, err := NewSecretReceiver(secret, h)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	recv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(coreBody)))
	if w.Code != http.StatusUnauthorized || h.Stats().Refused != 1 {
		t.Errorf("status %d, refused %d; want 401 and 1", w.Code, h.Stats().Refused)
	}
}

// obsRecorder is an Observer that keeps what it saw.
type obsRecorder struct {
	mu   sync.Mutex
	ends []DeliveryInfo
}

type observedKey struct{}

func (r *obsRecorder) Start(ctx context.Context, d *DeliveryInfo) context.Context {
	if d.Outcome != "" || d.Duration != 0 {
		panic("Start saw a finished delivery")
	}
	return context.WithValue(ctx, observedKey{}, "observed")
}

func (r *obsRecorder) End(ctx context.Context, d *DeliveryInfo) {
	if ctx.Value(observedKey{}) != "observed" {
		panic("End did not get the context Start returned")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ends = append(r.ends, *d)
}

func (r *obsRecorder) last() DeliveryInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ends) == 0 {
		return DeliveryInfo{}
	}
	return r.ends[len(r.ends)-1]
}

func (r *obsRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ends)
}
