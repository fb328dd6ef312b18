package bench

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	ghwebhooks "github.com/go-playground/webhooks/v6/github"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v84"
	stripewebhook "github.com/stripe/stripe-go/v84/webhook"
	svix "github.com/svix/svix-webhooks/go"
)

// An impl runs one [Row].
type impl struct {
	// body builds the delivery body of a size; nil means [CoreEvent].
	body func(size int) []byte
	// prepare signs body the impl's own way and returns one acceptance of it; the operation fails on a
	// body whose signature does not match. tb is a *testing.B when benchmarking.
	prepare func(tb testing.TB, body []byte) func() error
	// rotates marks an impl that sends a fresh copy of body, with a new event id, on every call: changing
	// body after prepare does not reach it (TestReceiverRow checks its refusals instead).
	rotates bool
}

// impls holds the impl of every row in [Rows]; sdk_test.go adds the SDK's.
var impls = map[string]impl{
	Floor:                 {prepare: prepareFloor},
	Limit:                 {prepare: prepareLimit},
	"stripe-validate":     {body: stripeBody, prepare: prepareStripeValidate},
	"stripe-construct":    {body: stripeBody, prepare: prepareStripeConstruct},
	"standardwebhooks":    {prepare: prepareStandard},
	"svix":                {prepare: prepareSvix},
	"goplayground-github": {prepare: prepareGoPlayground},
	"bare-read":           {prepare: prepareBareRead},
	Harness:               {prepare: prepareHarness},
}

var errMismatch = errors.New("signature mismatch")

// socotraHeader returns a header carrying body's Socotra-Signature.
func socotraHeader(body []byte) http.Header {
	h := http.Header{}
	h.Set("Socotra-Signature", SignHex(Secret, body))
	return h
}

func prepareFloor(_ testing.TB, body []byte) func() error {
	h := socotraHeader(body)
	return func() error {
		got, err := hex.DecodeString(h.Get("Socotra-Signature"))
		if err != nil {
			return err
		}
		m := hmac.New(sha256.New, Secret)
		m.Write(body)
		if !hmac.Equal(m.Sum(nil), got) {
			return errMismatch
		}
		return nil
	}
}

func prepareLimit(_ testing.TB, body []byte) func() error {
	h := socotraHeader(body)
	m := hmac.New(sha256.New, Secret)
	var want, got [sha256.Size]byte
	return func() error {
		v := h["Socotra-Signature"] // the canonical key: a plain map lookup
		if len(v) != 1 || !decodeHex(got[:], v[0]) {
			return errMismatch
		}
		m.Reset()
		m.Write(body)
		if !hmac.Equal(m.Sum(want[:0]), got[:]) {
			return errMismatch
		}
		return nil
	}
}

// unhex maps an ASCII byte to its hex value, or 0xff.
var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	for i, c := range "ABCDEF" {
		t[c] = byte(10 + i)
	}
	return t
}()

// decodeHex decodes s, of exactly twice dst's length, into dst without allocating.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, lo := unhex[s[2*i]], unhex[s[2*i+1]]
		if hi|lo == 0xff || hi > 15 || lo > 15 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func stripeBody(size int) []byte { return StripeEvent(size, stripe.APIVersion) }

// stripeHeader signs body the way Stripe does, timestamped now: the benchmarks run well inside the tolerance.
func stripeHeader(body []byte) string {
	now := time.Now()
	return fmt.Sprintf("t=%d,v1=%s", now.Unix(), hex.EncodeToString(stripewebhook.ComputeSignature(now, body, string(Secret))))
}

func prepareStripeValidate(_ testing.TB, body []byte) func() error {
	header, secret := stripeHeader(body), string(Secret)
	return func() error { return stripewebhook.ValidatePayload(body, header, secret) }
}

func prepareStripeConstruct(_ testing.TB, body []byte) func() error {
	header, secret := stripeHeader(body), string(Secret)
	return func() error {
		ev, err := stripewebhook.ConstructEvent(body, header, secret)
		if err == nil && len(ev.Data.Object) == 0 {
			err = errors.New("stripe: event decoded without data")
		}
		return err
	}
}

// standardHeaders signs body with the Standard Webhooks scheme, timestamped now.
func standardHeaders(tb testing.TB, body []byte, prefix string) http.Header {
	wh, err := standardwebhooks.NewWebhookRaw(Secret)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	sig, err := wh.Sign("msg_bench", now, body)
	if err != nil {
		tb.Fatal(err)
	}
	h := http.Header{}
	h.Set(prefix+"-id", "msg_bench")
	h.Set(prefix+"-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set(prefix+"-signature", sig)
	return h
}

func prepareStandard(tb testing.TB, body []byte) func() error {
	wh, err := standardwebhooks.NewWebhookRaw(Secret)
	if err != nil {
		tb.Fatal(err)
	}
	h := standardHeaders(tb, body, "webhook")
	return func() error { return wh.Verify(body, h) }
}

func prepareSvix(tb testing.TB, body []byte) func() error {
	wh, err := svix.NewWebhookRaw(Secret)
	if err != nil {
		tb.Fatal(err)
	}
	h := standardHeaders(tb, body, "svix")
	return func() error { return wh.Verify(body, h) }
}

// request is one reusable POST whose body is rewound before every use, so the harness allocates nothing.
type request struct {
	r    *http.Request
	rd   *bytes.Reader
	body io.ReadCloser
	raw  []byte
}

func newRequest(body []byte, h http.Header) *request {
	rd := bytes.NewReader(body)
	r := httptest.NewRequest(http.MethodPost, "/webhooks/socotra", nil)
	r.Header = h
	return &request{r: r, rd: rd, body: io.NopCloser(rd), raw: body}
}

// next rewinds the body and returns the request.
func (q *request) next() *http.Request {
	q.rd.Reset(q.raw)
	q.r.Body = q.body
	q.r.ContentLength = int64(len(q.raw))
	return q.r
}

// serve runs h on the request with a new httptest recorder and fails unless it answered 200.
func serve(h http.Handler, r *http.Request) error {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		return fmt.Errorf("status %d: %s", w.Code, w.Body.Bytes())
	}
	return nil
}

func prepareGoPlayground(tb testing.TB, body []byte) func() error {
	hook, err := ghwebhooks.New(ghwebhooks.Options.Secret(string(Secret)))
	if err != nil {
		tb.Fatal(err)
	}
	h := http.Header{}
	h.Set("X-GitHub-Event", string(ghwebhooks.PingEvent))
	h.Set("X-Hub-Signature-256", "sha256="+SignHex(Secret, body))
	q := newRequest(body, h)
	return func() error {
		_, err := hook.Parse(q.next(), ghwebhooks.PingEvent)
		return err
	}
}

func prepareBareRead(_ testing.TB, body []byte) func() error {
	q := newRequest(body, socotraHeader(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	return func() error { return serve(h, q.next()) }
}

func prepareHarness(_ testing.TB, body []byte) func() error {
	q := newRequest(body, socotraHeader(body))
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	return func() error { return serve(h, q.next()) }
}
