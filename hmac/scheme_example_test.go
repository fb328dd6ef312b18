package hmac_test

import (
	stdhmac "crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/socotra-go/sdk/hmac"
)

// timestampScheme is a layout other senders use: "Webhook-Signature: t=<unix>,v1=<hex>", where the MAC
// covers "<unix>." followed by the body, and old timestamps are refused.
type timestampScheme struct {
	now       func() time.Time
	tolerance time.Duration
}

func (timestampScheme) Header() string         { return "Webhook-Signature" }
func (timestampScheme) Hash() func() hash.Hash { return sha256.New }

func (s timestampScheme) WriteSigned(w io.Writer, body []byte, h http.Header) error {
	ts, ok := field(h.Get(s.Header()), "t")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return errors.New("webhook: missing or bad t= timestamp")
	}
	if age := s.now().Sub(time.Unix(sec, 0)); age > s.tolerance || age < -s.tolerance {
		return fmt.Errorf("webhook: timestamp %s is outside the %s tolerance", time.Unix(sec, 0).UTC(), s.tolerance)
	}
	io.WriteString(w, ts+".")
	_, err = w.Write(body)
	return err
}

func (timestampScheme) Signatures(values []string, yield func(mac []byte) bool) error {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if sig, ok := strings.CutPrefix(strings.TrimSpace(part), "v1="); ok {
				if mac, err := hex.DecodeString(sig); err == nil && !yield(mac) {
					return nil
				}
			}
		}
	}
	return nil
}

func (s timestampScheme) Sign(h http.Header, secret, body []byte) error {
	ts := strconv.FormatInt(s.now().Unix(), 10)
	m := stdhmac.New(sha256.New, secret)
	io.WriteString(m, ts+".")
	m.Write(body)
	h.Set(s.Header(), "t="+ts+",v1="+hex.EncodeToString(m.Sum(nil)))
	return nil
}

func field(v, name string) (string, bool) {
	for part := range strings.SplitSeq(v, ",") {
		if val, ok := strings.CutPrefix(strings.TrimSpace(part), name+"="); ok {
			return val, true
		}
	}
	return "", false
}

// A Scheme of your own plugs in another layout: here a signed timestamp, as some senders use.
func ExampleWithScheme() {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	scheme := timestampScheme{now: func() time.Time { return now }, tolerance: 5 * time.Minute}
	v, err := hmac.NewVerifier([]byte("secret"), hmac.WithScheme(scheme))
	if err != nil {
		panic(err)
	}
	body := []byte(`{"type":"policy.create"}`)
	h := http.Header{}
	scheme.Sign(h, []byte("secret"), body)
	fmt.Println(h.Get("Webhook-Signature")[:13], v.Verify(body, h))

	now = now.Add(time.Hour) // a replay an hour later
	fmt.Println(v.Verify(body, h))
	// Output:
	// t=1767268800, <nil>
	// webhook: timestamp 2026-01-01 12:00:00 +0000 UTC is outside the 5m0s tolerance
}
