package conformance

import (
	"context"
	"errors"
	"sync"

	"github.com/socotra-go/sdk/webhooks"
)

// ErrSimulatedFailure is what [Probe.Observe] returns, once, for the event of [ScenarioRetry], to find out
// how the handler answers when processing fails. Treat it like any failure of your own code.
var ErrSimulatedFailure = errors.New("conformance: simulated processing failure")

// Probe lets the kit see which events a handler processed: the handler calls [Probe.Observe] with the event
// id where it processes an event, or runs its functions through [Probe.Wrap]. Give the same Probe to the
// kit with [WithProbe]. The zero Probe is ready to use; it is safe for concurrent use.
//
// A Probe also simulates a failure: for one event of [ScenarioRetry], Observe returns ErrSimulatedFailure
// (and Wrap returns it without calling the function), so the kit can check that the handler then answers
// 5xx and processes the event when Socotra delivers it again.
type Probe struct {
	mu        sync.Mutex
	processed map[string]int
	armed     bool   // fail the first Observe of the next event not seen before
	failed    string // the event that got ErrSimulatedFailure
}

// Observe records that the handler processed the event eventID (the webhooks.Event ID: the Core locator or
// the Legacy id), unless the kit simulates a failure: it then returns ErrSimulatedFailure and records
// nothing. Call it once the processing has succeeded, just before the handler would acknowledge the event,
// and handle its error as a failure of the processing:
//
//	if err := save(ctx, ev); err != nil {
//		return err
//	}
//	if err := probe.Observe(ev.ID); err != nil {
//		return err // as if save had failed
//	}
//
// [Probe.Wrap] does this around a webhooks.HandlerFunc, simulating the failure before the function runs.
func (p *Probe) Observe(eventID string) error {
	if err := p.begin(eventID); err != nil {
		return err
	}
	p.done(eventID)
	return nil
}

// Wrap returns fn with the probe around it: it returns ErrSimulatedFailure instead of calling fn when the kit
// simulates a failure, and records the event as processed when fn returns nil.
func (p *Probe) Wrap(fn webhooks.HandlerFunc) webhooks.HandlerFunc {
	return func(ctx context.Context, ev *webhooks.Event) error {
		if err := p.begin(ev.ID); err != nil {
			return err
		}
		if err := fn(ctx, ev); err != nil {
			return err
		}
		p.done(ev.ID)
		return nil
	}
}

// Processed reports how many times the event eventID was processed.
func (p *Probe) Processed(eventID string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.processed[eventID]
}

func (p *Probe) begin(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.armed && p.processed[id] == 0 && id != p.failed {
		p.armed, p.failed = false, id
		return ErrSimulatedFailure
	}
	return nil
}

func (p *Probe) done(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.processed == nil {
		p.processed = map[string]int{}
	}
	p.processed[id]++
}

// arm makes the next event seen for the first time fail once; it returns a function reporting that event.
func (p *Probe) arm() (failed func() string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed, p.failed = true, ""
	return func() string {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.armed = false
		return p.failed
	}
}

// ids returns every event id observed.
func (p *Probe) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]string, 0, len(p.processed))
	for id := range p.processed {
		ids = append(ids, id)
	}
	return ids
}
