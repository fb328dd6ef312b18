package socotratest

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/socotra-go/sdk/events"
)

// Webhook is a snapshot of a registered webhook, for assertions.
type Webhook struct {
	Platform    events.Platform
	ID          string // Core locator or Legacy name
	Name        string
	URL         string // Core endpoint URL or the Legacy integration's URL
	Events      []events.Name
	Enabled     bool
	Suspended   bool
	SuspendedAt time.Time
	HMAC        bool
	Secret      string
	Tag         string
	Headers     http.Header
	Integration string // Legacy only
	Diverted    int    // number of diverted events kept
	// Automation is Core's useAutomationPlugin, as the webhook was created with it.
	Automation bool
}

// DivertedEvent is a failed delivery the server kept for the diverted-events API.
type DivertedEvent struct {
	Event   Emitted
	Trigger string // the failure trigger that matched, such as "5xx" or "timeout"
	Message string
	Time    time.Time
}

// Deliveries returns every recorded delivery request, oldest first, including duplicates, retries,
// alerts and dropped deliveries (which carry [FaultDrop] and no status).
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Delivery, len(s.deliveries))
	for i, d := range s.deliveries {
		d.Header, d.Body, d.Response = d.Header.Clone(), slices.Clone(d.Body), slices.Clone(d.Response)
		out[i] = d
	}
	return out
}

// Webhooks returns the current webhooks of both platforms: Core ones in creation order, then Legacy
// ones by name.
func (s *Server) Webhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	var core, legacy []Webhook
	seqs := map[string]uint64{}
	for _, h := range s.coreHooks {
		e := h.endpoint
		core = append(core, Webhook{
			Platform: events.Core, ID: h.locator, Name: h.name, URL: e.url, Events: names(h.eventTypes),
			Enabled: h.enabled, Suspended: h.suspended, SuspendedAt: h.suspendedAt, HMAC: e.hmac, Secret: e.secret,
			Tag: e.tag, Headers: toHeader(e.headers), Diverted: len(h.diverted), Automation: h.automation,
		})
		seqs[h.locator] = h.seq
	}
	slices.SortFunc(core, func(a, b Webhook) int { return cmp.Compare(seqs[a.ID], seqs[b.ID]) })
	for _, h := range s.legacyHooks {
		w := Webhook{
			Platform: events.Legacy, ID: h.name, Name: h.name, Events: names(h.events),
			Enabled: h.enabled, Suspended: h.suspended, SuspendedAt: h.suspendedAt, Integration: h.integration,
			Diverted: len(h.diverted), Headers: http.Header{},
		}
		if in := s.integrations[h.integration]; in != nil {
			t := in.target()
			w.URL, w.HMAC, w.Secret, w.Headers = t.url, t.hmac, t.secret, t.headers
			if in.security != nil {
				w.Tag = deref(in.security.Tag)
			}
		}
		legacy = append(legacy, w)
	}
	slices.SortFunc(legacy, func(a, b Webhook) int { return cmp.Compare(a.ID, b.ID) })
	return append(core, legacy...)
}

func names(list []string) []events.Name {
	out := make([]events.Name, len(list))
	for i, n := range list {
		out[i] = events.Name(n)
	}
	return out
}

// DivertedEvents returns the diverted events of a webhook (Core locator or Legacy name), oldest
// first; nil when the webhook does not exist.
func (s *Server) DivertedEvents(webhook string) []DivertedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*diverted
	if h := s.coreHooks[webhook]; h != nil {
		list = h.diverted
	} else if h := s.legacyHooks[webhook]; h != nil {
		list = h.diverted
	}
	var out []DivertedEvent
	for _, d := range list {
		out = append(out, DivertedEvent{Event: d.ev.emitted(), Trigger: d.trigger, Message: d.message, Time: d.at})
	}
	return out
}

// Events returns the event stream of platform p (events.Core or events.Legacy) in stream order:
// ascending time, then emission order.
func (s *Server) Events(p events.Platform) []Emitted {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Emitted
	for _, e := range s.stream {
		if e.platform == p {
			out = append(out, e.emitted())
		}
	}
	return out
}

// SetFaults replaces the fault configuration for deliveries and retries from now on.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
	return nil
}

// SetBareWebhookList switches the Core webhook list between the envelope (false) and a bare
// array (true); see [WithBareWebhookList].
func (s *Server) SetBareWebhookList(bare bool) {
	s.mu.Lock()
	s.cfg.bareList = bare
	s.mu.Unlock()
}
