package conformance

import (
	"fmt"
	"strings"

	"github.com/socotra-go/sdk/events"
)

// Scenario names one way Socotra delivers events, and what a handler must do about it.
type Scenario string

// The scenarios, in the order they run. [Scenario.Expectation] says what each one expects.
const (
	ScenarioValid       Scenario = "valid"
	ScenarioDuplicate   Scenario = "duplicate"
	ScenarioConcurrent  Scenario = "concurrent"
	ScenarioReordered   Scenario = "reordered"
	ScenarioLate        Scenario = "late"
	ScenarioRetry       Scenario = "retry"
	ScenarioForged      Scenario = "forged"
	ScenarioUnknownType Scenario = "unknown-type"
	ScenarioNewFields   Scenario = "new-fields"
	ScenarioMalformed   Scenario = "malformed"
	ScenarioOversized   Scenario = "oversized"
	ScenarioSlow        Scenario = "slow"
)

var expectations = map[Scenario]string{
	ScenarioValid:       "a signed delivery is answered 2xx and processed once",
	ScenarioDuplicate:   "an event delivered twice is processed once and both deliveries are answered 2xx",
	ScenarioConcurrent:  "an event delivered several times at once is processed once",
	ScenarioReordered:   "an event arriving after a newer one is still processed",
	ScenarioLate:        "an event delivered hours after it happened is still processed",
	ScenarioRetry:       "a failure is answered 5xx and the redelivery is processed",
	ScenarioForged:      "a missing, forged or tampered signature is refused with 4xx and nothing is processed",
	ScenarioUnknownType: "an event type the handler does not know is answered 2xx",
	ScenarioNewFields:   "a delivery with fields the handler does not know is processed",
	ScenarioMalformed:   "a signed body that is not a delivery is refused with 4xx",
	ScenarioOversized:   "a body over the limit is refused with 4xx; one at the limit is processed",
	ScenarioSlow:        "a body arriving in pieces is read whole and processed",
}

// Scenarios returns every scenario in the order [Check] runs them.
func Scenarios() []Scenario {
	return []Scenario{ScenarioValid, ScenarioDuplicate, ScenarioConcurrent, ScenarioReordered, ScenarioLate,
		ScenarioRetry, ScenarioForged, ScenarioUnknownType, ScenarioNewFields, ScenarioMalformed, ScenarioOversized,
		ScenarioSlow}
}

// Expectation says in one line what the scenario expects of a handler; "" for an unknown scenario.
func (s Scenario) Expectation() string { return expectations[s] }

// Problem is one expectation a handler broke.
type Problem struct {
	Platform events.Platform
	Scenario Scenario
	// EventID is the event involved, when there is one.
	EventID string
	// Message says what the handler did and what to change, such as "processed the same event 2 times when
	// Socotra delivered it twice; remember processed event ids and skip repeats …".
	Message string
}

// String returns the platform, scenario, message and event id on one line.
func (p Problem) String() string {
	s := fmt.Sprintf("%v %s: %s", p.Platform, p.Scenario, p.Message)
	if p.EventID != "" {
		s += " (event " + p.EventID + ")"
	}
	return s
}

// Result is the outcome of one scenario on one platform.
type Result struct {
	Platform events.Platform
	Scenario Scenario
	// Skipped says why the scenario did not run; empty when it ran.
	Skipped string
	// Problems lists the expectations the handler broke; empty when it passed or was skipped.
	Problems []Problem
}

// Passed reports whether the scenario ran and found no problem.
func (r Result) Passed() bool { return r.Skipped == "" && len(r.Problems) == 0 }

// Report is what [Check] found: one Result per scenario and platform, in the order they ran.
type Report struct {
	Results []Result
	// Observed reports whether processing was observed through a [Probe]; without one, only status codes
	// and timing were checked.
	Observed bool
}

// OK reports whether no scenario found a problem.
func (r *Report) OK() bool { return len(r.Problems()) == 0 }

// Problems returns every problem found, in the order the scenarios ran.
func (r *Report) Problems() []Problem {
	var ps []Problem
	for _, res := range r.Results {
		ps = append(ps, res.Problems...)
	}
	return ps
}

// String lists every scenario with "ok", "FAIL" or "skip" and, under a failed one, its problems without
// event ids, so that the text does not change from run to run.
func (r *Report) String() string {
	var b strings.Builder
	if !r.Observed {
		b.WriteString("processing not observed: give a Probe with WithProbe to check duplicates and lost events\n")
	}
	for _, res := range r.Results {
		status := "ok  "
		switch {
		case res.Skipped != "":
			status = "skip"
		case len(res.Problems) > 0:
			status = "FAIL"
		}
		fmt.Fprintf(&b, "%s %v %s: %s\n", status, res.Platform, res.Scenario, res.Scenario.Expectation())
		if res.Skipped != "" {
			fmt.Fprintf(&b, "     - %s\n", res.Skipped)
		}
		for _, p := range res.Problems {
			fmt.Fprintf(&b, "     - %s\n", p.Message)
		}
	}
	return b.String()
}
