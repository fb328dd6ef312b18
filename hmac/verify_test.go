package hmac

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	testSecret = []byte("whsec_test_secret")
	testBody   = []byte(`{"locator":"01J0000000000000000000000","type":"policy.create","data":{}}`)
)

func rawMAC(secret, body []byte) []byte {
	b, err := hex.DecodeString(Sign(secret, body))
	if err != nil {
		panic(err)
	}
	return b
}

func mustVerifier(t *testing.T, secret []byte, opts ...Option) *Verifier {
	t.Helper()
	v, err := NewVerifier(secret, opts...)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func TestSignIsLowercaseHexHMACSHA256(t *testing.T) {
	t.Parallel()
	// RFC 4231 test case 2.
	got := Sign([]byte("Jefe"), []byte("what do ya want for nothing?"))
	const want = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerifyEncodings(t *testing.T) {
	t.Parallel()
	mac := rawMAC(testSecret, testBody)
	hexLower := hex.EncodeToString(mac)
	encodings := map[string]string{
		"hex lower":          hexLower,
		"hex upper":          strings.ToUpper(hexLower),
		"base64 std padded":  base64.StdEncoding.EncodeToString(mac),
		"base64 std raw":     base64.RawStdEncoding.EncodeToString(mac),
		"base64 url padded":  base64.URLEncoding.EncodeToString(mac),
		"base64 url raw":     base64.RawURLEncoding.EncodeToString(mac),
		"hex mixed case":     strings.ToUpper(hexLower[:10]) + hexLower[10:],
		"base64 std, no pad": strings.TrimRight(base64.StdEncoding.EncodeToString(mac), "="),
	}
	v := mustVerifier(t, testSecret)
	for name, enc := range encodings {
		for _, prefix := range []string{"", "sha256=", "SHA256=", "Sha256="} {
			t.Run(name+"/prefix="+prefix, func(t *testing.T) {
				t.Parallel()
				h := http.Header{HeaderName: {prefix + enc}}
				if err := v.Verify(testBody, h); err != nil {
					t.Fatalf("Verify(%q) = %v, want nil", prefix+enc, err)
				}
			})
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	good := Sign(testSecret, testBody)
	mac := rawMAC(testSecret, testBody)
	b64 := base64.StdEncoding.EncodeToString(mac)
	tests := []struct {
		name   string
		header http.Header
		body   []byte
		want   error
	}{
		{"no header", http.Header{}, testBody, ErrMissingSignature},
		{"empty header line", http.Header{HeaderName: {""}}, testBody, ErrMalformedSignature},
		{"only separators", http.Header{HeaderName: {" , ,\t"}}, testBody, ErrMalformedSignature},
		{"wrong key", http.Header{HeaderName: {Sign([]byte("other"), testBody)}}, testBody, ErrInvalidSignature},
		{"other body", http.Header{HeaderName: {good}}, []byte(`{}`), ErrInvalidSignature},
		{"truncated hex", http.Header{HeaderName: {good[:62]}}, testBody, ErrMalformedSignature},
		{"truncated hex by one", http.Header{HeaderName: {good[:63]}}, testBody, ErrMalformedSignature},
		{"extended hex", http.Header{HeaderName: {good + "00"}}, testBody, ErrMalformedSignature},
		{"truncated base64", http.Header{HeaderName: {b64[:40]}}, testBody, ErrMalformedSignature},
		{"non-hex char", http.Header{HeaderName: {"g" + good[1:]}}, testBody, ErrMalformedSignature},
		{"bad padding", http.Header{HeaderName: {b64[:43] + "A"}}, testBody, ErrMalformedSignature},
		{"wrong prefix", http.Header{HeaderName: {"sha1=" + good}}, testBody, ErrMalformedSignature},
		{"prefix only", http.Header{HeaderName: {"sha256="}}, testBody, ErrMalformedSignature},
		{"nil body, signed non-empty", http.Header{HeaderName: {good}}, nil, ErrInvalidSignature},
	}
	v := mustVerifier(t, testSecret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := v.Verify(tt.body, tt.header)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if !errors.Is(err, ErrInvalidSignature) && !errors.Is(err, ErrMissingSignature) {
				t.Fatalf("Verify = %v, which matches neither ErrInvalidSignature nor ErrMissingSignature", err)
			}
		})
	}
}

func TestVerifyNonCanonicalBase64TrailingBits(t *testing.T) {
	t.Parallel()
	b64 := base64.RawStdEncoding.EncodeToString(rawMAC(testSecret, testBody))
	// 32 bytes in 43 characters leave 2 unused bits in the last one; setting them must not pass.
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", b64[42])
	bad := b64[:42] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[last|1])
	err := mustVerifier(t, testSecret).Verify(testBody, http.Header{HeaderName: {bad}})
	if !errors.Is(err, ErrMalformedSignature) {
		t.Fatalf("Verify(non-canonical base64) = %v, want ErrMalformedSignature", err)
	}
}

func TestVerifyEmptyBody(t *testing.T) {
	t.Parallel()
	v := mustVerifier(t, testSecret)
	for _, body := range [][]byte{nil, {}} {
		if err := v.Verify(body, http.Header{HeaderName: {Sign(testSecret, nil)}}); err != nil {
			t.Fatalf("Verify(empty body) = %v", err)
		}
	}
	if err := v.Verify([]byte{0}, http.Header{HeaderName: {Sign(testSecret, nil)}}); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("Verify(one zero byte, signature of empty body) = %v, want ErrInvalidSignature", err)
	}
}

