package socotratest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/coreapi"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// emitN registers one webhook on a new server with the given faults, emits n events and returns
// the event ids in emission order and the ids in the order the receiver got them.
func emitN(t *testing.T, n int, f socotratest.Faults, opts ...socotratest.Option) (s *socotratest.Server, sent, got []string) {
	t.Helper()
	clock := socotratest.NewFakeClock(start)
	s = newServer(t, append([]socotratest.Option{socotratest.WithClock(clock), socotratest.WithFaults(f)}, opts...)...)
	rcv := newReceiver(t, nil)
	createCore(t, coreClient(t, s), s, hookFor(rcv.URL, "policy.change.create"))
	for range n {
		em, err := s.EmitCore(t.Context(), events.PolicyChangeCreate, nil)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, em.ID)
	}
	flush(t, s)
	for _, r := range rcv.requests() {
		var e coreapi.EventResponse
		if err := json.Unmarshal(r.body, &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Locator)
	}
	return s, sent, got
}

func TestFaultDuplicate(t *testing.T) {
	t.Parallel()
	s, sent, got := emitN(t, 3, socotratest.Faults{Duplicate: 1})
	want := []string{sent[0], sent[0], sent[1], sent[1], sent[2], sent[2]}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("received %v, want each event twice", got)
	}
	flags := map[string][]socotratest.Fault{}
	for _, d := range s.Deliveries() {
		flags[d.EventID] = append(flags[d.EventID], d.Faults)
	}
	for id, f := range flags {
		if !slices.Equal(f, []socotratest.Fault{0, socotratest.FaultDuplicate}) {
			t.Errorf("event %s: faults %v, want none on the original, then duplicate on the copy", id, f)
		}
	}
}

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	s, sent, got := emitN(t, 2, socotratest.Faults{Drop: 1})
	if len(got) != 0 {
		t.Errorf("dropped deliveries arrived: %v", got)
	}
	stream := s.Events(events.Core)
	if len(stream) != 2 || stream[0].ID != sent[0] || stream[1].ID != sent[1] {
		t.Errorf("dropped events missing from the stream: %+v", stream)
	}
	if d := s.Deliveries(); len(d) != 2 || !d[0].Faults.Has(socotratest.FaultDrop) || d[0].Status != 0 {
		t.Errorf("deliveries %+v, want two dropped", d)
	}
}

func TestFaultReorder(t *testing.T) {
	t.Parallel()
	f := socotratest.Faults{Seed: 7, Reorder: 1}
	_, sent, got := emitN(t, 8, f)
	if len(got) != len(sent) {
		t.Fatalf("got %d deliveries, want %d", len(got), len(sent))
	}
	if slices.Equal(got, sent) {
		t.Error("every delivery arrived in emission order despite Reorder: 1")
	}
	// The same seed gives the same order.
	_, sent2, got2 := emitN(t, 8, f)
	if !slices.Equal(order(sent, got), order(sent2, got2)) {
		t.Errorf("same seed, different orders: %v vs %v", order(sent, got), order(sent2, got2))
	}
}

// order returns, for each received id, its index in sent.
func order(sent, got []string) []int {
	out := make([]int, len(got))
	for i, id := range got {
		out[i] = slices.Index(sent, id)
	}
	return out
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	s, _, got := emitN(t, 1, socotratest.Faults{Delay: 1, DelayBy: 42 * time.Minute})
	d := s.Deliveries()
	if len(got) != 1 || len(d) != 1 || d[0].Time.Sub(start) != 42*time.Minute || !d[0].Faults.Has(socotratest.FaultDelay) {
		t.Errorf("deliveries %+v, want one 42m after the event", d)
	}
}

