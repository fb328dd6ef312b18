package webhooks

import (
	"fmt"
	"net/http"

	"github.com/socotra-go/sdk/hmac"
)

// NewReceiver returns the usual endpoint: v's middleware checks the signature (refusing the request with
// 401, 405 or 413 before any decoding), then h decodes the verified bytes in place, dedupes and routes. The
// body is read once and never copied. Use hmac.NewKeyringVerifier for several secrets during a rotation.
// NewReceiver panics when v or h is nil.
func NewReceiver(v *hmac.Verifier, h *Handler) http.Handler {
	if v == nil || h == nil {
		panic("webhooks: NewReceiver needs a non-nil *hmac.Verifier and *Handler")
	}
	return v.Middleware(h)
}

// NewSecretReceiver is [NewReceiver] with a verifier for one secret, built with opts. It fails when the
// secret is empty (wrapping hmac.ErrEmptySecret) or an option is invalid.
func NewSecretReceiver(secret []byte, h *Handler, opts ...hmac.Option) (http.Handler, error) {
	v, err := hmac.NewVerifier(secret, opts...)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	if h == nil {
		return nil, fmt.Errorf("webhooks: NewSecretReceiver needs a non-nil *Handler")
	}
	return NewReceiver(v, h), nil
}
