package socotra

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestErrorSentinels(t *testing.T) {
	t.Parallel()
	all := []error{ErrNotFound, ErrUnauthorized, ErrForbidden, ErrConflict, ErrRateLimited, ErrServer, ErrUnexpectedResponse}
	tests := []struct {
		status int
		want   error
	}{
		{404, ErrNotFound}, {401, ErrUnauthorized}, {403, ErrForbidden}, {409, ErrConflict},
		{429, ErrRateLimited}, {500, ErrServer}, {502, ErrServer}, {400, nil}, {422, nil},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			rec := newRecorder(t)
			rec.Mux.Handle("GET /event/{t}/webhooks/{loc}", reply(tt.status, `{"message":"m"}`))
			c := newTestCore(t, rec)
			_, err := c.Webhook(t.Context(), whLoc)
			var ae *APIError
			if !errors.As(err, &ae) || ae.StatusCode != tt.status {
				t.Fatalf("err = %v, want an APIError with status %d", err, tt.status)
			}
			for _, s := range all {
				if got := errors.Is(err, s); got != (s == tt.want) {
					t.Errorf("errors.Is(err, %v) = %v", s, got)
				}
			}
		})
	}
}

func TestAPIErrorFromLegacyException(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	rec.Mux.HandleFunc("GET /webhooks/{name}", func(w http.ResponseWriter, r *http.Request) {
		reply(400, `{"apiErrorCode":"VALIDATION","httpErrorCode":400,"httpStatus":"BAD_REQUEST","message":"invalid webhook",
		 "fieldErrors":[{"field":"events[0]","message":"unknown event"},"name too long"],"referenceId":"ref-42",
		 "requestMethod":"GET","requestUri":"/webhooks/x"}`)(w, r)
	})
	c := newTestLegacy(t, rec, LegacyCredentials{Token: "tok-abcdef"})
	_, err := c.Webhook(t.Context(), "x")
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	want := &APIError{StatusCode: 400, Code: "VALIDATION", Message: "invalid webhook", RequestID: "ref-42",
		FieldErrors: []FieldError{{"events[0]", "unknown event"}, {"", "name too long"}}, Method: "GET", Path: "/webhooks/x"}
	if d := cmp.Diff(want, ae, cmpopts.IgnoreFields(APIError{}, "Body")); d != "" {
		t.Errorf("APIError (-want +got):\n%s", d)
	}
	const msg = `socotra: GET /webhooks/x: 400 Bad Request: invalid webhook; events[0]: unknown event; : name too long (code VALIDATION, reference ref-42)`
	if ae.Error() != msg {
		t.Errorf("Error() =\n%s\nwant\n%s", ae.Error(), msg)
	}
}