func TestVerifyEveryFlippedBit(t *testing.T) {
	t.Parallel()
	v := mustVerifier(t, testSecret)
	mac := rawMAC(testSecret, testBody)
	h := http.Header{HeaderName: {hex.EncodeToString(mac)}}
	for i := range len(testBody) * 8 {
		body := append([]byte(nil), testBody...)
		body[i/8] ^= 1 << (i % 8)
		if err := v.Verify(body, h); !errors.Is(err, ErrInvalidSignature) {
			t.Fatalf("body bit %d flipped: Verify = %v, want ErrInvalidSignature", i, err)
		}
	}
	for i := range len(mac) * 8 {
		m := append([]byte(nil), mac...)
		m[i/8] ^= 1 << (i % 8)
		for _, enc := range []string{hex.EncodeToString(m), base64.StdEncoding.EncodeToString(m)} {
			if err := v.Verify(testBody, http.Header{HeaderName: {enc}}); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("MAC bit %d flipped (%d chars): Verify = %v, want ErrInvalidSignature", i, len(enc), err)
			}
		}
	}
}

func TestVerifySeveralValues(t *testing.T) {
	t.Parallel()
	good := Sign(testSecret, testBody)
	wrong := Sign([]byte("old"), testBody)
	b64 := "sha256=" + base64.RawURLEncoding.EncodeToString(rawMAC(testSecret, testBody))
	tests := []struct {
		name   string
		values []string
		want   error
	}{
		{"repeated lines, good last", []string{wrong, "junk", good}, nil},
		{"repeated lines, good first", []string{good, wrong}, nil},
		{"comma separated", []string{wrong + "," + good}, nil},
		{"comma and space", []string{wrong + ", " + b64}, nil},
		{"spaces and tabs", []string{" \t" + wrong + "  " + good + " "}, nil},
		{"garbage around", []string{"v1=abc, , x " + good + ",,"}, nil},
		{"none match", []string{wrong, wrong + "," + wrong}, ErrInvalidSignature},
		{"none decodes", []string{"a,b", "c d"}, ErrMalformedSignature},
	}
	v := mustVerifier(t, testSecret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := v.Verify(testBody, http.Header{HeaderName: tt.values})
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Verify(%q) = %v, want %v", tt.values, err, tt.want)
			}
		})
	}
}

func TestVerifyHeaderNameCaseInsensitive(t *testing.T) {
	t.Parallel()
	v := mustVerifier(t, testSecret)
	// A header map built by hand is not canonicalised; http.Header.Set is.
	for _, name := range []string{"socotra-signature", "SOCOTRA-SIGNATURE", HeaderName} {
		if err := v.Verify(testBody, http.Header{name: {Sign(testSecret, testBody)}}); err != nil {
			t.Errorf("Verify with header %q = %v", name, err)
		}
	}
}

func TestVerifyAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items, which allocates")
	}
	v, err := NewKeyringVerifier([]Key{
		{Secret: []byte("old"), Tag: "old", NotAfter: time.Now().Add(time.Hour)},
		{Secret: testSecret, Tag: "new"},
	})
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(rawMAC(testSecret, testBody))
	for name, h := range map[string]http.Header{
		"hex":        {HeaderName: {Sign(testSecret, testBody)}},
		"base64":     {HeaderName: {"sha256=" + b64}},
		"two values": {HeaderName: {"deadbeef, " + b64}},
	} {
		v.Verify(testBody, h) // warm the pools
		if n := testing.AllocsPerRun(100, func() {
			if err := v.Verify(testBody, h); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: Verify allocates %.1f times per call, want 0", name, n)
		}
	}
}

func TestNewHeaderScheme(t *testing.T) {
	t.Parallel()
	s, err := NewHeaderScheme("x-hub-signature-512", sha512.New, "sha512=")
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, testSecret, WithScheme(s))
	h := http.Header{}
	if err := s.Sign(h, testSecret, testBody); err != nil {
		t.Fatal(err)
	}
	sig := h.Get("X-Hub-Signature-512")
	if len(sig) != 128 {
		t.Fatalf("signature %q has %d chars, want 128 hex chars", sig, len(sig))
	}
	mac, _ := hex.DecodeString(sig)
	for _, value := range []string{sig, "sha512=" + sig, base64.StdEncoding.EncodeToString(mac), base64.RawURLEncoding.EncodeToString(mac)} {
		if err := v.Verify(testBody, http.Header{"X-Hub-Signature-512": {value}}); err != nil {
			t.Errorf("Verify(%q) = %v", value, err)
		}
	}
	if err := v.Verify(testBody, http.Header{HeaderName: {Sign(testSecret, testBody)}}); !errors.Is(err, ErrMissingSignature) {
		t.Errorf("Verify with only %s = %v, want ErrMissingSignature", HeaderName, err)
	}
	if _, err := NewHeaderScheme("", sha256.New, ""); err == nil {
		t.Error("NewHeaderScheme with no header: want error")
	}
	if _, err := NewHeaderScheme("X-Sig", nil, ""); err == nil {
		t.Error("NewHeaderScheme with nil hash: want error")
	}
	if _, err := NewHeaderScheme("X-Sig", sha256.New, "sha 256="); err == nil {
		t.Error("NewHeaderScheme with a space in the prefix: want error")
	}
}

func TestConstructorErrors(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name string
		keys []Key
		opts []Option
		want error  // matched with errors.Is when set
		msg  string // substring of the message
	}{
		{"no keys", nil, nil, ErrEmptySecret, "no key"},
		{"empty secret", []Key{{Tag: "a"}}, nil, ErrEmptySecret, "key a"},
		{"duplicate tag", []Key{{Secret: []byte("x"), Tag: "a"}, {Secret: []byte("y"), Tag: "a"}}, nil, nil, `tag "a" is already in use`},
		{"two untagged", []Key{{Secret: []byte("x")}, {Secret: []byte("y")}}, nil, nil, `tag "" is already in use`},
		{"inverted window", []Key{{Secret: []byte("x"), NotBefore: now, NotAfter: now}}, nil, nil, "must be after NotBefore"},
		{"zero body limit", []Key{{Secret: []byte("x")}}, []Option{WithMaxBodyBytes(0)}, nil, "WithMaxBodyBytes(0)"},
		{"nil clock", []Key{{Secret: []byte("x")}}, []Option{WithClock(nil)}, nil, "WithClock(nil)"},
		{"nil scheme", []Key{{Secret: []byte("x")}}, []Option{WithScheme(nil)}, nil, "WithScheme(nil)"},
		{"no methods", []Key{{Secret: []byte("x")}}, []Option{WithMethods()}, nil, "WithMethods"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewKeyringVerifier(tt.keys, tt.opts...)
			if err == nil || v != nil {
				t.Fatalf("NewKeyringVerifier = %v, %v; want an error", v, err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v does not match %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "hmac: ") {
				t.Errorf("error %q: want the prefix \"hmac: \" and %q", err, tt.msg)
			}
		})
	}
	if _, err := NewVerifier(nil); !errors.Is(err, ErrEmptySecret) {
		t.Errorf("NewVerifier(nil) = %v, want ErrEmptySecret", err)
	}
	if _, err := NewVerifier([]byte{}); !errors.Is(err, ErrEmptySecret) {
		t.Errorf("NewVerifier(empty) = %v, want ErrEmptySecret", err)
	}
}

