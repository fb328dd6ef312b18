package socotra_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// The Legacy stream on the fake tenant: every Legacy event once, in order, none of Core's; a checkpoint
// taken anywhere resumes without losing an event, and the caught-up token picks up later events.
func TestFakeLegacyEventStream(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := socotratest.NewFakeClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := newFake(t, socotratest.WithClock(clock))
	c := legacyClient(t, srv)
	var emitted []string
	for i := range 7 {
		e, err := srv.EmitLegacy(ctx, events.PolicyCreate, map[string]int{"n": i})
		if err != nil {
			t.Fatal(err)
		}
		emitted = append(emitted, e.ID)
		if _, err := srv.EmitCore(ctx, events.PolicyChangeCreate, nil); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	for stop := range len(emitted) {
		s := c.EventStream(socotra.EventQuery{PageSize: 3})
		var got []string
		for e, err := range s.Events(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if e.Platform != events.Legacy || e.Type != events.PolicyCreate || e.User == "" || e.RequestID == "" {
				t.Fatalf("event %+v", e)
			}
			got = append(got, e.ID)
			if e.ID == emitted[stop] {
				break
			}
		}
		// Resume from the checkpoint: the events after the stop point all come, those before it only
		// from the unfinished page.
		for e, err := range c.EventStream(socotra.EventQuery{PagingToken: s.Token()}).Events(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e.ID)
		}
		dedup := []string{}
		seen := map[string]bool{}
		for _, id := range got {
			if !seen[id] {
				seen[id] = true
				dedup = append(dedup, id)
			}
		}
		if d := cmp.Diff(emitted, dedup); d != "" {
			t.Errorf("stop after %d: events (-want +got):\n%s", stop, d)
		}
		if repeats := len(got) - len(dedup); repeats > stop%3+1 {
			t.Errorf("stop after %d: %d repeats, more than the unfinished page", stop, repeats)
		}
	}

	s := c.EventStream(socotra.EventQuery{Start: time.Date(2026, 3, 1, 9, 0, 2, 0, time.UTC)})
	var got []string
	for e, err := range s.Events(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.ID)
	}
	if d := cmp.Diff(emitted[2:], got); d != "" {
		t.Errorf("from the third second (-want +got):\n%s", d)
	}
	late, err := srv.EmitLegacy(ctx, events.ClaimOpen, nil)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for e, err := range c.EventStream(socotra.EventQuery{PagingToken: s.Token()}).Events(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.ID)
	}
	if !cmp.Equal(got, []string{late.ID}) {
		t.Errorf("after catching up: %v, want only %s", got, late.ID)
	}
}
