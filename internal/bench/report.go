package bench

import "time"

// LoadRun is one loopback load run against one handler.
type LoadRun struct {
	Handler    string        `json:"handler"` // "bare" or "receiver"
	Deliveries int           `json:"deliveries"`
	Senders    int           `json:"senders"`
	BodyBytes  int           `json:"bodyBytes"`
	Elapsed    time.Duration `json:"elapsed"`
	PerSecond  float64       `json:"perSecond"`
	P50        time.Duration `json:"p50"`
	P99        time.Duration `json:"p99"`
	// CPUPerDelivery is the process's CPU time per delivery, senders and server together: steadier than
	// the throughput when other programs share the machine.
	CPUPerDelivery time.Duration `json:"cpuPerDelivery"`
}

// LoadReport is what the full load test writes for the runner: alternating runs of the bare handler and the
// SDK's receiver, and the medians of each.
type LoadReport struct {
	Runs     []LoadRun `json:"runs"`
	Bare     LoadRun   `json:"bare"`     // medians over the bare runs
	Receiver LoadRun   `json:"receiver"` // medians over the receiver runs
	// Ratio is the median over rounds of the receiver's deliveries per second over the bare handler's in the
	// same round (the two run back to back, so a change in the machine's load moves both).
	Ratio float64 `json:"ratio"`
	// CPURatio is the same median for CPU time per delivery, receiver over bare.
	CPURatio float64 `json:"cpuRatio"`
}

// DedupeReport is what the dedupe memory check writes for the runner: the live heap and the allocation per
// delivery after a first batch of distinct events, and again after ten times as many.
type DedupeReport struct {
	Capacity          int        `json:"capacity"`          // ids the default store remembers at most
	BaselineHeapBytes uint64     `json:"baselineHeapBytes"` // live heap before the first event
	Events            [2]int     `json:"events"`            // events handled at each measurement
	HeapBytes         [2]uint64  `json:"heapBytes"`         // live heap after GC
	BytesPerDelivery  [2]float64 `json:"bytesPerDelivery"`  // allocated per delivery in a batch after it
	// GrowthPerEvent is the live heap gained per extra event between the two measurements.
	GrowthPerEvent float64 `json:"growthPerEvent"`
}
