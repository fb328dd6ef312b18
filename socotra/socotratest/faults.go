package socotratest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Faults says how often the server misbehaves while delivering, the way production networks and
// platforms do. Each rate is a probability from 0 (never, the default) to 1 (every delivery).
// Decisions come from a generator seeded with Seed and the delivery's sequence number, so a test
// that emits events in the same order sees the same faults on every run. Reorder and Delay hold
// deliveries on the server's [Clock]: use a [FakeClock] so that [Server.Flush] skips the wait.
type Faults struct {
	// Seed makes the fault decisions reproducible; two servers with the same Seed and the same
	// sequence of emits misbehave identically.
	Seed uint64
	// Duplicate sends an attempt twice.
	Duplicate float64
	// Reorder holds the first attempt back for a random time of up to ReorderWindow, so that
	// later events overtake it.
	Reorder float64
	// ReorderWindow bounds the Reorder hold; 0 means one minute.
	ReorderWindow time.Duration
	// Delay holds the first attempt back for DelayBy, long after the event happened.
	Delay float64
	// DelayBy is the Delay hold; 0 means ten minutes.
	DelayBy time.Duration
	// Drop loses the delivery: nothing is sent and the platform believes it succeeded, so no
	// failure handling runs. The event stays in the event stream, where a receiver can recover it.
	Drop float64
	// CorruptSignature replaces the Socotra-Signature value with a wrong one of the same shape.
	CorruptSignature float64
	// TamperBody changes the body after it was signed, so the signature no longer matches.
	TamperBody float64
	// Stall sends the headers and half the body, then pauses for StallFor before sending the
	// rest, so that a receiver whose read timeout is shorter gives up mid-request.
	Stall float64
	// StallFor is the Stall pause, in real time whatever the clock; 0 means two seconds. Keep it
	// below the delivery timeout ([WithDeliveryTimeout]) or the attempt itself times out.
	StallFor time.Duration
}

// Validate reports every rate outside 0..1 and every negative duration.
func (f Faults) Validate() error {
	var bad []string
	for name, r := range map[string]float64{
		"Duplicate": f.Duplicate, "Reorder": f.Reorder, "Delay": f.Delay, "Drop": f.Drop,
		"CorruptSignature": f.CorruptSignature, "TamperBody": f.TamperBody, "Stall": f.Stall,
	} {
		if r < 0 || r > 1 || r != r {
			bad = append(bad, fmt.Sprintf("%s=%v (want 0..1)", name, r))
		}
	}
	if f.ReorderWindow < 0 || f.DelayBy < 0 || f.StallFor < 0 {
		bad = append(bad, "ReorderWindow, DelayBy and StallFor must not be negative")
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("socotratest: invalid faults: %s", strings.Join(bad, ", "))
	}
	return nil
}

// stallFor is the Stall pause with its default applied.
func (f Faults) stallFor() time.Duration {
	if f.StallFor == 0 {
		return 2 * time.Second
	}
	return f.StallFor
}

// Fault is a set of faults applied to one recorded delivery attempt.
type Fault uint8

// The faults a [Delivery] can carry.
const (
	FaultDuplicate Fault = 1 << iota
	FaultReorder
	FaultDelay
	FaultDrop
	FaultCorruptSignature
	FaultTamperBody
	FaultStall
)

var faultNames = []string{"duplicate", "reorder", "delay", "drop", "corrupt-signature", "tamper-body", "stall"}

// Has reports whether every fault in g is in f.
func (f Fault) Has(g Fault) bool { return g != 0 && f&g == g }

// String lists the faults joined by "+", or "none".
func (f Fault) String() string {
	var parts []string
	for i, n := range faultNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// draw decides the faults of one attempt; the first attempt of a delivery may also be held back.
func (f Faults) draw(r *rand.Rand, first bool) (set Fault, hold time.Duration) {
	hit := func(p float64) bool { return p > 0 && r.Float64() < p }
	// Every draw happens whatever the outcome of the previous ones, so decisions do not shift.
	dup, reo, del, drop := hit(f.Duplicate), hit(f.Reorder), hit(f.Delay), hit(f.Drop)
	sig, tam, stall := hit(f.CorruptSignature), hit(f.TamperBody), hit(f.Stall)
	window := f.ReorderWindow
	if window == 0 {
		window = time.Minute
	}
	jitter := time.Duration(r.Int64N(int64(window))) + 1
	if dup {
		set |= FaultDuplicate
	}
	if sig {
		set |= FaultCorruptSignature
	}
	if tam {
		set |= FaultTamperBody
	}
	if drop {
		set |= FaultDrop
	}
	if stall {
		set |= FaultStall
	}
	if !first {
		return set, 0
	}
	if reo {
		set |= FaultReorder
		hold += jitter
	}
	if del {
		set |= FaultDelay
		by := f.DelayBy
		if by == 0 {
			by = 10 * time.Minute
		}
		hold += by
	}
	return set, hold
}
