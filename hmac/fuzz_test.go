package hmac

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
)

// FuzzVerify: Verify never panics, a signature of the body always passes in every accepted spelling, and
// any change to the body fails.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(`{"type":"policy.create"}`), []byte("secret"), "sha256=abc,def", 0)
	f.Add([]byte{}, []byte("k"), "", 3)
	f.Add([]byte("x"), []byte("another key"), "\t ,,sha256=", 1)
	v := map[string]*Verifier{}
	f.Fuzz(func(t *testing.T, body, secret []byte, header string, flip int) {
		if len(secret) == 0 {
			secret = []byte{0}
		}
		ver := v[string(secret)]
		if ver == nil {
			var err error
			if ver, err = NewVerifier(secret); err != nil {
				t.Fatal(err)
			}
			v[string(secret)] = ver
		}
		// Arbitrary header values: no panic, and only the documented errors.
		err := ver.Verify(body, http.Header{HeaderName: {header}})
		if err != nil && !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("Verify(%q) = %v, not an ErrInvalidSignature", header, err)
		}
		mac := rawMAC(secret, body)
		for _, sig := range []string{Sign(secret, body), "sha256=" + base64.RawURLEncoding.EncodeToString(mac), header + "," + Sign(secret, body)} {
			if err := ver.Verify(body, http.Header{HeaderName: {sig}}); err != nil {
				t.Fatalf("Verify(Sign(body)) with %q = %v", sig, err)
			}
		}
		changed := append(bytes.Clone(body), 0)
		if len(body) > 0 {
			changed = bytes.Clone(body)
			i := (flip%len(body) + len(body)) % len(body)
			changed[i] ^= 1 << (uint(flip) % 8)
			if changed[i] == body[i] {
				changed[i]++
			}
		}
		if err := ver.Verify(changed, http.Header{HeaderName: {Sign(secret, body)}}); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("changed body passed: Verify = %v", err)
		}
	})
}

// FuzzSignatures: the header parser never panics, yields only MACs of the hash's size, agrees with the
// verifier's own decoding, and finds any MAC placed among arbitrary values.
func FuzzSignatures(f *testing.F) {
	f.Add("sha256=" + Sign([]byte("k"), nil))
	f.Add("a, b\tc,,d==")
	f.Add("SHA256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	f.Add("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU")
	f.Fuzz(func(t *testing.T, header string) {
		n := 0
		err := defaultScheme.Signatures([]string{header}, func(mac []byte) bool {
			if len(mac) != 32 {
				t.Fatalf("yielded %d bytes, want 32", len(mac))
			}
			if ok, _ := defaultScheme.match([]string{header}, mac); !ok {
				t.Fatalf("match does not find a MAC Signatures yielded from %q", header)
			}
			n++
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, decoded := defaultScheme.match([]string{header}, make([]byte, 32)); decoded > n {
			t.Fatalf("match decoded %d values, Signatures yielded %d", decoded, n)
		}
		_ = describe([]string{header}, "sha256=")
		want := rawMAC([]byte("k"), []byte(header))
		mixed := header + " " + base64.StdEncoding.EncodeToString(want) + "," + header
		if ok, _ := defaultScheme.match([]string{mixed}, want); !ok {
			t.Fatalf("MAC among %q not found", header)
		}
	})
}
