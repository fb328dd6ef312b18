package socotra

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/socotra-go/sdk/events"
)

func TestLegacyFailureMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    FailureHandling
		want  *LegacyFailureHandling
		retry LegacyRetry
	}{
		{"default", DefaultFailureHandling(), &LegacyFailureHandling{StatusCodes: []string{"4xx", "5xx"}, OnTimeout: true, Mode: FailureNone}, LegacyRetryNone},
		{"divert with one retry", FailureHandling{Triggers: []string{"503"}, Divert: true, Retry: &RetryStrategy{Attempts: 1}},
			&LegacyFailureHandling{StatusCodes: []string{"503"}, Mode: FailureDivert}, LegacyRetryOne},
		{"suspend with many retries", FailureHandling{Triggers: []string{"TIMEOUT"}, Suspend: true, Retry: &RetryStrategy{Attempts: 7}},
			&LegacyFailureHandling{OnTimeout: true, Mode: FailureSuspend}, LegacyRetryThree},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, retry := legacyFailure(tt.in)
			if d := cmp.Diff(tt.want, got); d != "" || retry != tt.retry {
				t.Errorf("legacyFailure (-want +got):\n%s retry = %q, want %q", d, retry, tt.retry)
			}
		})
	}
}

func TestRegistrationCheck(t *testing.T) {
	t.Parallel()
	ok := Registration{Name: "a", URL: "https://x.example/h", Events: []events.Name{"policy.create"}}
	tests := []struct {
		name string
		edit func(r *Registration)
		want []string
	}{
		{"valid", func(*Registration) {}, nil},
		{"everything wrong", func(r *Registration) {
			r.Name, r.URL, r.Events, r.Tag = "", "x.example", nil, "v1"
		}, []string{"empty Name", "not an absolute", "no Events", "Tag needs a Secret"}},
		{"malformed event", func(r *Registration) { r.Events = []events.Name{"policy..create"} }, []string{"policy..create"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ok
			tt.edit(&r)
			err := r.check()
			if (err == nil) != (tt.want == nil) {
				t.Fatalf("check = %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if err != nil && !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error does not match ErrInvalidInput: %v", err)
			}
			if strings.Contains(tt.name, "malformed") && !errors.Is(err, events.ErrMalformedName) {
				t.Errorf("error does not wrap events.ErrMalformedName: %v", err)
			}
		})
	}
}

func TestRegistrarRejectsBadInputWithoutCalls(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := newTestCore(t, rec)
	l := newTestLegacy(t, rec, LegacyCredentials{Token: "tok-x1"})
	for _, reg := range []Registrar{c.Registrar(), l.Registrar()} {
		if err := reg.Register(t.Context(), Registration{Name: "x"}); err == nil {
			t.Error("Register accepted a registration without URL and events")
		}
		if err := reg.Unregister(t.Context(), ""); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Unregister(\"\") = %v", err)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
