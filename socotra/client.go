package socotra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// checkBaseURL accepts an absolute http or https URL without query or fragment.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", errorf("base URL %s is not an absolute http(s) URL without query, such as https://api.sandbox.socotra.com", shownURL(raw))
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// decode reads a 2xx body into a T. An empty or unparsable body, or one that
// check rejects, is an [*APIError] matching [ErrUnexpectedResponse].
func decode[T any](resp *http.Response, secrets []string, check func(*T) error) (T, error) {
	var v T
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return v, fmt.Errorf("socotra: %s %s: read response: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return v, newAPIError(resp, body, "empty body where JSON was expected", secrets)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return v, newAPIError(resp, body, "body is not the expected JSON: "+err.Error(), secrets)
	}
	if check != nil {
		if err := check(&v); err != nil {
			return v, newAPIError(resp, body, err.Error(), secrets)
		}
	}
	return v, nil
}

// done discards the body of a call whose answer carries no data.
func done(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// ptrIf returns &v, or nil when v is the zero value.
func ptrIf[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func sliceIf[T any](s []T) *[]T {
	if len(s) == 0 {
		return nil
	}
	return &s
}
