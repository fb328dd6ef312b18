package socotra

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sentinels matched with errors.Is by an [*APIError] of the matching status.
var (
	ErrNotFound     = errors.New("socotra: not found")    // 404
	ErrUnauthorized = errors.New("socotra: unauthorized") // 401
	ErrForbidden    = errors.New("socotra: forbidden")    // 403
	ErrConflict     = errors.New("socotra: conflict")     // 409
	ErrRateLimited  = errors.New("socotra: rate limited") // 429
	ErrServer       = errors.New("socotra: server error") // 5xx
	// ErrUnexpectedResponse is matched by an [*APIError] for a 2xx answer whose
	// body is not what the operation returns (unparsable JSON, wrong shape).
	ErrUnexpectedResponse = errors.New("socotra: unexpected response")
	// ErrInvalidInput is matched by every error about a bad argument or option,
	// returned before anything is sent.
	ErrInvalidInput = errors.New("socotra: invalid input")
)

// maxErrorBody is how much of a response body an [APIError] keeps.
const maxErrorBody = 2048

// APIError is the one error type for an answer the platform gave but the
// caller did not want: any status outside 2xx, or a 2xx whose body could not be
// used. Tokens, passwords and secrets are redacted from Body and Message.
type APIError struct {
	StatusCode  int           // HTTP status, such as 404
	Code        string        // platform error code (Legacy apiErrorCode), when sent
	Message     string        // platform message, or what was wrong with a 2xx body
	RequestID   string        // Legacy referenceId or the request id header, when sent
	FieldErrors []FieldError  // per-field validation problems, when sent
	Method      string        // HTTP method of the request
	Path        string        // URL path of the request (no host, no query)
	RetryAfter  time.Duration // the server's Retry-After on 429/503, when sent
	Body        string        // raw body, truncated to 2 KiB and redacted
}

// FieldError is one validation problem the platform reported for a field.
type FieldError struct {
	Field   string
	Message string
}

// Error returns, for example,
// `socotra: GET /webhooks/x: 404 Not Found: webhook x not found (code WEBHOOK_NOT_FOUND, reference 7f3a)`.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "socotra: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	for _, f := range e.FieldErrors {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	var extra []string
	if e.Code != "" {
		extra = append(extra, "code "+e.Code)
	}
	if e.RequestID != "" {
		extra = append(extra, "reference "+e.RequestID)
	}
	if e.RetryAfter > 0 {
		extra = append(extra, "retry after "+e.RetryAfter.String())
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	return b.String()
}

// Is reports whether the status matches one of the sentinels: [ErrNotFound],
// [ErrUnauthorized], [ErrForbidden], [ErrConflict], [ErrRateLimited],
// [ErrServer], or [ErrUnexpectedResponse] for a 2xx.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500
	case ErrUnexpectedResponse:
		return e.StatusCode >= 200 && e.StatusCode < 300
	}
	return false
}

// newAPIError is the one place an APIError is built. secrets are literal
// values (tokens, passwords) to scrub from anything kept.
func newAPIError(resp *http.Response, body []byte, message string, secrets []string) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, Message: message}
	if req := resp.Request; req != nil {
		e.Method, e.Path = req.Method, req.URL.Path
		carried, _ := req.Context().Value(secretsKey{}).([]string)
		secrets = append(slices.Clip(secrets), carried...)
	}
	// The answer may hold credentials the request did not carry (another
	// webhook's headers or secret in a conflict report): scrub those too.
	secrets = append(slices.Clip(secrets), secretsIn(body)...)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		e.RetryAfter, _ = retryAfter(resp.Header, time.Now())
	}
	e.RequestID = firstHeader(resp.Header, "X-Request-Id", "X-Amzn-Requestid", "X-Correlation-Id")
	if message == "" {
		parseErrorBody(e, body)
	}
	e.scrub(secrets)
	e.Body = truncate(redact(string(body), secrets), maxErrorBody)
	return e
}

// scrub redacts every text member that came from the platform's answer:
// an API may echo the request (a secret, a header, a key) in any of them.
func (e *APIError) scrub(secrets []string) {
	e.Code = redact(e.Code, secrets)
	e.Message = redact(e.Message, secrets)
	e.RequestID = redact(e.RequestID, secrets)
	for i := range e.FieldErrors {
		f := &e.FieldErrors[i]
		f.Field, f.Message = redact(f.Field, secrets), redact(f.Message, secrets)
	}
}

