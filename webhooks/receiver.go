package webhooks

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/internal/verified"
)

// NewReceiver returns the usual endpoint: v's middleware checks the signature (refusing the request with
// 401, 405 or 413 before any decoding), then h decodes the verified bytes in place, dedupes and routes. The
// body is read once and never copied. Use hmac.NewKeyringVerifier for several secrets during a rotation.
//
// The receiver reports through h: every refused request counts in [Handler.Stats] (Rejected, and Refused or
// TooLarge) and is logged at warn level through h's [WithLogger] logger with its status and path, and an
// [Observer] set with [WithObserver] sees refused requests as [OutcomeRefused]. The reason in detail (the
// key tags tried, the shape of the signature header) is logged by v's own hmac.WithLogger logger, if any.
//
// Middleware in front of the receiver works as in any net/http service: the context the functions of h
// receive carries every value of the request's context, and [Event.Header] holds the request's headers.
// NewReceiver panics when v or h is nil.
func NewReceiver(v *hmac.Verifier, h *Handler) http.Handler {
	if v == nil || h == nil {
		panic("webhooks: NewReceiver needs a non-nil *hmac.Verifier and *Handler")
	}
	return newReceiver(v, h, true)
}

// NewSecretReceiver is [NewReceiver] with a verifier for one secret, built with opts. The verifier logs its
// refusals in detail through h's [WithLogger] logger, unless opts hold an hmac.WithLogger of their own, and
// reads at most h's [WithMaxBodyBytes] limit, unless opts hold an hmac.WithMaxBodyBytes of their own. It
// fails when the secret is empty (wrapping hmac.ErrEmptySecret) or an option is invalid.
func NewSecretReceiver(secret []byte, h *Handler, opts ...hmac.Option) (http.Handler, error) {
	if h == nil {
		return nil, fmt.Errorf("webhooks: NewSecretReceiver needs a non-nil *Handler")
	}
	v, err := hmac.NewVerifier(secret, append([]hmac.Option{hmac.WithLogger(h.log), hmac.WithMaxBodyBytes(h.maxBody)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	return newReceiver(v, h, false), nil
}

// receiver runs the verifier's middleware around the Handler and reports what the middleware refused.
type receiver struct {
	h           *Handler
	verified    http.Handler // the verifier's middleware around passed
	logRefusals bool         // false when the verifier logs through h's logger itself
}

func newReceiver(v *hmac.Verifier, h *Handler, logRefusals bool) *receiver {
	rc := &receiver{h: h, logRefusals: logRefusals}
	rc.verified = v.Middleware(passed{rc})
	return rc
}

// exchange is the ResponseWriter the verifier sees: it notes the status the verifier answers with and
// whether the request passed. Exchanges are pooled, so a delivery allocates nothing for them.
type exchange struct {
	http.ResponseWriter
	status int
	passed bool
	obs    *observation // nil without an Observer
}

var exchanges = sync.Pool{New: func() any { return new(exchange) }}

// WriteHeader notes the status.
func (x *exchange) WriteHeader(code int) {
	if x.status == 0 {
		x.status = code
	}
	x.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the server's ResponseWriter.
func (x *exchange) Unwrap() http.ResponseWriter { return x.ResponseWriter }

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := exchanges.Get().(*exchange)
	*x = exchange{ResponseWriter: w}
	if rc.h.observer != nil {
		x.obs = rc.h.startObservation(r.Context(), r, nil)
		r = r.WithContext(x.obs.ctx)
	}
	rc.verified.ServeHTTP(x, r)
	if !x.passed {
		rc.h.refused(r, x.status, rc.logRefusals)
		if x.obs != nil {
			x.obs.info.Status = x.status
			x.obs.info.Outcome = OutcomeRefused
			rc.h.endObservation(x.obs)
		}
	}
	*x = exchange{}
	exchanges.Put(x)
}

// passed is the verifier's next handler: the signature checked out. The middleware hands the body over
// with ServeVerified; ServeHTTP serves a request that carries it in its context.
type passed struct{ rc *receiver }

func (p passed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x, ok := w.(*exchange)
	if !ok { // cannot happen: the middleware passes on the writer it was given
		p.rc.h.ServeHTTP(w, r)
		return
	}
	x.passed = true
	p.rc.h.serve(x.ResponseWriter, r, x.obs)
}

// ServeVerified implements verified.Handler.
func (p passed) ServeVerified(w http.ResponseWriter, r *http.Request, body []byte, tag string, _ verified.Token) {
	x, ok := w.(*exchange)
	if !ok { // cannot happen, as above
		p.rc.h.ServeHTTP(w, r)
		return
	}
	x.passed = true
	p.rc.h.serveVerified(x.ResponseWriter, r, body, tag, x.obs)
}

// refused counts, and logs when asked, a request refused before it was decoded.
func (h *Handler) refused(r *http.Request, status int, log bool) {
	h.stats.rejected.Add(1)
	switch status {
	case http.StatusUnauthorized:
		h.stats.refused.Add(1)
	case http.StatusRequestEntityTooLarge:
		h.stats.tooLarge.Add(1)
	}
	if !log || !h.log.Enabled(r.Context(), slog.LevelWarn) {
		return
	}
	reason := http.StatusText(status)
	switch status {
	case http.StatusUnauthorized:
		reason = "signature missing or invalid (the verifier's hmac.WithLogger logger says which)"
	case http.StatusRequestEntityTooLarge:
		reason = "body larger than the verifier's limit (hmac.WithMaxBodyBytes)"
	case http.StatusMethodNotAllowed:
		reason = "method not allowed (hmac.WithMethods)"
	}
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "webhooks: request refused",
		slog.Int("status", status), slog.String("reason", reason),
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int64("content_length", r.ContentLength))
}
