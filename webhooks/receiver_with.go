package webhooks

import (
	"context"
	"errors"
	"net/http"

	"github.com/socotra-go/sdk/hmac"
)

// errAnsweredBetween is the Observer's error for a request the middleware of
// [NewReceiverWith] answered itself.
var errAnsweredBetween = errors.New("webhooks: answered by the middleware between the signature check and the handler")

// NewReceiverWith is [NewReceiver] with mw run between the signature check and h: mw sees only requests
// whose signature passed (hmac.VerifiedBody finds their body), and may answer them itself or pass them on,
// for example with values added to their context (a tenancy lookup that must not run for unauthenticated
// requests). Refusals by v are counted and logged as with NewReceiver; an answer from mw is not a refusal
// in [Handler.Stats], and an [Observer] sees it as [OutcomeRefused] with mw's status. It panics when v, h
// or mw is nil, or when mw returns nil.
func NewReceiverWith(v *hmac.Verifier, h *Handler, mw func(http.Handler) http.Handler) http.Handler {
	if v == nil || h == nil || mw == nil {
		panic("webhooks: NewReceiverWith needs a non-nil *hmac.Verifier, *Handler and middleware")
	}
	inner := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o *observation
		if b, ok := r.Context().Value(betweenKey{}).(*between); ok {
			b.served = true
			o = b.obs
		}
		h.serve(w, r, o)
	}))
	if inner == nil {
		panic("webhooks: NewReceiverWith: the middleware returned a nil handler")
	}
	rc := &receiver{h: h, logRefusals: true}
	rc.verified = v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x, ok := w.(*exchange)
		if !ok { // cannot happen: the middleware passes on the writer it was given
			inner.ServeHTTP(w, r)
			return
		}
		x.passed = true
		b := &between{obs: x.obs}
		inner.ServeHTTP(x, r.WithContext(context.WithValue(r.Context(), betweenKey{}, b)))
		if !b.served && x.obs != nil {
			status := x.status
			if status == 0 {
				status = http.StatusOK
			}
			h.refusedObserved(x.obs, status, errAnsweredBetween)
		}
	}))
	return rc
}

type betweenKey struct{}

// between follows one request through the middleware of NewReceiverWith.
type between struct {
	obs    *observation
	served bool // the request reached the Handler
}
