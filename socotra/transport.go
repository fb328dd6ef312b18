package socotra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// maxBody bounds how much of any response the client reads.
const maxBody = 16 << 20

// transport is the HTTP stack under the generated clients: it authorises
// each request, retries what is safe to retry, renews a refused token once,
// and turns every answer outside 2xx into an [*APIError].
type transport struct {
	rc        *retryablehttp.Client
	logger    *slog.Logger
	userAgent string
	scheme    string      // Authorization prefix, "" for a bare token
	tokens    *tokenCache // nil: no Authorization header
	secrets   func() []string
	redactURL bool // log and report the path as "[REDACTED]" (state API keys)
}

func newTransport(s *settings, tokens *tokenCache, scheme string, secrets func() []string) *transport {
	t := &transport{logger: s.logger, userAgent: s.userAgent, scheme: scheme, tokens: tokens, secrets: secrets}
	t.rc = &retryablehttp.Client{
		HTTPClient:   withRedirectPolicy(s.httpClient),
		RetryWaitMin: s.minWait,
		RetryWaitMax: s.maxWait,
		RetryMax:     s.maxAttempts - 1,
		CheckRetry:   checkRetry(s.maxRetryAfter),
		Backoff:      backoff,
		ErrorHandler: func(resp *http.Response, err error, n int) (*http.Response, error) {
			if err != nil {
				return resp, fmt.Errorf("after %d attempt(s): %w", n, err)
			}
			return resp, nil // the last real response; Do turns it into an APIError
		},
		RequestLogHook: func(_ retryablehttp.Logger, r *http.Request, n int) {
			if n > 0 {
				t.logger.LogAttrs(r.Context(), slog.LevelDebug, "socotra: retrying request",
					slog.String("method", r.Method), slog.String("path", t.path(r)), slog.Int("attempt", n+1))
			}
		},
	}
	return t
}

func (t *transport) path(r *http.Request) string {
	if t.redactURL {
		return redacted
	}
	return r.URL.Path
}

// Do implements the generated clients' HttpRequestDoer.
func (t *transport) Do(req *http.Request) (*http.Response, error) {
	resp, err := t.exchange(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		e := newAPIError(resp, b, "", t.secretList(req.Context()))
		if t.redactURL {
			e.Path = redacted
		}
		return nil, e
	}
	return resp, nil
}

// exchange authorises req, sends it with the retry policy, renews a refused token once, and returns the
// last response whatever its status.
func (t *transport) exchange(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("socotra: %s %s: read request body: %w", req.Method, t.path(req), err)
		}
		// The credentials the body carries travel with the request, so that
		// every error built from its answer (here or in decode) scrubs them.
		if s := secretsIn(body); len(s) > 0 {
			ctx = withSecrets(ctx, s...)
			req = req.WithContext(ctx)
		}
	}
	tok := ""
	if t.tokens != nil {
		var err error
		if tok, err = t.tokens.get(ctx); err != nil {
			return nil, fmt.Errorf("socotra: %s %s: authenticate: %w", req.Method, t.path(req), err)
		}
	}
	start := time.Now()
	resp, err := t.send(req, body, tok)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && t.tokens != nil && t.tokens.fetch != nil {
		t.logDone(ctx, req, resp, start)
		fresh, rerr := t.tokens.renew(ctx, tok)
		switch {
		case rerr == nil:
			t.logger.LogAttrs(ctx, slog.LevelInfo, "socotra: token refused; renewed it and retrying once",
				slog.String("method", req.Method), slog.String("path", t.path(req)))
			drain(resp)
			start = time.Now()
			resp, err = t.send(req, body, fresh)
		case !errors.Is(rerr, errNoRenewal):
			drain(resp)
			return nil, fmt.Errorf("socotra: %s %s: renew token after 401: %w", req.Method, t.path(req), rerr)
		}
	}
	if err != nil {
		t.logger.LogAttrs(ctx, slog.LevelDebug, "socotra: request failed", slog.String("method", req.Method),
			slog.String("path", t.path(req)), slog.String("error", redact(err.Error(), t.secretList(ctx))))
		if ctx.Err() != nil {
			return nil, fmt.Errorf("socotra: %s %s: %w", req.Method, t.path(req), ctx.Err())
		}
		return nil, fmt.Errorf("socotra: %s %s: %w", req.Method, t.path(req), err)
	}
	t.logDone(ctx, req, resp, start)
	return resp, nil
}

