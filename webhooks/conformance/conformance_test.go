package conformance_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/conformance"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var secret = []byte("whsec-conformance")

// timeout is the answer time every test allows; a conforming handler answers in microseconds.
const timeout = 2 * time.Second

// only skips every scenario but s.
func only(s conformance.Scenario) conformance.Option {
	return conformance.WithSkip(slices.DeleteFunc(conformance.Scenarios(), func(x conformance.Scenario) bool {
		return x == s
	})...)
}

// TestCatchesEachMistake: each broken receiver is reported, in the scenario that exposes it, with a message
// saying what it did, and nothing else is reported.
func TestCatchesEachMistake(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		flaws flaws
		opts  []conformance.Option
		want  conformance.Scenario
		says  string
		// others: other scenarios may report problems too
		others bool
	}{
		{name: "no dedupe", others: true, flaws: flaws{noDedupe: true}, want: conformance.ScenarioDuplicate,
			says: "processed the same event 2 times when Socotra delivered it twice"},
		{name: "racy dedupe", flaws: flaws{racyDedupe: true}, want: conformance.ScenarioConcurrent,
			says: "times when it was delivered 5 times at once; claim the event id atomically"},
		{name: "repeat refused", flaws: flaws{repeatStatus: 409}, want: conformance.ScenarioDuplicate,
			says: "answered 409 to a second delivery of an event it had already processed"},
		{name: "accepts forged signature", flaws: flaws{noVerify: true}, want: conformance.ScenarioForged,
			says: "accepted a forged signature (answered 200)"},
		{name: "processes before verifying", others: true, flaws: flaws{observeFirst: true}, want: conformance.ScenarioForged,
			says: "processed an event that came with a forged signature"},
		{name: "500 on unknown type", flaws: flaws{unknownStatus: 500}, want: conformance.ScenarioUnknownType,
			says: "answered 500 for an unknown event type, which makes Socotra retry forever"},
		{name: "400 on unknown type", flaws: flaws{unknownStatus: 400}, want: conformance.ScenarioUnknownType,
			says: "answered 400 for an unknown event type; Socotra counts a 4xx as a failure"},
		{name: "no body limit", flaws: flaws{noLimit: true}, want: conformance.ScenarioOversized,
			says: "answered 200 to an oversized body (1048577 bytes, limit 1048576)"},
		{name: "limit too small", flaws: flaws{limit: 4096}, want: conformance.ScenarioOversized,
			says: "refused a delivery of 1048576 bytes, within the limit of 1048576 (answered 413)"},
		{name: "200 on error loses the event", flaws: flaws{failStatus: 200}, want: conformance.ScenarioRetry,
			says: "answered 200 although processing failed, so Socotra will not deliver the event again and it is lost"},
		{name: "400 on error", flaws: flaws{failStatus: 400}, want: conformance.ScenarioRetry,
			says: "answered 400 when processing failed; answer 5xx"},
		{name: "marked done before processing", flaws: flaws{markDoneFirst: true}, want: conformance.ScenarioRetry,
			says: "answered 200 to the redelivery after a failure without processing the event, so it is lost"},
		{name: "claim kept after failure", flaws: flaws{keepClaim: true}, want: conformance.ScenarioRetry,
			says: "answered 409 to the redelivery after a failure too, so the event is never processed"},
		{name: "refuses late events", flaws: flaws{maxAge: 5 * time.Minute}, want: conformance.ScenarioLate,
			says: "answered 400 to an event that happened 6h0m0s before it was delivered"},
		{name: "drops out-of-order events", others: true, flaws: flaws{dropOlder: true}, want: conformance.ScenarioReordered,
			says: "answered 200 to an event that arrived after a newer one but never processed it"},
		{name: "refuses unknown fields", flaws: flaws{strict: true}, want: conformance.ScenarioNewFields,
			says: `answered 400 to a delivery with a field it does not know ("conformanceNewField", at the top and in the data)`},
		{name: "500 on malformed body", flaws: flaws{malformed500: true}, want: conformance.ScenarioMalformed,
			says: "answered 500 to a signed body that is not a delivery (truncated JSON); answer 400"},
		{name: "panics on malformed body", flaws: flaws{panicMalformed: true}, want: conformance.ScenarioMalformed,
			says: "closed the connection without an answer"},
		{name: "one Read of the body", others: true, flaws: flaws{singleRead: true}, want: conformance.ScenarioSlow,
			says: "answered 401 to a delivery whose body arrived in 4 pieces"},
		{name: "observes another id", others: true, flaws: flaws{observeID: func(ev *webhooks.Event) string { return "req-" + ev.ID }},
			want: conformance.ScenarioValid, says: "which is not the id of an event the kit sent"},
		{name: "never calls the probe", flaws: flaws{noObserve: true}, others: true,
			opts: []conformance.Option{conformance.WithEvent(events.PolicyChangeIssue, nil)},
			want: conformance.ScenarioValid, says: "answered 200 to a valid delivery of policy.change.issue but never processed it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			probe := new(conformance.Probe)
			h := tt.flaws.handler(secret, probe)
			opts := append([]conformance.Option{conformance.WithProbe(probe), conformance.WithTimeout(timeout)}, tt.opts...)
			rep, err := conformance.Check(t.Context(), h, secret, opts...)
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, p := range rep.Problems() {
				if p.Scenario == tt.want && strings.Contains(p.Message, tt.says) {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s problem saying %q; report:\n%s", tt.want, tt.says, rep)
			}
			for _, res := range rep.Results {
				if res.Scenario != tt.want && len(res.Problems) > 0 && !tt.others {
					t.Errorf("unexpected problems in %s: %v", res.Scenario, res.Problems)
				}
			}
		})
	}
}

