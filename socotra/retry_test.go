package socotra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// retryCase runs fn against handler inside a synctest bubble, with the
// client retrying up to 4 attempts between 1s and 10s.
func retryBubble(t *testing.T, handler http.HandlerFunc, failDials int, fn func(ctx context.Context, c *CoreClient)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		hc, p, stop := serve(handler)
		defer stop()
		p.failDial = failDials
		c, err := NewCoreClient("http://tenant.test", testTenant, testToken, WithHTTPClient(hc), WithRetry(4, time.Second, 10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		fn(t.Context(), c)
	})
}

func hijackClose(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	okWebhook := reply(200, webhookJSON)
	t.Run("429 honours Retry-After", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", "7")
				reply(429, `{"message":"slow down"}`)(w, r)
				return
			}
			okWebhook(w, r)
		}, 0, func(ctx context.Context, c *CoreClient) {
			start := time.Now()
			if _, err := c.Webhook(ctx, whLoc); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d != 7*time.Second || n.Load() != 2 {
				t.Errorf("waited %v over %d attempts; want exactly 7s over 2", d, n.Load())
			}
		})
	})
	t.Run("503 backs off exponentially with jitter", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		var gaps []time.Duration
		last := time.Time{}
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			if !last.IsZero() {
				gaps = append(gaps, time.Since(last))
			}
			last = time.Now()
			if n.Add(1) < 4 {
				reply(503, `{"message":"busy"}`)(w, r)
				return
			}
			okWebhook(w, r)
		}, 0, func(ctx context.Context, c *CoreClient) {
			if _, err := c.Webhook(ctx, whLoc); err != nil {
				t.Fatal(err)
			}
			if len(gaps) != 3 {
				t.Fatalf("gaps = %v", gaps)
			}
			for i, g := range gaps {
				hi := time.Second << i
				if g < hi/2 || g > hi {
					t.Errorf("wait %d = %v, want within [%v, %v]", i, g, hi/2, hi)
				}
			}
		})
	})
	t.Run("last response is the error", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			reply(503, fmt.Sprintf(`{"message":"busy %d"}`, n.Add(1)))(w, r)
		}, 0, func(ctx context.Context, c *CoreClient) {
			_, err := c.Webhook(ctx, whLoc)
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != 503 || ae.Message != "busy 4" || !errors.Is(err, ErrServer) {
				t.Errorf("err = %v; want the 4th 503 as an APIError", err)
			}
		})
	})
	t.Run("connection reset on GET is retried", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				hijackClose(w)
				return
			}
			okWebhook(w, r)
		}, 0, func(ctx context.Context, c *CoreClient) {
			if _, err := c.Webhook(ctx, whLoc); err != nil || n.Load() != 2 {
				t.Errorf("err = %v after %d attempts", err, n.Load())
			}
		})
	})
	t.Run("POST not retried after the server saw it", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			hijackClose(w)
		}, 0, func(ctx context.Context, c *CoreClient) {
			err := c.ResendDivertedEvent(ctx, whLoc, "01HZX3K7Q8R9S0T1V2W3X4Y5E1")
			if err == nil || n.Load() != 1 {
				t.Errorf("err = %v after %d attempts; want a failure after 1", err, n.Load())
			}
		})
	})
	t.Run("POST retried when the connection failed before sending", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			reply(200, `{}`)(w, r)
		}, 2, func(ctx context.Context, c *CoreClient) {
			if err := c.ResendDivertedEvent(ctx, whLoc, "01HZX3K7Q8R9S0T1V2W3X4Y5E1"); err != nil || n.Load() != 1 {
				t.Errorf("err = %v; server saw %d POSTs, want 1", err, n.Load())
			}
		})
	})
	t.Run("POST not retried on 503", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			reply(503, `{}`)(w, r)
		}, 0, func(ctx context.Context, c *CoreClient) {
			if err := c.ResendDivertedEvent(ctx, whLoc, "01HZX3K7Q8R9S0T1V2W3X4Y5E1"); !errors.Is(err, ErrServer) || n.Load() != 1 {
				t.Errorf("err = %v after %d attempts", err, n.Load())
			}
		})
	})
	t.Run("PATCH and PUT and DELETE are retried", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1)%2 == 1 {
				reply(502, `{}`)(w, r)
				return
			}
			okWebhook(w, r)
		}, 0, func(ctx context.Context, c *CoreClient) {
			_, err1 := c.UpdateWebhook(ctx, whLoc, WebhookUpdate{Enabled: ptr(true)}) // a GET, then the PATCH
			err2 := c.DeleteWebhook(ctx, whLoc)
			if err1 != nil || err2 != nil || n.Load() != 6 {
				t.Errorf("errs = %v, %v after %d attempts", err1, err2, n.Load())
			}
		})
	})
	t.Run("4xx not retried", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			reply(400, `{"message":"bad"}`)(w, r)
		}, 0, func(ctx context.Context, c *CoreClient) {
			if _, err := c.Webhook(ctx, whLoc); err == nil || n.Load() != 1 {
				t.Errorf("err = %v after %d attempts", err, n.Load())
			}
		})
	})
	t.Run("Retry-After beyond the limit stops", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.Header().Set("Retry-After", "300")
			reply(429, `{}`)(w, r)
		}, 0, func(ctx context.Context, c *CoreClient) {
			_, err := c.Webhook(ctx, whLoc)
			var ae *APIError
			if !errors.Is(err, ErrRateLimited) || !errors.As(err, &ae) || ae.RetryAfter != 5*time.Minute || n.Load() != 1 {
				t.Errorf("err = %v after %d attempts", err, n.Load())
			}
		})
	})
	t.Run("Retry-After of centuries stops instead of wrapping to a short wait", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int32
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			w.Header().Set("Retry-After", "18446744074") // ×1e9 ns wraps to 0.29 s
			reply(503, `{}`)(w, r)
		}, 0, func(ctx context.Context, c *CoreClient) {
			_, err := c.Webhook(ctx, whLoc)
			var ae *APIError
			if !errors.As(err, &ae) || ae.RetryAfter != maxRetryAfterHeader || n.Load() != 1 {
				t.Errorf("err = %v after %d attempts; want one attempt and RetryAfter of a year", err, n.Load())
			}
		})
	})
	t.Run("WithMaxRetryAfter lowers the limit", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			var n atomic.Int32
			hc, _, stop := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				w.Header().Set("Retry-After", "30")
				reply(503, `{}`)(w, r)
			}))
			defer stop()
			c, _ := NewCoreClient("http://tenant.test", testTenant, testToken, WithHTTPClient(hc), WithMaxRetryAfter(10*time.Second))
			_, err := c.Webhook(t.Context(), whLoc)
			var ae *APIError
			if !errors.As(err, &ae) || ae.RetryAfter != 30*time.Second || n.Load() != 1 {
				t.Errorf("err = %v after %d attempts; want the 503 at once", err, n.Load())
			}
		})
	})
	t.Run("cancel stops the wait", func(t *testing.T) {
		t.Parallel()
		retryBubble(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			reply(503, `{}`)(w, r)
		}, 0, func(ctx context.Context, c *CoreClient) {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(time.Second, cancel)
			start := time.Now()
			_, err := c.Webhook(ctx, whLoc)
			if !errors.Is(err, context.Canceled) || time.Since(start) != time.Second {
				t.Errorf("err = %v after %v; want context.Canceled after 1s", err, time.Since(start))
			}
		})
	})
	t.Run("retries off", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			var n atomic.Int32
			hc, _, stop := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				reply(503, `{}`)(w, r)
			}))
			defer stop()
			c, _ := NewCoreClient("http://tenant.test", testTenant, testToken, WithHTTPClient(hc), WithRetry(1, 0, 0))
			if _, err := c.Webhook(t.Context(), whLoc); !errors.Is(err, ErrServer) || n.Load() != 1 {
				t.Errorf("err = %v after %d attempts", err, n.Load())
			}
		})
	})
}
