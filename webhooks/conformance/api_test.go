package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/conformance"
)

// TestInvalidConfiguration: every mistake in the arguments is reported at once, before anything runs.
func TestInvalidConfiguration(t *testing.T) {
	t.Parallel()
	ok := http.NotFoundHandler()
	tests := []struct {
		name   string
		h      http.Handler
		secret []byte
		opts   []conformance.Option
		says   []string
	}{
		{"nil handler", nil, secret, nil, []string{"the handler is nil"}},
		{"empty secret", ok, nil, nil, []string{"the secret is empty"}},
		{"options", ok, secret, []conformance.Option{
			conformance.WithTimeout(0), conformance.WithMaxBodyBytes(10), conformance.WithPlatform(0),
			conformance.WithEvent("Not A Name", nil), conformance.WithPath("hooks"), conformance.WithSkip("nope"),
			conformance.WithHeader("socotra-signature", "x"), conformance.WithProcessingDelay(-time.Second),
		}, []string{"WithProcessingDelay: want a duration of 0 or more, got -1s",
			"WithHeader: want a header name other than Socotra-Signature, got socotra-signature",
			"WithTimeout: want a positive duration, got 0s", "WithMaxBodyBytes: want at least 1024 bytes",
			"WithPlatform: want events.Core, events.Legacy or both", "WithEvent: events:",
			"WithPath: want a path starting with '/', got hooks", "WithSkip: unknown scenario nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep, err := conformance.Check(t.Context(), tt.h, tt.secret, tt.opts...)
			if rep != nil || !errors.Is(err, conformance.ErrInvalidOption) {
				t.Fatalf("Check = %v, %v; want ErrInvalidOption", rep, err)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestCancelled: a cancelled context stops Check with the context's error.
func TestCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := conformance.Check(ctx, flaws{}.handler(secret, nil), secret)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// recorder is a testing.TB that records what Run reports.
type recorder struct {
	testing.TB
	ctx                context.Context
	errs, logs, fatals []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Context() context.Context  { return r.ctx }
func (r *recorder) Errorf(f string, a ...any) { r.errs = append(r.errs, fmt.Sprintf(f, a...)) }
func (r *recorder) Logf(f string, a ...any)   { r.logs = append(r.logs, fmt.Sprintf(f, a...)) }
func (r *recorder) Fatalf(f string, a ...any) { r.fatals = append(r.fatals, fmt.Sprintf(f, a...)) }

// TestRunReports: Run fails the test once per problem, with the platform, scenario, message and event id;
// logs skipped scenarios; and stops the test when the check cannot run.
func TestRunReports(t *testing.T) {
	t.Parallel()
	rec := &recorder{TB: t, ctx: t.Context()}
	rep := conformance.Run(rec, flaws{unknownStatus: 500}.handler(secret, nil), secret,
		conformance.WithTimeout(timeout), conformance.WithSkip(conformance.ScenarioSlow))
	if rep == nil || len(rec.errs) != 1 || len(rec.fatals) != 0 {
		t.Fatalf("report %v, errors %q, fatals %q", rep, rec.errs, rec.fatals)
	}
	if e := rec.errs[0]; !strings.HasPrefix(e, "conformance: core unknown-type: answered 500 for an unknown event type") ||
		!strings.Contains(e, "(event ") {
		t.Errorf("error %q", e)
	}
	logs := strings.Join(rec.logs, "\n")
	for _, want := range []string{"processing not observed", "core slow skipped: left out with WithSkip",
		"core retry skipped: needs a Probe"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs %q do not say %q", logs, want)
		}
	}

	rec = &recorder{TB: t, ctx: t.Context()}
	if rep := conformance.Run(rec, nil, secret); rep != nil || len(rec.fatals) != 1 {
		t.Errorf("Run(nil handler) = %v, fatals %q", rep, rec.fatals)
	}
}

// TestProbe: Observe and Wrap count successful processing only, concurrently, and the zero Probe works.
func TestProbe(t *testing.T) {
	t.Parallel()
	var p conformance.Probe
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if err := p.Observe("a"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	fail := errors.New("boom")
	wrapped := p.Wrap(func(_ context.Context, ev *webhooks.Event) error {
		if ev.ID == "bad" {
			return fail
		}
		return nil
	})
	if err := wrapped(t.Context(), &webhooks.Event{ID: "b"}); err != nil {
		t.Fatal(err)
	}
	if err := wrapped(t.Context(), &webhooks.Event{ID: "bad"}); !errors.Is(err, fail) {
		t.Fatalf("err = %v", err)
	}
	for id, want := range map[string]int{"a": 50, "b": 1, "bad": 0, "never": 0} {
		if got := p.Processed(id); got != want {
			t.Errorf("Processed(%q) = %d, want %d", id, got, want)
		}
	}
}

// TestStuckHandler: a handler that never returns is reported as not answering, and Check returns anyway.
func TestStuckHandler(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stuck := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release })
	rep, err := conformance.Check(t.Context(), stuck, secret, conformance.WithTimeout(100*time.Millisecond),
		only(conformance.ScenarioValid))
	if err != nil {
		t.Fatal(err)
	}
	if ps := rep.Problems(); len(ps) != 1 || !strings.HasPrefix(ps[0].Message, "did not answer within the timeout (100ms)") {
		t.Errorf("problems %v", ps)
	}
}
