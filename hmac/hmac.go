package hmac

import (
	stdhmac "crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// HeaderName is the header Socotra puts the signature in when a webhook has hmacEnabled set.
// Header names are case-insensitive; this is the canonical spelling.
const HeaderName = "Socotra-Signature"

// DefaultMaxBodyBytes is the largest body [Verifier.Middleware] reads unless [WithMaxBodyBytes] says otherwise.
const DefaultMaxBodyBytes = 1 << 20

// Errors returned by this package. Match them with [errors.Is].
var (
	// ErrEmptySecret: a key without secret bytes, or no key at all, was given to a constructor or signer.
	ErrEmptySecret = errors.New("hmac: empty secret (pass the webhook's secret; use InsecureSkipVerify only in tests)")
	// ErrMissingSignature: the request carries no signature header.
	ErrMissingSignature = errors.New("hmac: missing " + HeaderName + " header")
	// ErrInvalidSignature: no signature in the header matches the body under any active key.
	ErrInvalidSignature = errors.New("hmac: invalid signature")
	// ErrMalformedSignature: the header holds no value that decodes to a MAC of the right length.
	// It wraps ErrInvalidSignature.
	ErrMalformedSignature = fmt.Errorf("hmac: malformed signature (want hex or base64 of the MAC): %w", ErrInvalidSignature)
	// ErrNoActiveKey: every key is outside its NotBefore/NotAfter window at the time of the check.
	// It wraps ErrInvalidSignature.
	ErrNoActiveKey = fmt.Errorf("hmac: no key is active now (all retired or not yet valid): %w", ErrInvalidSignature)
	// ErrBodyTooLarge: the request body is larger than the configured limit.
	ErrBodyTooLarge = errors.New("hmac: request body too large")
	// ErrUnknownKey: no key carries the tag given to [Verifier.RetireKey] or [Verifier.RemoveKey].
	ErrUnknownKey = errors.New("hmac: no key with that tag")
)

// Sign returns the lowercase hex HMAC-SHA256 of body under secret: the value the default scheme puts in
// [HeaderName]. Sign does not refuse an empty secret; [SignRequest] and the verifiers do.
func Sign(secret, body []byte) string {
	m := stdhmac.New(sha256.New, secret)
	m.Write(body)
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0]))
}