func TestVerifierCopiesSecret(t *testing.T) {
	t.Parallel()
	secret := []byte("mutable")
	v := mustVerifier(t, secret)
	h := http.Header{HeaderName: {Sign([]byte("mutable"), testBody)}}
	secret[0] = 'X'
	if err := v.Verify(testBody, h); err != nil {
		t.Fatalf("changing the caller's slice changed the key: %v", err)
	}
	keys := v.Keys()
	keys[0].Secret[0] = 'Y'
	if err := v.Verify(testBody, h); err != nil || string(v.Keys()[0].Secret) != "mutable" {
		t.Fatalf("changing Keys()'s answer changed the key: %v", err)
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func TestRotationWindows(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	oldKey := Key{Secret: []byte("old-secret"), Tag: "v1", NotAfter: t0.Add(2 * time.Hour)}
	newKey := Key{Secret: []byte("new-secret"), Tag: "v2", NotBefore: t0.Add(time.Hour)}
	clock := &fakeClock{}
	v, err := NewKeyringVerifier([]Key{oldKey, newKey}, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	signedOld := http.Header{HeaderName: {Sign(oldKey.Secret, testBody)}}
	signedNew := http.Header{HeaderName: {Sign(newKey.Secret, testBody)}}
	tests := []struct {
		at               time.Duration
		oldPass, newPass bool
	}{
		{-time.Hour, true, false},
		{0, true, false},
		{time.Hour - time.Nanosecond, true, false},
		{time.Hour, true, true}, // NotBefore is inside the window
		{90 * time.Minute, true, true},
		{2*time.Hour - time.Nanosecond, true, true},
		{2 * time.Hour, false, true}, // NotAfter is outside
		{48 * time.Hour, false, true},
	}
	for _, tt := range tests {
		clock.Set(t0.Add(tt.at))
		for _, c := range []struct {
			name string
			h    http.Header
			pass bool
			tag  string
		}{{"old", signedOld, tt.oldPass, "v1"}, {"new", signedNew, tt.newPass, "v2"}} {
			tag, err := v.VerifyKey(testBody, c.h)
			if c.pass && (err != nil || tag != c.tag) {
				t.Errorf("at t0%+v: %s key: VerifyKey = %q, %v; want %q, nil", tt.at, c.name, tag, err, c.tag)
			}
			if !c.pass && !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("at t0%+v: %s key: VerifyKey = %v, want ErrInvalidSignature", tt.at, c.name, err)
			}
		}
	}
}

func TestExpiredKeysFailClosed(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: t0}
	v := mustVerifier(t, testSecret, WithClock(clock.Now))
	h := http.Header{HeaderName: {Sign(testSecret, testBody)}}
	if err := v.RetireKey("", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(testBody, h); err != nil {
		t.Fatalf("before the retirement time: %v", err)
	}
	// Retiring later never extends the key's life.
	if err := v.RetireKey("", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := v.Keys()[0].NotAfter; !got.Equal(t0.Add(time.Minute)) {
		t.Fatalf("NotAfter = %v after a later RetireKey, want %v", got, t0.Add(time.Minute))
	}
	clock.Set(t0.Add(time.Minute))
	if err := v.Verify(testBody, h); !errors.Is(err, ErrNoActiveKey) || !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("after retirement: Verify = %v, want ErrNoActiveKey wrapping ErrInvalidSignature", err)
	}
}

func TestKeyManagementErrors(t *testing.T) {
	t.Parallel()
	v := mustVerifier(t, testSecret)
	if err := v.RetireKey("nope", time.Now()); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("RetireKey(unknown) = %v, want ErrUnknownKey", err)
	}
	if err := v.RetireKey("", time.Time{}); err == nil || !strings.Contains(err.Error(), "time.Now()") {
		t.Errorf("RetireKey(zero time) = %v, want an error suggesting time.Now()", err)
	}
	if err := v.RemoveKey(""); err == nil || !strings.Contains(err.Error(), "last key") {
		t.Errorf("RemoveKey(last) = %v, want a refusal", err)
	}
	if err := v.RemoveKey("nope"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("RemoveKey(unknown) = %v, want ErrUnknownKey", err)
	}
	if err := v.AddKey(Key{Secret: []byte("x")}); err == nil {
		t.Error("AddKey with a second untagged key: want an error")
	}
	if err := v.AddKey(Key{Tag: "v2"}); !errors.Is(err, ErrEmptySecret) {
		t.Errorf("AddKey(no secret) = %v, want ErrEmptySecret", err)
	}
	if err := v.AddKey(Key{Secret: []byte("x"), Tag: "v2"}); err != nil {
		t.Fatal(err)
	}
	if err := v.RemoveKey(""); err != nil {
		t.Fatal(err)
	}
	if keys := v.Keys(); len(keys) != 1 || keys[0].Tag != "v2" {
		t.Fatalf("Keys after RemoveKey = %+v, want only v2", keys)
	}
	if err := v.Verify(testBody, http.Header{HeaderName: {Sign(testSecret, testBody)}}); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("removed key still passes: %v", err)
	}
}