// TestFaultsDeterministic: the same seed gives the same faults on every delivery.
func TestFaultsDeterministic(t *testing.T) {
	t.Parallel()
	f := socotratest.Faults{Seed: 42, Duplicate: 0.3, Drop: 0.3, CorruptSignature: 0.5, TamperBody: 0.3}
	run := func(seed uint64) string {
		f.Seed = seed
		s, _, _ := emitN(t, 20, f)
		// Event ids differ between servers; compare the faults by emission index.
		return faultSequence(s)
	}
	a, b, other := run(42), run(42), run(43)
	if a != b {
		t.Errorf("seed 42 twice:\n%s\n%s", a, b)
	}
	if a == other {
		t.Errorf("seeds 42 and 43 gave the same faults: %s", a)
	}
	if !strings.Contains(a, "drop") || !strings.Contains(a, "none") {
		t.Errorf("rates of 0.3 gave no mix of faults: %s", a)
	}
}

// faultSequence lists the faults of each delivery, by the event's emission index.
func faultSequence(s *socotratest.Server) string {
	index := map[string]int{}
	for i, e := range s.Events(events.Core) {
		index[e.ID] = i
	}
	var parts []string
	for _, d := range s.Deliveries() {
		parts = append(parts, strings.Repeat("#", index[d.EventID])+d.Faults.String())
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

func TestFaultsValidate(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	if err := s.SetFaults(socotratest.Faults{Drop: 1.5, Duplicate: -1}); err == nil ||
		!strings.Contains(err.Error(), "Drop=1.5") || !strings.Contains(err.Error(), "Duplicate=-1") {
		t.Errorf("SetFaults: %v, want both bad rates named", err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(error).Error(), "TamperBody") {
			t.Errorf("NewServer with a bad rate: panic %v", r)
		}
	}()
	socotratest.NewServer(socotratest.WithFaults(socotratest.Faults{TamperBody: 2}))
}

func TestTriggers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		triggers []string
		status   int
		slow     bool
		attempts int
		trigger  string
	}{
		{"5xx matches 500", []string{"5xx"}, 500, false, 3, "5xx"},
		{"specific code matches", []string{"503"}, 503, false, 3, "503"},
		{"specific code does not match another", []string{"503"}, 500, false, 1, ""},
		{"4xx does not match 500", []string{"4xx"}, 500, false, 1, ""},
		{"404 matches 4xx", []string{"4xx"}, 404, false, 3, "4xx"},
		{"success never fails", []string{"4xx", "5xx", "timeout"}, 204, false, 1, ""},
		{"timeout", []string{"timeout"}, 200, true, 3, "timeout"},
		{"slow without timeout trigger", []string{"5xx"}, 200, true, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			defer close(release)
			rcv := newReceiver(t, func(int) int {
				if tc.slow {
					select {
					case <-release:
					case <-time.After(2 * time.Second):
					}
				}
				return tc.status
			})
			// A generous timeout keeps a loaded machine from turning a fast answer into a timeout; only the
			// slow cases need one shorter than the receiver's delay.
			timeout := 10 * time.Second
			if tc.slow {
				timeout = 100 * time.Millisecond
			}
			s := newServer(t, socotratest.WithClock(socotratest.NewFakeClock(start)),
				socotratest.WithDeliveryTimeout(timeout))
			req := hookFor(rcv.URL, "policy.change.create")
			req.FailureHandling = coreapi.FailureHandlingCreateRequest{
				Triggers: &tc.triggers, Divert: ptr(true),
				RetryStrategy: &coreapi.RetryStrategyCreateRequest{Attempts: ptr(int32(2))},
			}
			wh := createCore(t, coreClient(t, s), s, req)
			s.EmitCore(t.Context(), events.PolicyChangeCreate, nil)
			flush(t, s)
			d := s.Deliveries()
			if len(d) != tc.attempts {
				t.Errorf("%d attempts, want %d: %+v", len(d), tc.attempts, d)
			}
			if tc.slow && !d[0].TimedOut {
				t.Errorf("slow answer not recorded as a timeout: %+v", d[0])
			}
			div := s.DivertedEvents(wh.Locator)
			if tc.trigger == "" && len(div) != 0 || tc.trigger != "" && (len(div) != 1 || div[0].Trigger != tc.trigger) {
				t.Errorf("diverted %+v, want trigger %q", div, tc.trigger)
			}
		})
	}
}

