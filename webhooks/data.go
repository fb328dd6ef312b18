package webhooks

import (
	"context"
	"fmt"

	"github.com/socotra-go/sdk/events"
)

// HandleData registers fn for Core deliveries of the event n, with the event's data decoded into a new *T,
// the typed struct events.NewData gives for n (for example *events.QuoteData for events.PolicyQuoteIssue).
// It returns an error, and registers nothing, when n is malformed, has no typed data (Legacy-only and
// unknown names), or has data of another type than T, so a mismatch shows at start-up rather than at the
// first delivery.
//
// Legacy deliveries of n do not match this registration; route them with [Handler.On]. Absent or null data
// decodes to the zero T; data that does not fit T fails the delivery (500). Otherwise the function runs
// like one registered with On, in registration order with the others.
func HandleData[T any](h *Handler, n events.Name, fn func(ctx context.Context, ev *Event, data *T) error) error {
	if fn == nil {
		return fmt.Errorf("webhooks: HandleData %q: nil handler function", n)
	}
	if _, err := events.Parse(string(n)); err != nil {
		return fmt.Errorf("webhooks: HandleData: %w", err)
	}
	v, ok := events.NewData(n)
	if !ok {
		return fmt.Errorf("webhooks: HandleData %q: the event has no typed data (Legacy-only or unknown name); use On and decode ev.Data", n)
	}
	if _, ok := v.(*T); !ok {
		return fmt.Errorf("webhooks: HandleData %q: its data is %T, not %T; change the function's data parameter to %[2]T",
			n, v, (*T)(nil))
	}
	return h.add(route{pattern: string(n), platforms: events.Core, fn: func(ctx context.Context, ev *Event) error {
		data := new(T)
		if err := decodeData(ev, data); err != nil {
			return err
		}
		return fn(ctx, ev, data)
	}})
}