// TestRotationDuringVerify adds, retires and removes keys while other goroutines verify; run it with -race.
func TestRotationDuringVerify(t *testing.T) {
	t.Parallel()
	v := mustVerifier(t, testSecret)
	h := http.Header{HeaderName: {Sign(testSecret, testBody)}}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := v.Verify(testBody, h); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range 200 {
		tag := "k" + string(rune('a'+i%26)) + time.Duration(i).String()
		if err := v.AddKey(Key{Secret: []byte(tag), Tag: tag}); err != nil {
			t.Fatal(err)
		}
		if err := v.RetireKey(tag, time.Now().Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := v.RemoveKey(tag); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Verify failed during rotation: %v", err)
	}
}

func TestInsecureSkipVerify(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	v, err := NewVerifier(nil, InsecureSkipVerify(), WithLogger(newTestLogger(&logs)))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(testBody, http.Header{}); err != nil {
		t.Fatalf("InsecureSkipVerify: Verify = %v, want nil", err)
	}
	if !strings.Contains(logs.String(), "InsecureSkipVerify") || !strings.Contains(logs.String(), "WARN") {
		t.Fatalf("no warning logged: %q", logs.String())
	}
}

func TestDecodeSpellings(t *testing.T) {
	t.Parallel()
	mac := rawMAC(testSecret, testBody)
	std, url := base64.StdEncoding.EncodeToString(mac), base64.RawURLEncoding.EncodeToString(mac)
	i := strings.IndexAny(std, "+/")
	j := strings.IndexAny(url, "-_")
	if i < 0 || j < 0 {
		t.Fatal("test MAC has no alphabet-specific character; pick another body")
	}
	tests := []struct {
		name, tok string
		ok        bool
	}{
		{"hex", hex.EncodeToString(mac), true},
		{"hex upper", strings.ToUpper(hex.EncodeToString(mac)), true},
		{"base64 std padded", std, true},
		{"base64 url raw", url, true},
		{"base64 url with std character", url[:j] + "+" + url[j+1:], false},
		{"base64 padding inside", std[:10] + "=" + std[11:], false},
		{"base64 line break inside", std[:10] + "\n" + std[11:43], false},
		{"base64 too much padding", std[:42] + "==", false},
		{"hex line break inside", hex.EncodeToString(mac)[:62] + "\r\n", false},
		{"hex with prefix twice", "sha256=sha256=" + hex.EncodeToString(mac), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf [maxMACSize]byte
			got := defaultScheme.decode(tt.tok, &buf)
			if tt.ok != (got != nil) || (got != nil && !bytes.Equal(got, mac)) {
				t.Fatalf("decode(%q) = %x, want ok=%v (%x)", tt.tok, got, tt.ok, mac)
			}
		})
	}
}

// opaqueScheme hides the default scheme's type, so the verifier takes its general path for custom schemes.
type opaqueScheme struct{ Scheme }