// parseErrorBody fills e from the Legacy ExceptionResponse or any similar JSON
// object; the Core error shape is unpublished, so common member names are
// tried and anything else is left in Body.
func parseErrorBody(e *APIError, body []byte) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return
	}
	e.Code = firstString(m, "apiErrorCode", "errorCode", "code")
	e.Message = firstString(m, "message", "errorMessage", "detail", "error_description", "error", "title")
	if id := firstString(m, "referenceId", "requestId", "traceId"); id != "" {
		e.RequestID = id
	}
	var items []json.RawMessage
	if json.Unmarshal(m["fieldErrors"], &items) != nil {
		return
	}
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			e.FieldErrors = append(e.FieldErrors, FieldError{Message: s})
			continue
		}
		var fm map[string]json.RawMessage
		if json.Unmarshal(it, &fm) == nil {
			e.FieldErrors = append(e.FieldErrors, FieldError{
				Field:   firstString(fm, "field", "fieldName", "path", "name"),
				Message: firstString(fm, "message", "error", "description", "code"),
			})
		}
	}
}

// firstString returns the first of keys whose value is a JSON string or number.
func firstString(m map[string]json.RawMessage, keys ...string) string {
	for _, k := range keys {
		raw, ok := m[k]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return s
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
	}
	return ""
}

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// credentialName matches a JSON member or header name that says it holds a
// credential, such as "authorizationToken", "secret", "password" or "x-api-key".
const credentialName = `(?:token|secret|password|passwd|authorization|api[-_]?key|credential|cookie)`

// secretMember matches a JSON string member whose name says it holds a
// credential.
var secretMember = regexp.MustCompile(`(?i)("[a-z0-9_-]*` + credentialName + `[a-z0-9_-]*"\s*:\s*)"(?:[^"\\]|\\.)*("|$)`)

// secretValue captures the value of a credential-named JSON string member.
var secretValue = regexp.MustCompile(`(?i)"[a-z0-9_-]*` + credentialName + `[a-z0-9_-]*"\s*:\s*"((?:[^"\\]|\\.)*)"`)

var (
	credentialKey = regexp.MustCompile(`(?i)` + credentialName)
	headersKey    = regexp.MustCompile(`(?i)^(add)?headers$`)
)

// secretsIn returns the credential values a JSON request body carries, so
// that an error echoing them can be scrubbed: every string under a member
// named like a credential, and every header value (the members of
// "headers", "addHeaders" and the like, which may hold the app's own
// credentials).
func secretsIn(body []byte) []string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		var out []string
		for _, m := range secretValue.FindAllSubmatch(body, -1) {
			out = append(out, string(m[1]))
		}
		return out
	}
	var out []string
	var walk func(v any, all bool)
	walk = func(v any, all bool) {
		switch v := v.(type) {
		case string:
			if all {
				out = append(out, v)
			}
		case []any:
			for _, x := range v {
				walk(x, all)
			}
		case map[string]any:
			for k, x := range v {
				walk(x, all || credentialKey.MatchString(k) || headersKey.MatchString(k))
			}
		}
	}
	walk(v, false)
	return out
}

// redact removes credentials from s: the values of JSON members named like a
// credential, and every literal in secrets (as written, and as escaped in a
// JSON string).
func redact(s string, secrets []string) string {
	s = secretMember.ReplaceAllString(s, `$1"`+redacted+`"`)
	for _, v := range secrets {
		if len(v) < 4 {
			continue
		}
		s = strings.ReplaceAll(s, v, redacted)
		if q, err := json.Marshal(v); err == nil {
			if esc := string(q[1 : len(q)-1]); esc != v {
				s = strings.ReplaceAll(s, esc, redacted)
			}
		}
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…(truncated)"
}

// maxRetryAfterHeader is the longest Retry-After the client believes: a
// larger value (or one too large to be a time.Duration, which would wrap
// around to a short wait) counts as this long.
const maxRetryAfterHeader = 365 * 24 * time.Hour

// retryAfter parses a Retry-After header: delay seconds or an HTTP date,
// clamped to maxRetryAfterHeader.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if strings.Trim(v, "0123456789") == "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(maxRetryAfterHeader/time.Second) { // too many digits for int64, or over a year
			return maxRetryAfterHeader, true
		}
		return time.Duration(n) * time.Second, true
	}
	if strings.HasPrefix(v, "-") {
		return 0, false
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfterHeader), true
}

// inputError reports a bad argument or option; it matches [ErrInvalidInput].
// It may wrap the error that explains it (such as an events.SyntaxError).
type inputError struct {
	msg string
	err error
}

func (e *inputError) Error() string        { return "socotra: " + e.msg }
func (e *inputError) Is(target error) bool { return target == ErrInvalidInput }
func (e *inputError) Unwrap() error        { return e.err }

// errorf formats an inputError; a %w verb in format is wrapped.
func errorf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &inputError{msg: err.Error(), err: errors.Unwrap(err)}
}