// TestConformingHandlersPass: the receiver of package webhooks and the hand-written one without flaws pass
// every scenario on both platforms, with processing observed.
func TestConformingHandlersPass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler func(*conformance.Probe) http.Handler
	}{
		{"webhooks.NewReceiver", func(p *conformance.Probe) http.Handler {
			h := webhooks.NewHandler()
			h.On("policy.*", p.Wrap(func(context.Context, *webhooks.Event) error { return nil }))
			recv, err := webhooks.NewSecretReceiver(secret, h)
			if err != nil {
				t.Fatal(err)
			}
			return recv
		}},
		{"hand-written", func(p *conformance.Probe) http.Handler { return flaws{}.handler(secret, p) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			probe := new(conformance.Probe)
			rep := conformance.Run(t, tt.handler(probe), secret, conformance.WithProbe(probe),
				conformance.WithTimeout(timeout), conformance.WithPlatform(events.Core|events.Legacy),
				conformance.WithEvent(events.PolicyQuoteCreate, map[string]any{"quoteLocator": "Q1"}),
				conformance.WithEvent(events.PolicyQuoteAccept, nil))
			if rep == nil {
				return
			}
			if want := 2 * len(conformance.Scenarios()); len(rep.Results) != want || !rep.OK() || !rep.Observed {
				t.Errorf("%d results (want %d), OK %t, Observed %t:\n%s", len(rep.Results), want, rep.OK(), rep.Observed, rep)
			}
			for _, res := range rep.Results {
				if !res.Passed() {
					t.Errorf("%v %s did not pass: %+v", res.Platform, res.Scenario, res)
				}
			}
		})
	}
}

// TestWithoutProbe: without a probe the kit still judges status codes, says processing was not observed,
// and skips the scenario that needs a probe.
func TestWithoutProbe(t *testing.T) {
	t.Parallel()
	rep, err := conformance.Check(t.Context(), flaws{noVerify: true}.handler(secret, nil), secret,
		conformance.WithTimeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Observed || !strings.HasPrefix(rep.String(), "processing not observed") {
		t.Errorf("Observed = %t, report:\n%s", rep.Observed, rep)
	}
	var skipped []conformance.Scenario
	for _, res := range rep.Results {
		if res.Skipped != "" {
			skipped = append(skipped, res.Scenario)
		}
	}
	if !slices.Equal(skipped, []conformance.Scenario{conformance.ScenarioRetry}) {
		t.Errorf("skipped %v, want only retry", skipped)
	}
	var forged []string
	for _, p := range rep.Problems() {
		if p.Scenario != conformance.ScenarioForged {
			t.Errorf("unexpected problem: %s", p)
		}
		forged = append(forged, p.Message)
	}
	for _, want := range []string{"accepted a forged signature", "accepted a body changed after it was signed",
		"accepted a request without a Socotra-Signature header"} {
		if !slices.ContainsFunc(forged, func(m string) bool { return strings.HasPrefix(m, want) }) {
			t.Errorf("no problem starting %q in %q", want, forged)
		}
	}
}

// TestSlowHandler: a handler that answers after the timeout is reported once per scenario, on both the
// fake tenant's deliveries and the kit's own.
func TestSlowHandler(t *testing.T) {
	t.Parallel()
	const limit = 100 * time.Millisecond
	for _, sc := range []conformance.Scenario{conformance.ScenarioValid, conformance.ScenarioMalformed} {
		t.Run(string(sc), func(t *testing.T) {
			t.Parallel()
			rep, err := conformance.Check(t.Context(), flaws{sleep: 3 * limit}.handler(secret, nil), secret,
				conformance.WithTimeout(limit), only(sc))
			if err != nil {
				t.Fatal(err)
			}
			ps := rep.Problems()
			if len(ps) != 1 || ps[0].Message != "did not answer within the timeout (100ms); Socotra counts that as a "+
				"failed delivery and sends the event again: answer as soon as the event is safely recorded, and do "+
				"slow work afterwards" {
				t.Errorf("problems %v, want one timeout", ps)
			}
		})
	}
}

// TestLegacyOnly: WithPlatform(events.Legacy) runs every scenario in the Legacy format only.
func TestLegacyOnly(t *testing.T) {
	t.Parallel()
	probe := new(conformance.Probe)
	rep := conformance.Run(t, flaws{}.handler(secret, probe), secret, conformance.WithProbe(probe),
		conformance.WithTimeout(timeout), conformance.WithPlatform(events.Legacy), only(conformance.ScenarioDuplicate))
	for _, res := range rep.Results {
		if res.Platform != events.Legacy {
			t.Errorf("result for %v", res.Platform)
		}
	}
}

// TestMaxBodyBytes: the limit given with WithMaxBodyBytes is the one checked, both ways.
func TestMaxBodyBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		handlerLimit, kitLimit int64
		want                   string
	}{
		{8192, 8192, ""},
		{8192, 16384, "refused a delivery of 16384 bytes, within the limit of 16384 (answered 413)"},
		{16384, 8192, "answered 200 to an oversized body (8193 bytes, limit 8192)"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.handlerLimit, tt.kitLimit), func(t *testing.T) {
			t.Parallel()
			probe := new(conformance.Probe)
			rep, err := conformance.Check(t.Context(), flaws{limit: tt.handlerLimit}.handler(secret, probe), secret,
				conformance.WithProbe(probe), conformance.WithTimeout(timeout), conformance.WithMaxBodyBytes(tt.kitLimit),
				conformance.WithPlatform(events.Core|events.Legacy), only(conformance.ScenarioOversized))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range rep.Problems() {
				got = append(got, p.Message)
			}
			if tt.want == "" && len(got) > 0 {
				t.Errorf("problems %q, want none", got)
			}
			matching := slices.DeleteFunc(slices.Clone(got), func(m string) bool { return !strings.HasPrefix(m, tt.want) })
			if tt.want != "" && len(matching) != 2 {
				t.Errorf("problems %q, want %q for each platform", got, tt.want)
			}
		})
	}
}