func (t *transport) logDone(ctx context.Context, req *http.Request, resp *http.Response, start time.Time) {
	t.logger.LogAttrs(ctx, slog.LevelDebug, "socotra: request done", slog.String("method", req.Method),
		slog.String("path", t.path(req)), slog.Int("status", resp.StatusCode), slog.Duration("duration", time.Since(start)))
}

// secretsKey carries, in a request's context, values that must not appear in
// anything the request's failure reports (such as the x-smp-key in a path).
type secretsKey struct{}

// withSecrets returns ctx carrying secrets for the transport to scrub from
// errors and logs of requests made with it.
func withSecrets(ctx context.Context, secrets ...string) context.Context {
	prev, _ := ctx.Value(secretsKey{}).([]string)
	return context.WithValue(ctx, secretsKey{}, append(slices.Clip(prev), secrets...))
}

func (t *transport) secretList(ctx context.Context) []string {
	s, _ := ctx.Value(secretsKey{}).([]string)
	s = slices.Clip(s)
	if t.secrets != nil {
		s = append(s, t.secrets()...)
	}
	if t.tokens != nil {
		s = append(s, t.tokens.current())
	}
	return s
}

// attemptState records, per call, whether any attempt wrote part of the
// request to a connection, so a POST is retried only when none did.
type attemptState struct {
	method string
	wrote  atomic.Bool
}

type stateKey struct{}

func (t *transport) send(req *http.Request, body []byte, tok string) (*http.Response, error) {
	st := &attemptState{method: req.Method}
	ctx := context.WithValue(req.Context(), stateKey{}, st)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteHeaderField: func(string, []string) { st.wrote.Store(true) },
	})
	r := req.Clone(ctx)
	r.Body, r.GetBody, r.ContentLength = nil, nil, 0
	if t.userAgent != "" {
		r.Header.Set("User-Agent", t.userAgent)
	}
	if t.tokens != nil {
		if t.scheme != "" {
			r.Header.Set("Authorization", t.scheme+" "+tok)
		} else {
			r.Header.Set("Authorization", tok)
		}
	}
	rr, err := retryablehttp.FromRequest(r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		if err := rr.SetBody(body); err != nil {
			return nil, err
		}
	}
	return t.rc.Do(rr)
}

// idempotent reports whether a request may be repeated after the server may
// have seen it. Every PATCH of these APIs is idempotent: the Core update is
// add/remove (adding what is present or removing what is absent changes
// nothing) and unsuspend is a state change.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions:
		return true
	}
	return false
}

// checkRetry is the retry policy: stop when the context is done; retry a
// connection failure when the request is idempotent or nothing was written;
// retry 408, 429, 500, 502, 503 and 504 answers to idempotent requests, unless
// the server asks to wait longer than maxRetryAfter.
func checkRetry(maxRetryAfter time.Duration) retryablehttp.CheckRetry {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		st, _ := ctx.Value(stateKey{}).(*attemptState)
		if st == nil {
			return false, nil
		}
		if errors.Is(err, errCrossOriginBody) {
			return false, nil
		}
		if err != nil {
			// retryablehttp's own policy knows which errors are permanent
			// (bad scheme, TLS certificate, too many redirects).
			retry, perr := retryablehttp.DefaultRetryPolicy(ctx, nil, err)
			if !retry || perr != nil {
				return false, nil
			}
			return idempotent(st.method) || !st.wrote.Load(), nil
		}
		if !idempotent(st.method) {
			return false, nil
		}
		switch resp.StatusCode {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			if d, ok := retryAfter(resp.Header, time.Now()); ok && d > maxRetryAfter {
				return false, nil
			}
			return true, nil
		case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
			return true, nil
		}
		return false, nil
	}
}

// backoff waits as long as Retry-After asks on 429 and 503, and otherwise
// min·2^n capped at max, with full jitter over its upper half.
func backoff(min, max time.Duration, n int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := retryAfter(resp.Header, time.Now()); ok {
			return d
		}
	}
	d := max
	if n < 30 && min<<n < max && min<<n > 0 {
		d = min << n
	}
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
}
