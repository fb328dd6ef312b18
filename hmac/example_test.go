package hmac_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/socotra-go/sdk/hmac"
)

func ExampleSign() {
	fmt.Println(hmac.Sign([]byte("secret"), []byte(`{"type":"policy.create"}`)))
	// Output: c89d2aff959bb237772237ee718da3cd2dd677e58159c494c37812e643bad68d
}

func ExampleVerifier_Verify() {
	v, err := hmac.NewVerifier([]byte("secret"))
	if err != nil {
		panic(err)
	}
	body := []byte(`{"type":"policy.create"}`)
	h := http.Header{}
	h.Set(hmac.HeaderName, "sha256="+hmac.Sign([]byte("secret"), body))
	fmt.Println(v.Verify(body, h))

	h.Set(hmac.HeaderName, hmac.Sign([]byte("another secret"), body))
	fmt.Println(v.Verify(body, h))
	// Output:
	// <nil>
	// hmac: invalid signature
}

func ExampleVerifier_Middleware() {
	v, err := hmac.NewVerifier([]byte("secret"))
	if err != nil {
		panic(err)
	}
	handler := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := hmac.VerifiedBody(r.Context())
		fmt.Printf("handler got %s\n", body)
	}))

	signed, _ := hmac.NewSignedRequest(http.MethodPost, "/hooks/socotra", []byte(`{"type":"policy.create"}`), []byte("secret"))
	handler.ServeHTTP(httptest.NewRecorder(), signed)

	forged := httptest.NewRequest(http.MethodPost, "/hooks/socotra", strings.NewReader(`{"type":"policy.create"}`))
	forged.Header.Set(hmac.HeaderName, hmac.Sign([]byte("guess"), []byte(`{"type":"policy.create"}`)))
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, forged)
	fmt.Print(w.Code, " ", w.Body.String())
	// Output:
	// handler got {"type":"policy.create"}
	// 401 Unauthorized
}

func ExampleVerifier_AddKey() {
	v, err := hmac.NewKeyringVerifier([]hmac.Key{{Secret: []byte("old secret"), Tag: "2025"}})
	if err != nil {
		panic(err)
	}
	// Start of the rotation: both secrets pass.
	if err := v.AddKey(hmac.Key{Secret: []byte("new secret"), Tag: "2026"}); err != nil {
		panic(err)
	}
	body := []byte(`{}`)
	h := http.Header{hmac.HeaderName: {hmac.Sign([]byte("new secret"), body)}}
	tag, err := v.VerifyKey(body, h)
	fmt.Println(tag, err)
	// Once Socotra signs with the new secret, the old one stops passing.
	if err := v.RetireKey("2025", time.Now()); err != nil {
		panic(err)
	}
	h.Set(hmac.HeaderName, hmac.Sign([]byte("old secret"), body))
	fmt.Println(v.Verify(body, h))
	// Output:
	// 2026 <nil>
	// hmac: invalid signature
}