// TestPathAndHeader: a mux route that also needs an API key passes with WithPath and WithHeader, on both
// platforms, and without them is reported with a hint at WithPath.
func TestPathAndHeader(t *testing.T) {
	t.Parallel()
	probe := new(conformance.Probe)
	inner := flaws{}.handler(secret, probe)
	mux := http.NewServeMux()
	mux.Handle("POST /hooks/socotra", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "k1" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	conformance.Run(t, mux, secret, conformance.WithProbe(probe), conformance.WithTimeout(timeout),
		conformance.WithPath("/hooks/socotra"), conformance.WithHeader("X-Api-Key", "k1"),
		conformance.WithPlatform(events.Core|events.Legacy))

	rep, err := conformance.Check(t.Context(), mux, secret, conformance.WithTimeout(timeout), only(conformance.ScenarioValid))
	if err != nil {
		t.Fatal(err)
	}
	if ps := rep.Problems(); len(ps) != 1 || !strings.Contains(ps[0].Message, "answered 404 to a valid signed delivery of "+
		"policy.quote.create; check that the route accepts POST at the path given with WithPath") {
		t.Errorf("problems %v", ps)
	}
}

// TestProcessingDelay: a handler that acknowledges first and processes from a queue passes when the kit
// is told to wait for processing, and is reported as losing events when it is not.
func TestProcessingDelay(t *testing.T) {
	t.Parallel()
	for _, wait := range []time.Duration{0, 10 * time.Second} {
		t.Run(wait.String(), func(t *testing.T) {
			t.Parallel()
			probe := new(conformance.Probe)
			// Without a delay to wait for, the queue is processed only once Check has returned, so that the
			// kit cannot see the event processed however slowly it runs; with one, shortly after the answer.
			checked := make(chan struct{})
			var queue sync.WaitGroup
			h := webhooks.NewHandler()
			h.On("policy.*", func(_ context.Context, ev *webhooks.Event) error {
				id := ev.ID
				queue.Go(func() {
					if wait == 0 {
						<-checked
					} else {
						time.Sleep(30 * time.Millisecond)
					}
					_ = probe.Observe(id)
				})
				return nil
			})
			defer queue.Wait()
			defer close(checked)
			recv, err := webhooks.NewSecretReceiver(secret, h)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := conformance.Check(t.Context(), recv, secret, conformance.WithProbe(probe),
				conformance.WithTimeout(timeout), conformance.WithProcessingDelay(wait),
				conformance.WithSkip(conformance.ScenarioRetry))
			if err != nil {
				t.Fatal(err)
			}
			if wait > 0 && !rep.OK() {
				t.Errorf("problems with a processing delay of %s:\n%s", wait, rep)
			}
			if wait == 0 && !strings.Contains(rep.String(), "FAIL core valid: a signed delivery is answered 2xx and processed once\n"+
				"     - answered 200 to a valid delivery of policy.quote.create but never processed it") {
				t.Errorf("no lost-event problem without a processing delay:\n%s", rep)
			}
		})
	}
}
