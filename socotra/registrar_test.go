package socotra

import (
	"errors"
	"slices"
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
		{"default", DefaultFailureHandling(), &LegacyFailureHandling{StatusCodes: append(codes4xx, codes5xx...), OnTimeout: true, Mode: FailureNone}, LegacyRetryNone},
		{"recommended", RecommendedFailureHandling(), &LegacyFailureHandling{StatusCodes: append(codes4xx, codes5xx...), OnTimeout: true, Mode: FailureDivert}, LegacyRetryThree},
		{"no triggers means the default ones", FailureHandling{Divert: true}, &LegacyFailureHandling{StatusCodes: append(codes4xx, codes5xx...), OnTimeout: true, Mode: FailureDivert}, LegacyRetryNone},
		{"divert with one retry", FailureHandling{Triggers: []string{"503"}, Divert: true, Retry: &RetryStrategy{Attempts: 1}},
			&LegacyFailureHandling{StatusCodes: []string{"503"}, Mode: FailureDivert}, LegacyRetryOne},
		{"suspend with many retries", FailureHandling{Triggers: []string{"TIMEOUT"}, Suspend: true, Retry: &RetryStrategy{Attempts: 7}},
			&LegacyFailureHandling{OnTimeout: true, Mode: FailureSuspend}, LegacyRetryThree},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, retry, err := legacyFailure(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" || retry != tt.retry {
				t.Errorf("legacyFailure (-want +got):\n%s retry = %q, want %q", d, retry, tt.retry)
			}
		})
	}
}

// TestFailureMappingRoundTrip: Core failure handling taken to Legacy and back keeps the mode, the retries
// (one, or three for any other count) and the triggers, classes expanded to their codes.
func TestFailureMappingRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in, want FailureHandling
	}{
		{"recommended", RecommendedFailureHandling(),
			FailureHandling{Triggers: append(append(slices.Clone(codes4xx), codes5xx...), "timeout"), Divert: true, Retry: &RetryStrategy{Attempts: 3}}},
		{"suspend, one retry", FailureHandling{Triggers: []string{"503", "timeout"}, Suspend: true, Retry: &RetryStrategy{Type: RetryLinear, Attempts: 1}},
			FailureHandling{Triggers: []string{"503", "timeout"}, Suspend: true, Retry: &RetryStrategy{Attempts: 1}}},
		{"no retry, no mode", FailureHandling{Triggers: []string{"500"}},
			FailureHandling{Triggers: []string{"500"}}},
		{"seven attempts become three", FailureHandling{Triggers: []string{"500"}, Retry: &RetryStrategy{Attempts: 7}},
			FailureHandling{Triggers: []string{"500"}, Retry: &RetryStrategy{Attempts: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lf, retry, err := legacyFailure(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(&tt.want, coreFailure(*lf, retry)); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
		})
	}
	if got := coreFailure(LegacyFailureHandling{Mode: "later"}, "twice"); got.Retry != nil || got.Divert || got.Suspend {
		t.Errorf("unknown mode and retry strategy mapped to %+v, want neither retries nor a mode", got)
	}
}

// The codes net/http names in each class: what a class trigger becomes on Legacy.
var (
	codes4xx = []string{"400", "401", "402", "403", "404", "405", "406", "407", "408", "409", "410", "411", "412", "413",
		"414", "415", "416", "417", "418", "421", "422", "423", "424", "425", "426", "428", "429", "431", "451"}
	codes5xx = []string{"500", "501", "502", "503", "504", "505", "506", "507", "508", "510", "511"}
)

func TestLegacyStatusCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      []string
		want    []string
		timeout bool
		err     string
	}{
		{[]string{"503"}, []string{"503"}, false, ""},
		{[]string{"5xx", "503", "timeout"}, codes5xx, true, ""},
		{[]string{"5XX"}, codes5xx, false, ""},
		{[]string{"Timeout"}, nil, true, ""},
		{[]string{"4xx", "500"}, append(slices.Clone(codes4xx), "500"), false, ""},
		{[]string{"6xx"}, nil, false, `"6xx"`},
		{[]string{"50"}, nil, false, `"50"`},
		{[]string{"600"}, nil, false, `"600"`},
		{[]string{"any"}, nil, false, `"any"`},
	}
	for _, tt := range tests {
		got, timeout, err := LegacyStatusCodes(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalidInput) {
				t.Errorf("LegacyStatusCodes(%q) error = %v, want one naming %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) || timeout != tt.timeout {
			t.Errorf("LegacyStatusCodes(%q) = %q, %v, %v; want %q, %v", tt.in, got, timeout, err, tt.want, tt.timeout)
		}
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
		{"core-only event on legacy", func(r *Registration) { r.Events = []events.Name{"policy.create", events.ClaimFnolCreate} },
			[]string{`event "claim.fnol.create" is sent only by Core (Enterprise Core), never by Legacy (Connected Core)`, `nearest Legacy (Connected Core) name is "claim.create"`}},
		{"unknown event passes", func(r *Registration) { r.Events = []events.Name{"acme.custom.thing"} }, nil},
		{"userinfo", func(r *Registration) { r.URL = "https://bob:hunter2@x.example/h" }, []string{"carries userinfo", `"https://[REDACTED]@x.example/h"`}},
		{"unparsable with userinfo", func(r *Registration) { r.URL = "https://bob:hunter2@x.example:port/h" }, []string{"not an absolute", "not shown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ok
			tt.edit(&r)
			err := r.check(t.Context(), nil, events.Legacy)
			if (err == nil) != (tt.want == nil) {
				t.Fatalf("check = %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password", err)
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
