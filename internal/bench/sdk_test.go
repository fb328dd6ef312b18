package bench

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/socotra-go/sdk/hmac"
)

func init() {
	impls["sdk-verify"] = impl{prepare: prepareSDKVerify}
	impls["sdk-middleware"] = impl{prepare: prepareSDKMiddleware}
	impls["sdk-verify-rotation"] = impl{prepare: prepareSDKVerifyRotation}
}

// newVerifier returns the SDK's verifier for [Secret] with default options.
func newVerifier(tb testing.TB) *hmac.Verifier {
	v, err := hmac.NewVerifier(Secret)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// sdkHeader signs body with the SDK's own Sign, and checks it agrees with the independent [SignHex].
func sdkHeader(tb testing.TB, body []byte) http.Header {
	sig := hmac.Sign(Secret, body)
	if sig != SignHex(Secret, body) {
		tb.Fatalf("hmac.Sign = %s, want %s", sig, SignHex(Secret, body))
	}
	return http.Header{hmac.HeaderName: {sig}}
}

func prepareSDKVerify(tb testing.TB, body []byte) func() error {
	v, h := newVerifier(tb), sdkHeader(tb, body)
	return func() error { return v.Verify(body, h) }
}

// prepareSDKVerifyRotation verifies with the old and the new secret configured, the old one first, and the
// delivery signed with the new one: the worst case while a rotation is under way.
func prepareSDKVerifyRotation(tb testing.TB, body []byte) func() error {
	v, err := hmac.NewKeyringVerifier([]hmac.Key{
		{Secret: []byte("whsec-bench-old-secret-0123456789"), Tag: "old"},
		{Secret: Secret, Tag: "new"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	h := sdkHeader(tb, body)
	return func() error {
		tag, err := v.VerifyKey(body, h)
		if err == nil && tag != "new" {
			err = fmt.Errorf("matched key %q, want the new one", tag)
		}
		return err
	}
}

var errNotVerified = errors.New("next handler did not get the verified body")

func prepareSDKMiddleware(tb testing.TB, body []byte) func() error {
	v := newVerifier(tb)
	var seen bool
	mw := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := hmac.VerifiedBody(r.Context())
		seen = ok && len(got) == len(body)
	}))
	q := newRequest(body, sdkHeader(tb, body))
	return func() error {
		seen = false
		if err := serve(mw, q.next()); err != nil {
			return err
		}
		if !seen {
			return errNotVerified
		}
		return nil
	}
}

// TestSDKMiddlewarePassesIdenticalBytes checks the middleware hands the next handler the bytes it verified.
func TestSDKMiddlewarePassesIdenticalBytes(t *testing.T) {
	t.Parallel()
	body := CoreEvent(2<<10, Locator(3))
	var got []byte
	mw := newVerifier(t).Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = hmac.VerifiedBody(r.Context())
	}))
	if err := serve(mw, newRequest(body, sdkHeader(t, body)).next()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("next handler saw %d bytes, not the %d-byte body", len(got), len(body))
	}
}
