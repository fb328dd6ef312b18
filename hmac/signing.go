package hmac

import (
	"bytes"
	"io"
	"net/http"
)

// SignRequest sets [HeaderName] on r to the signature of its body under secret, as Socotra would with the
// default scheme. It reads the body (through r.GetBody when set) and leaves r.Body readable again. It is
// meant for tests of handlers that sit behind [Verifier.Middleware].
func SignRequest(r *http.Request, secret []byte) error {
	if len(secret) == 0 {
		return ErrEmptySecret
	}
	var body []byte
	switch {
	case r.GetBody != nil:
		rc, err := r.GetBody()
		if err != nil {
			return err
		}
		body, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
	case r.Body != nil && r.Body != http.NoBody:
		var err error
		body, err = io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	return defaultScheme.Sign(r.Header, secret, body)
}

// NewSignedRequest returns a request with body, signed under secret as by [SignRequest]; use
// httptest.NewRecorder and the handler, or an http.Client, to deliver it.
func NewSignedRequest(method, url string, body, secret []byte) (*http.Request, error) {
	if len(secret) == 0 {
		return nil, ErrEmptySecret
	}
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return r, defaultScheme.Sign(r.Header, secret, body)
}
