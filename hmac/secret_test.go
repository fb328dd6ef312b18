package hmac

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
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

// TestKeyHidesItsSecret: a Key printed with any verb, logged or marshalled never shows its secret.
func TestKeyHidesItsSecret(t *testing.T) {
	t.Parallel()
	const secret = "whsec-LEAK-31337"
	v, err := NewKeyringVerifier([]Key{{Secret: []byte(secret), Tag: "v1"}})
	if err != nil {
		t.Fatal(err)
	}
	k := v.Keys()[0]
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		out = append(out, fmt.Sprintf(verb, k), fmt.Sprintf(verb, &k), fmt.Sprintf(verb, []Key{k}))
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	slog.New(slog.NewTextHandler(&log, nil)).Info("key", "k", k)
	slog.New(slog.NewJSONHandler(&log, nil)).Info("key", "k", k)
	out = append(out, string(b), log.String())
	for _, s := range out {
		for _, leak := range []string{secret, fmt.Sprintf("%x", secret), base64.StdEncoding.EncodeToString([]byte(secret))} {
			if strings.Contains(s, leak) || strings.Contains(strings.ToLower(s), strings.ToLower(leak)) {
				t.Errorf("a Key shows its secret: %s", s)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(k), "v1") || !strings.Contains(fmt.Sprint(k), "[REDACTED]") {
		t.Errorf("a Key prints %s, want its tag and [REDACTED]", k)
	}
}