func TestCustomSchemePathAgreesWithFastPath(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	keys := []Key{{Secret: []byte("old"), Tag: "v1", NotAfter: t0}, {Secret: testSecret, Tag: "v2"}}
	fast, err := NewKeyringVerifier(keys, WithClock(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	custom, err := NewKeyringVerifier(keys, WithClock(func() time.Time { return t0 }), WithScheme(opaqueScheme{DefaultScheme()}))
	if err != nil {
		t.Fatal(err)
	}
	if custom.fast != nil {
		t.Fatal("opaqueScheme took the fast path")
	}
	mac := rawMAC(testSecret, testBody)
	headers := []http.Header{
		{},
		{HeaderName: {""}},
		{HeaderName: {Sign(testSecret, testBody)}},
		{HeaderName: {"sha256=" + base64.RawURLEncoding.EncodeToString(mac)}},
		{HeaderName: {"junk", "x " + strings.ToUpper(Sign(testSecret, testBody))}},
		{HeaderName: {Sign([]byte("old"), testBody)}}, // retired at t0
		{HeaderName: {Sign([]byte("wrong"), testBody)}},
		{HeaderName: {Sign(testSecret, testBody)[:40]}},
	}
	for _, h := range headers {
		tagF, errF := fast.VerifyKey(testBody, h)
		tagC, errC := custom.VerifyKey(testBody, h)
		if tagF != tagC || !errors.Is(errC, errF) || !errors.Is(errF, errC) {
			t.Errorf("header %q: fast path = %q, %v; custom path = %q, %v", h, tagF, errF, tagC, errC)
		}
	}
	// A scheme whose WriteSigned fails refuses the request with its error.
	boom := errors.New("boom")
	v, err := NewVerifier(testSecret, WithScheme(failingScheme{opaqueScheme{DefaultScheme()}, boom}))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(testBody, http.Header{HeaderName: {Sign(testSecret, testBody)}}); !errors.Is(err, boom) {
		t.Fatalf("Verify = %v, want the scheme's error", err)
	}
}

type failingScheme struct {
	opaqueScheme
	err error
}

func (s failingScheme) WriteSigned(io.Writer, []byte, http.Header) error { return s.err }

func TestZeroVerifierFailsClosed(t *testing.T) {
	t.Parallel()
	var v Verifier
	if err := v.Verify(testBody, http.Header{HeaderName: {Sign(testSecret, testBody)}}); !errors.Is(err, ErrEmptySecret) {
		t.Fatalf("zero Verifier: Verify = %v, want ErrEmptySecret", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Middleware on a zero Verifier did not panic")
		}
	}()
	v.Middleware(http.NotFoundHandler())
}

// countingScheme is the default scheme on the general path, counting the keys tried (one WriteSigned each).
type countingScheme struct {
	Scheme
	tried int
}

func (c *countingScheme) WriteSigned(w io.Writer, body []byte, h http.Header) error {
	c.tried++
	return c.Scheme.WriteSigned(w, body, h)
}

func TestVerifyTriesLastMatchedKeyFirst(t *testing.T) {
	t.Parallel()
	scheme := &countingScheme{Scheme: DefaultScheme()}
	oldKey, newKey := Key{Secret: []byte("old"), Tag: "v1"}, Key{Secret: []byte("new"), Tag: "v2"}
	v, err := NewKeyringVerifier([]Key{oldKey, newKey}, WithScheme(scheme))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		key   Key
		tried int
	}{
		{newKey, 2}, // the first new signature: the old key is tried first
		{newKey, 1}, // from then on the new key is tried first
		{newKey, 1},
		{oldKey, 2}, // a late retry signed with the old secret still passes
		{oldKey, 1},
	} {
		h := http.Header{HeaderName: {Sign(step.key.Secret, testBody)}}
		scheme.tried = 0
		tag, err := v.VerifyKey(testBody, h)
		if err != nil || tag != step.key.Tag {
			t.Fatalf("VerifyKey signed with %s = %q, %v", step.key.Tag, tag, err)
		}
		if scheme.tried != step.tried {
			t.Errorf("signed with %s: %d keys tried, want %d", step.key.Tag, scheme.tried, step.tried)
		}
	}
}
