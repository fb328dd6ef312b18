package hmac

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"

	"github.com/socotra-go/sdk/internal/verified"
)

var errMethod = errors.New("hmac: method not allowed (see WithMethods)")

// verifiedBody is at once the restored request body, the request's new context (its parent plus one
// value) and the request passed on, so passing the verified bytes on costs one allocation and no copy.
type verifiedBody struct {
	context.Context
	bytes.Reader
	body []byte
	tag  string
	req  http.Request // the request next sees, whose context is this verifiedBody
}

// Close implements io.Closer for the restored body.
func (*verifiedBody) Close() error { return nil }

// Value answers the key of [VerifiedBody] and delegates every other key to the parent context.
func (vb *verifiedBody) Value(key any) any {
	if key == (verified.Key{}) {
		return vb
	}
	return vb.Context.Value(key)
}

// Verified implements verified.Carrier.
func (vb *verifiedBody) Verified(verified.Token) ([]byte, string) { return vb.body, vb.tag }

// Middleware returns a handler that lets a request reach next only when its signature verifies. It refuses,
// before next runs and with a short generic body:
//   - a method not allowed by [WithMethods] (default POST only) with 405 and an Allow header;
//   - a body larger than [WithMaxBodyBytes] (default 1 MiB) with 413;
//   - a body that cannot be read with 400;
//   - a missing, malformed or wrong signature with 401, never echoing any MAC.
//
// The reason goes to the logger of [WithLogger] with facts that help debugging: body length against
// Content-Length, the key tags tried, and the apparent encoding and length of each header value.
//
// On success next sees r.Body replaced by a reader over the identical bytes, and can take those bytes without
// reading or copying them with [VerifiedBody].
//
// Before the signature is checked, the memory a request costs is bounded by what it sent: the body buffer
// starts at Content-Length but at most 16 KiB, and grows only as bytes arrive (up to the limit), whatever
// Content-Length announces. Time is bounded by the
// http.Server: set its ReadHeaderTimeout, ReadTimeout, IdleTimeout and MaxHeaderBytes (package webhooks
// shows values), since a server without them lets a slow client hold a connection indefinitely.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	if next == nil {
		panic("hmac: Middleware needs a non-nil next handler")
	}
	if v.scheme == nil {
		panic(errZeroVerifier.Error())
	}
	direct, _ := next.(verified.Handler) // a receiver of this module, which takes the body as it is
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(v.methods, r.Method) {
			w.Header().Set("Allow", v.allow)
			v.refuse(w, r, http.StatusMethodNotAllowed, errMethod, -1)
			return
		}
		if r.ContentLength > v.maxBody {
			v.refuse(w, r, http.StatusRequestEntityTooLarge, ErrBodyTooLarge, -1)
			return
		}
		if !v.insecure && len(headerValues(r.Header, http.CanonicalHeaderKey(v.scheme.Header()))) == 0 {
			v.refuse(w, r, http.StatusUnauthorized, ErrMissingSignature, -1) // refused without reading the body
			return
		}
		body, err := readBody(w, r, v.maxBody)
		if err != nil {
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				v.refuse(w, r, http.StatusRequestEntityTooLarge, ErrBodyTooLarge, len(body))
			} else {
				v.refuse(w, r, http.StatusBadRequest, err, len(body))
			}
			return
		}
		tag, err := v.verify(body, r.Header)
		if err != nil {
			v.refuse(w, r, http.StatusUnauthorized, err, len(body))
			return
		}
		if v.log.Enabled(r.Context(), slog.LevelDebug) {
			v.log.LogAttrs(r.Context(), slog.LevelDebug, "hmac: signature verified",
				slog.String("path", r.URL.Path), slog.String("key_tag", displayTag(tag)), slog.Int("body_len", len(body)))
		}
		if direct != nil {
			direct.ServeVerified(w, r, body, tag, verified.Token{})
			return
		}
		vb := &verifiedBody{Context: r.Context(), body: body, tag: tag}
		vb.Reset(body)
		vb.req = *r.WithContext(vb) // WithContext is inlined and its copy stays on the stack
		r2 := &vb.req
		r2.Body = vb
		r2.ContentLength = int64(len(body))
		next.ServeHTTP(w, r2)
	})
}

// initialBodyBuffer is the most readBody allocates before any byte arrives. A body of announced length up
// to this size is read into one buffer of exactly that size; a longer one grows as its bytes arrive, so a
// client announcing a large Content-Length costs no more memory than it actually sends.
const initialBodyBuffer = 16 << 10

// readBody reads the whole body under http.MaxBytesReader. The buffer is sized from Content-Length up to
// initialBodyBuffer and then doubles as bytes arrive, never past Content-Length+1 or the limit+1, so an
// honest body of announced length is read with one allocation (a few for one above 16 KiB) and no copy of
// a short one, while memory before authentication stays within initialBodyBuffer or twice what the client
// sent, whichever is more.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return []byte{}, nil
	}
	src := http.MaxBytesReader(w, r.Body, limit)
	want, first := limit+1, int64(512) // room to see EOF, or the byte past the limit, without growing
	if r.ContentLength >= 0 {
		want = min(want, r.ContentLength+1)
		first = min(want, initialBodyBuffer+1)
	}
	buf := make([]byte, 0, first)
	for {
		if len(buf) == cap(buf) {
			next := min(2*int64(cap(buf)), want)
			if next <= int64(len(buf)) { // a body longer than it announced (the limit still holds)
				next = 2 * int64(len(buf))
			}
			grown := make([]byte, len(buf), next)
			copy(grown, buf)
			buf = grown
		}
		n, err := src.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// refuse answers with status and a generic body, and logs why with safe facts. bodyLen is -1 when the body
// was not read.
func (v *Verifier) refuse(w http.ResponseWriter, r *http.Request, status int, reason error, bodyLen int) {
	http.Error(w, http.StatusText(status), status)
	ctx := r.Context()
	if !v.log.Enabled(ctx, slog.LevelWarn) {
		return
	}
	attrs := []slog.Attr{
		slog.Int("status", status),
		slog.String("reason", reason.Error()),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int64("content_length", r.ContentLength),
		slog.Int64("max_body_bytes", v.maxBody),
	}
	if bodyLen >= 0 {
		attrs = append(attrs, slog.Int("body_len", bodyLen))
	}
	if status == http.StatusUnauthorized {
		active, inactive := v.keyFacts()
		values := headerValues(r.Header, http.CanonicalHeaderKey(v.scheme.Header()))
		prefix := ""
		if v.fast != nil {
			prefix = v.fast.prefix
		}
		attrs = append(attrs,
			slog.String("header", v.scheme.Header()),
			slog.Int("header_lines", len(values)),
			slog.Any("signatures", describe(values, prefix)),
			slog.Any("keys_tried", active),
			slog.Any("keys_inactive", inactive),
		)
	}
	v.log.LogAttrs(ctx, slog.LevelWarn, "hmac: request refused", attrs...)
}