func TestAPIErrorBodyTruncatedAndRequestIDHeader(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	rec.Mux.HandleFunc("GET /event/{t}/webhooks/{loc}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-9")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(502)
		w.Write(bytes.Repeat([]byte("x"), 10000))
	})
	c := newTestCore(t, rec)
	_, err := c.Webhook(t.Context(), whLoc)
	var ae *APIError
	if !errors.As(err, &ae) || ae.RequestID != "req-9" || len(ae.Body) > maxErrorBody+20 || !strings.HasSuffix(ae.Body, "(truncated)") {
		t.Errorf("APIError = %+v", ae)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"5", 5 * time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"-1", 0, false}, {"soon", 0, false}, {"", 0, false},
		// 584 years overflowed time.Duration and became 0.29 s: clamp to a year.
		{"18446744074", maxRetryAfterHeader, true},
		{"99999999999999999999999", maxRetryAfterHeader, true},
		{"31536001", maxRetryAfterHeader, true},
		{"31536000", 365 * 24 * time.Hour, true},
		{now.AddDate(300, 0, 0).Format(http.TimeFormat), maxRetryAfterHeader, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		h.Set("Retry-After", tt.v)
		if got, ok := retryAfter(h, now); got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

// TestRedaction makes every kind of failure happen with a known token,
// password and secret, and looks for them in the errors and the debug log.
func TestRedaction(t *testing.T) {
	t.Parallel()
	const (
		token    = "tok-SENSITIVE-1234"
		secret   = "whsec-SENSITIVE-5678"
		password = "pw-SENSITIVE-9012"
	)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// Failures echo the request, credentials included, in free text.
		echo := strconv.Quote("refused " + r.Header.Get("Authorization") + " " + string(body))
		switch {
		case r.URL.Path == "/account/authenticate" && strings.Contains(string(body), `"bad"`):
			reply(401, `{"message":`+echo+`}`)(w, r)
		case r.URL.Path == "/account/authenticate":
			reply(200, `{"authorizationToken":"`+token+`","expiresTimestamp":1}`)(w, r)
		case r.Method == http.MethodPost:
			reply(400, `{"message":`+echo+`,"secret":"`+secret+`","authorizationToken":"`+token+`"}`)(w, r)
		default:
			reply(500, `{"message":`+echo+`,"endpoint":{"secret":"`+secret+`"}}`)(w, r)
		}
	}))
	defer srv.Close()
	var errs []error
	core, _ := NewCoreClient(srv.URL, testTenant, token, WithLogger(logger), WithRetry(2, 0, 0))
	_, err := core.CreateWebhook(t.Context(), Webhook{Name: "n", Endpoint: Endpoint{URL: "https://x", Secret: secret, HMAC: true}})
	errs = append(errs, err)
	_, err = core.Webhook(t.Context(), whLoc)
	errs = append(errs, err)
	legacy, _ := NewLegacyClient(srv.URL, LegacyCredentials{Username: "u", Password: password, HostName: "h"}, WithLogger(logger), WithRetry(2, 0, 0))
	_, err = listAll(legacy.Webhooks(t.Context()))
	errs = append(errs, err)
	_, err = legacy.CreateIntegration(t.Context(), Integration{Name: "i", URL: "https://x", Security: &SecuritySpec{Secret: secret}})
	errs = append(errs, err)
	bad, _ := NewLegacyClient(srv.URL, LegacyCredentials{Username: "bad", Password: password, HostName: "h"}, WithLogger(logger))
	_, err = listAll(bad.Webhooks(t.Context()))
	errs = append(errs, err)

	var text strings.Builder
	for _, err := range errs {
		if err == nil {
			t.Fatal("expected every call to fail")
		}
		var ae *APIError
		if errors.As(err, &ae) {
			text.WriteString(ae.Body + "\n" + ae.Message + "\n")
		}
		text.WriteString(err.Error() + "\n")
	}
	logger.Info("values", "endpoint", Endpoint{Secret: secret}, "spec", SecuritySpec{Secret: secret})
	text.WriteString(logs.String())
	text.WriteString(Endpoint{Secret: secret}.String() + Registration{Secret: secret}.String() +
		LegacyCredentials{Password: password, Token: token}.String() + SecuritySpec{Secret: secret}.String())
	for _, s := range []string{token, secret, password} {
		if strings.Contains(text.String(), s) {
			t.Errorf("%q leaked:\n%s", s, text.String())
		}
	}
	if !strings.Contains(text.String(), redacted) || !strings.Contains(logs.String(), "request done") {
		t.Errorf("expected redaction markers and request logs:\n%s", text.String())
	}
}

func FuzzAPIError(f *testing.F) {
	f.Add([]byte(`{"apiErrorCode":"X","message":"m","fieldErrors":[{"field":"a","message":"b"},"c"],"referenceId":"r"}`), 400)
	f.Add([]byte(`{"token":"abc\"def","secret":"`), 500)
	f.Add([]byte(`[1,2]`), 404)
	f.Add([]byte(`{"apiErrorCode":"literal-secret","referenceId":"literal-secret","fieldErrors":[{"field":"literal-secret","message":"literal\u002dsecret"}]}`), 400)
	f.Add([]byte("\xff\xfe"), 200)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		if status < 100 || status > 999 {
			status = 500
		}
		req := httptest.NewRequest("GET", "/p", nil)
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Request: req}
		e := newAPIError(resp, body, "", []string{"literal-secret"})
		if len(e.Body) > maxErrorBody+len("…(truncated)") {
			t.Errorf("Body is %d bytes", len(e.Body))
		}
		if strings.Contains(fmt.Sprintf("%s|%s|%s|%s|%v|%s", e.Body, e.Message, e.Code, e.RequestID, e.FieldErrors, e.Error()), "literal-secret") {
			t.Errorf("secret kept: %q", e.Error())
		}
		_ = e.Error()
	})
}
