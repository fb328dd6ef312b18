package exactlyonce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/socotra-go/sdk/webhooks"
)

// fakeT records what Check reports instead of failing the test.
type fakeT struct {
	testing.TB
	mu     sync.Mutex
	errs   []string
	fatals []string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, a...))
}
func (f *fakeT) Fatalf(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fatals = append(f.fatals, fmt.Sprintf(format, a...))
}

func TestCheck(t *testing.T) {
	t.Parallel()
	ev := func(id string) *webhooks.Event { return &webhooks.Event{ID: id, Type: "policy.create"} }
	tests := []struct {
		name      string
		processed []string
		want      []string
		errs      []string // substrings, in order
		fatal     bool
	}{
		{"exactly once", []string{"a", "b"}, []string{"a", "b"}, nil, false},
		{"missing", []string{"a"}, []string{"a", "b"}, []string{"event b never processed"}, true},
		{"twice", []string{"a", "b", "a"}, []string{"a", "b"}, []string{"event a processed 2 times"}, true},
		{"not emitted", []string{"a", "x", "x"}, []string{"a"}, []string{"event x processed but never emitted"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Recorder
			for _, id := range tt.processed {
				if err := r.Handle(t.Context(), ev(id)); err != nil {
					t.Fatal(err)
				}
			}
			ft := &fakeT{TB: t}
			r.Check(ft, tt.want)
			if len(ft.errs) != len(tt.errs) || (len(ft.fatals) > 0) != tt.fatal {
				t.Fatalf("errors %q, fatals %q; want errors like %q, fatal %v", ft.errs, ft.fatals, tt.errs, tt.fatal)
			}
			for i, want := range tt.errs {
				if !strings.Contains(ft.errs[i], want) {
					t.Errorf("error %q, want %q", ft.errs[i], want)
				}
			}
		})
	}
}

func TestHandleFailsAndCountsPaths(t *testing.T) {
	t.Parallel()
	var r Recorder
	boom := errors.New("boom")
	r.SetFail(func(ev *webhooks.Event) error {
		if ev.ID == "b" {
			return boom
		}
		return nil
	})
	ctx := t.Context()
	if err := r.Handle(ctx, &webhooks.Event{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Handle(Backfill(ctx), &webhooks.Event{ID: "b"}); !errors.Is(err, boom) {
		t.Fatalf("Handle(b) = %v, want boom", err)
	}
	r.SetFail(nil)
	if err := r.Handle(Backfill(context.Background()), &webhooks.Event{ID: "b"}); err != nil {
		t.Fatal(err)
	}
	if r.Count("a") != 1 || r.Count("b") != 1 || r.Live() != 1 || r.Backfilled() != 1 {
		t.Errorf("counts a=%d b=%d, live %d, backfilled %d; want 1, 1, 1, 1", r.Count("a"), r.Count("b"), r.Live(), r.Backfilled())
	}
	if got := r.Order(); strings.Join(got, ",") != "a,b" {
		t.Errorf("Order() = %v, want [a b]", got)
	}
}
