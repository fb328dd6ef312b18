package hmac

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// Regression: InsecureSkipVerify silently overrode a configured secret.
func TestInsecureSkipVerifyWithASecretIsAnError(t *testing.T) {
	t.Parallel()
	secret := []byte("a-real-secret-0123456789abcdefghijkl")
	for _, tc := range []struct {
		name  string
		build func() (*Verifier, error)
	}{
		{"NewVerifier", func() (*Verifier, error) { return NewVerifier(secret, InsecureSkipVerify()) }},
		{"NewKeyringVerifier", func() (*Verifier, error) {
			return NewKeyringVerifier([]Key{{Secret: secret, Tag: "v1"}}, InsecureSkipVerify())
		}},
		{"AddKey", func() (*Verifier, error) {
			v, err := NewVerifier(nil, InsecureSkipVerify())
			if err != nil {
				return v, err
			}
			return v, v.AddKey(Key{Secret: secret, Tag: "v1"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.build()
			if err == nil || !strings.Contains(err.Error(), "drop InsecureSkipVerify") {
				t.Fatalf("err = %v, want one saying to drop InsecureSkipVerify", err)
			}
			if strings.Contains(err.Error(), string(secret)) {
				t.Error("the error prints the secret")
			}
		})
	}
}

func TestShortSecretsAreWarnedAbout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		secret string
		warn   bool
	}{
		{"s3cret", true},
		{strings.Repeat("k", MinSecretBytes-1), true},
		{strings.Repeat("k", MinSecretBytes), false},
	} {
		var logs bytes.Buffer
		v, err := NewVerifier([]byte(tc.secret), WithLogger(newTestLogger(&logs)))
		if err != nil {
			t.Fatalf("a %d-byte secret was refused: %v", len(tc.secret), err)
		}
		if got := strings.Contains(logs.String(), "the secret is short"); got != tc.warn {
			t.Errorf("%d-byte secret: warned %t, want %t (%s)", len(tc.secret), got, tc.warn, logs.String())
		}
		if strings.Contains(logs.String(), tc.secret) {
			t.Errorf("the warning prints the secret: %s", logs.String())
		}
		// A short secret still verifies: honest deliveries keep passing.
		if err := v.Verify([]byte("body"), http.Header{HeaderName: {Sign([]byte(tc.secret), []byte("body"))}}); err != nil {
			t.Errorf("%d-byte secret: Verify = %v", len(tc.secret), err)
		}
	}
}