func TestDefaultFailureHandlingDoesNotRetry(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rcv := newReceiver(t, always(http.StatusInternalServerError))
	wh := createCore(t, coreClient(t, s), s, hookFor(rcv.URL, "policy.change.create"))
	s.EmitCore(t.Context(), events.PolicyChangeCreate, nil)
	flush(t, s)
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("%d requests, want 1 (no retry by default)", n)
	}
	if w := s.Webhooks(); len(w) != 1 || w[0].Suspended || len(s.DivertedEvents(wh.Locator)) != 0 {
		t.Errorf("default failure handling diverted or suspended: %+v", w)
	}
}

func TestAlertEndpoint(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rcv := newReceiver(t, always(http.StatusNotFound))
	alerts := newReceiver(t, nil)
	req := hookFor(rcv.URL, "policy.change.create")
	req.FailureHandling = coreapi.FailureHandlingCreateRequest{AlertEndpoint: &coreapi.CreateEndpointRequest{Url: alerts.URL}}
	createCore(t, coreClient(t, s), s, req)
	em, _ := s.EmitCore(t.Context(), events.PolicyChangeCreate, nil)
	flush(t, s)
	got := alerts.requests()
	if len(got) != 1 {
		t.Fatalf("%d alerts, want 1", len(got))
	}
	var msg struct {
		URL          string          `json:"url"`
		ActualStatus string          `json:"actualStatus"`
		EventData    json.RawMessage `json:"eventData"`
	}
	if err := json.Unmarshal(got[0].body, &msg); err != nil || msg.URL != rcv.URL || msg.ActualStatus != "404" ||
		!strings.Contains(string(msg.EventData), em.ID) {
		t.Errorf("alert %s (%v)", got[0].body, err)
	}
	if d := s.Deliveries(); len(d) != 2 || !d[1].Alert {
		t.Errorf("alert not recorded: %+v", d)
	}
}

// TestFaultStall: a stalled body trips a receiver with a short read timeout, and reaches a patient
// receiver whole, late.
func TestFaultStall(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		readTimeout time.Duration
		wantReadErr bool
	}{
		{"short read timeout", 50 * time.Millisecond, true},
		{"patient receiver", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			readErr := make(chan error, 1)
			rcv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, err := io.ReadAll(r.Body)
				readErr <- err
				if err != nil {
					w.WriteHeader(http.StatusRequestTimeout)
				}
			}))
			rcv.Config.ReadTimeout = tc.readTimeout
			rcv.Start()
			t.Cleanup(rcv.Close)
			s := newServer(t, socotratest.WithFaults(socotratest.Faults{Stall: 1, StallFor: 300 * time.Millisecond}))
			s.AddCoreWebhook(rcv.URL, "", events.PolicyChangeIssue)
			begin := time.Now()
			s.EmitCore(t.Context(), events.PolicyChangeIssue, nil)
			flush(t, s)
			if err := <-readErr; (err != nil) != tc.wantReadErr {
				t.Errorf("receiver's body read error: %v, want error: %v", err, tc.wantReadErr)
			}
			d := s.Deliveries()
			if len(d) != 1 || !d[0].Faults.Has(socotratest.FaultStall) {
				t.Fatalf("deliveries %+v", d)
			}
			if !tc.wantReadErr && (d[0].Status != 200 || time.Since(begin) < 300*time.Millisecond) {
				t.Errorf("patient receiver: status %d after %v, want 200 after the 300ms stall", d[0].Status, time.Since(begin))
			}
			if tc.wantReadErr && d[0].Status == 200 {
				t.Errorf("a receiver that timed out was recorded as a success")
			}
		})
	}
}
