package conformance_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/conformance"
	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/webhooks"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var secret = []byte("whsec-conformance")

// timeout is the answer time every test allows; a conforming handler answers in microseconds.
const timeout = 2 * time.Second

// all is every scenario except those given.
func except(s ...conformance.Scenario) conformance.Option {
	return conformance.WithSkip(s...)
}

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
		{name: "500 on malformed body", flaws: flaws{malformed500: true}, want: conformance.ScenarioMalformed,
			says: "answered 500 to a signed body that is not a delivery (truncated JSON); answer 400"},
		{name: "panics on malformed body", flaws: flaws{panicMalformed: true}, want: conformance.ScenarioMalformed,
			says: "closed the connection without an answer"},
		{name: "one Read of the body", others: true, flaws: flaws{singleRead: true}, want: conformance.ScenarioSlow,
			says: "answered 401 to a delivery whose body arrived in 4 pieces"},
		{name: "observes another id", others: true, flaws: flaws{observeID: func(ev *webhooks.Event) string { return "req-" + ev.ID }},
			want: conformance.ScenarioValid, says: "which is not the id of an event the kit sent"},
		{name: "never calls the probe", flaws: flaws{noObserve: true}, others: true,
			opts: []conformance.Option{conformance.WithEvent(events.PolicyIssue, nil)},
			want: conformance.ScenarioValid, says: "answered 200 to a valid delivery of policy.issue but never processed it"},
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
