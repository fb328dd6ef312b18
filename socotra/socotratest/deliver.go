package socotratest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/internal/legacyapi"
)

// Event is an event to emit with [Server.Emit]. Only Type is required.
type Event struct {
	// Type is the event name; any well-formed name, known or not.
	Type events.Name
	// Data is the event's data object: a value that encodes to a JSON object, raw JSON bytes
	// ([]byte or json.RawMessage), or nil for {}. On Core it must fit the event's typed shape
	// ([events.NewData]) unless wrapped in [CustomData].
	Data any
	// Time is when the event happened. Default: the server clock's now.
	Time time.Time
	// RequestID is the Core requestId or the Legacy transactionId. Default: a new one per event.
	RequestID string
	// User is the Core userLocator or the Legacy username. Default: the server's test user.
	User string
}

// Emitted describes an event the server recorded in its stream.
type Emitted struct {
	Platform  events.Platform
	ID        string // Core event locator (ULID) or Legacy id
	Type      events.Name
	Time      time.Time
	RequestID string // Core requestId or Legacy transactionId
	User      string // Core userLocator or Legacy username
	Data      json.RawMessage
	// Body is the delivery body: a Core EventResponse or a Legacy WebhookPayload.
	Body []byte
	// Webhooks lists the webhooks (Core locators or Legacy names) a delivery was started for.
	Webhooks []string
}

// Delivery is one recorded HTTP request of the delivery engine.
type Delivery struct {
	Platform  events.Platform
	Webhook   string // Core locator or Legacy name
	EventID   string
	EventType events.Name
	Attempt   int  // 1 for the first attempt, 2 for the first retry, …
	Resend    bool // sent because the diverted event was resent
	Alert     bool // a failure alert to the alert endpoint, not the event itself
	URL       string
	Header    http.Header
	Body      []byte
	Status    int    // response status; 0 when there was no response
	TimedOut  bool   // no answer within the delivery timeout
	Err       string // transport error, if any
	Faults    Fault  // faults applied to this request
	Time      time.Time
	Latency   time.Duration // from sending the request to reading the answer, in real time
	Response  []byte        // the answer's body, at most its first 4 KiB
}

// EmitCore records a Core event of type typ with data (see [Event.Data]) and delivers it to every
// enabled, unsuspended Core webhook subscribed to typ. It returns once deliveries are queued; use
// [Server.Flush] to wait for them. It refuses a name only Legacy sends, and data that does not fit
// the event's typed shape ([events.NewData]; an unknown member is an error): wrap data in
// [CustomData] to send it as given.
func (s *Server) EmitCore(ctx context.Context, typ events.Name, data any) (Emitted, error) {
	return s.Emit(ctx, events.Core, Event{Type: typ, Data: data})
}

// EmitLegacy is [Server.EmitCore] for the Legacy platform: a WebhookPayload to every enabled,
// unsuspended Legacy webhook subscribed to typ, through its integration. It refuses a name
// outside the Legacy event enum (seed 003); Legacy data has no published shape and is not
// checked.
func (s *Server) EmitLegacy(ctx context.Context, typ events.Name, data any) (Emitted, error) {
	return s.Emit(ctx, events.Legacy, Event{Type: typ, Data: data})
}

// Emit records e on platform p (events.Core or events.Legacy) and queues its deliveries.
func (s *Server) Emit(ctx context.Context, p events.Platform, e Event) (Emitted, error) {
	if err := ctx.Err(); err != nil {
		return Emitted{}, fmt.Errorf("socotratest: emit %q: %w", e.Type, err)
	}
	if p != events.Core && p != events.Legacy {
		return Emitted{}, fmt.Errorf("socotratest: emit %q: platform %v: want events.Core or events.Legacy", e.Type, p)
	}
	if _, err := events.Parse(string(e.Type)); err != nil {
		return Emitted{}, fmt.Errorf("socotratest: emit: %w", err)
	}
	data, err := emitData(p, e)
	if err == nil && p == events.Core {
		err = coreIDs(e)
	}
	if err != nil {
		return Emitted{}, fmt.Errorf("socotratest: emit %q: %w", e.Type, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Emitted{}, ErrClosed
	}
	s.seq++
	ev := &event{platform: p, typ: e.Type, time: e.Time, request: e.RequestID, user: e.User, data: data, seq: s.seq}
	if ev.time.IsZero() {
		ev.time = s.cfg.clock.Now()
	}
	if p == events.Core {
		ev.id = s.newULID()
		ev.request = cmp.Or(ev.request, s.newULID())
		ev.user = cmp.Or(ev.user, s.userLocator)
	} else {
		ev.id, ev.request = newUUID(), cmp.Or(ev.request, newUUID())
		ev.user = cmp.Or(ev.user, s.user.username)
	}
	// Keep the stream in (time, seq) order; an event dated in the past lands behind newer ones.
	i, _ := slices.BinarySearchFunc(s.stream, ev, compareEvents)
	s.stream = slices.Insert(s.stream, i, ev)
	s.byID[ev.id] = ev
	out := ev.emitted()
	for _, id := range s.subscribersLocked(ev) {
		if err := s.startLocked(ev, id, false); err != nil {
			return out, err
		}
		out.Webhooks = append(out.Webhooks, id)
	}
	return out, nil
}

// compareEvents orders events as the stream does: by time, then by emission.
func compareEvents(a, b *event) int { return cmp.Or(a.time.Compare(b.time), cmp.Compare(a.seq, b.seq)) }

// EncodeData returns e.Data as [Server.Emit] records and delivers it: compact JSON of an object, {} for
// nil. It fails when the data does not encode to a JSON object. (Emit also checks a Core event's data
// against its typed struct; see [CustomData].)
func (e Event) EncodeData() (json.RawMessage, error) { return encodeData(e.Data) }

func encodeData(v any) (json.RawMessage, error) {
	var b []byte
	switch d := v.(type) {
	case nil:
		return json.RawMessage("{}"), nil
	case json.RawMessage:
		b = d
	case []byte:
		b = d
	default:
		var err error
		if b, err = json.Marshal(d); err != nil {
			return nil, fmt.Errorf("encode data: %w", err)
		}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("data must encode to a JSON object, got %.40q", b)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (e *event) body() []byte {
	var v any
	if e.platform == events.Core {
		v = coreEvent(e)
	} else {
		v = legacyapi.WebhookPayload{
			Id: ptr(e.id), Type: ptr(legacyapi.EventType(e.typ)), Timestamp: epochMillis(e.time),
			TransactionId: ptr(e.request), Username: ptr(e.user), Data: e.data,
		}
	}
	b, _ := json.Marshal(v) // every member encodes
	return b
}

func (e *event) emitted() Emitted {
	return Emitted{
		Platform: e.platform, ID: e.id, Type: e.typ, Time: e.time, RequestID: e.request, User: e.user,
		Data: slices.Clone(e.data), Body: e.body(),
	}
}

// subscribersLocked lists the webhooks that receive ev now, in creation order.
func (s *Server) subscribersLocked(ev *event) []string {
	type sub struct {
		seq uint64
		id  string
	}
	var subs []sub
	if ev.platform == events.Core {
		for _, h := range s.coreHooks {
			if h.enabled && !h.suspended && subscribed(h.eventTypes, ev.typ) {
				subs = append(subs, sub{h.seq, h.locator})
			}
		}
	} else {
		for _, h := range s.legacyHooks {
			if h.enabled && !h.suspended && subscribed(h.events, ev.typ) && s.integrations[h.integration] != nil {
				subs = append(subs, sub{h.seq, h.name})
			}
		}
	}
	slices.SortFunc(subs, func(a, b sub) int { return cmp.Compare(a.seq, b.seq) })
	ids := make([]string, len(subs))
	for i, x := range subs {
		ids[i] = x.id
	}
	return ids
}

// job is the delivery of one event to one webhook, with its retries.
type job struct {
	ev     *event
	hook   string
	resend bool
	rng    *rand.Rand
	// First attempts to one webhook go out in emission order: a job sends its first attempt after
	// the previous job's first attempt has finished (prev closed), then closes its own turn.
	// Retries and fault holds do not keep that order.
	prev <-chan struct{}
	turn chan struct{}
	once sync.Once
}

// release lets the next job to the same webhook send its first attempt.
func (j *job) release() { j.once.Do(func() { close(j.turn) }) }

// startLocked queues the delivery of ev to a webhook; s.mu must be held.
func (s *Server) startLocked(ev *event, hook string, resend bool) error {
	if s.closed {
		return ErrClosed
	}
	s.jobs++
	key := ev.platform.String() + "/" + hook
	j := &job{ev: ev, hook: hook, resend: resend, rng: rand.New(rand.NewPCG(s.faults.Seed, s.jobs)),
		prev: s.turns[key], turn: make(chan struct{})}
	s.turns[key] = j.turn
	s.pending++
	s.notifyLocked()
	s.wg.Add(1)
	go s.run(j)
	return nil
}

func (s *Server) finish() {
	s.mu.Lock()
	s.pending--
	s.notifyLocked()
	s.mu.Unlock()
	s.wg.Done()
}

// targetLocked returns where the job's webhook delivers now, or nil when it must not deliver
// (deleted, disabled, suspended, or its integration is gone).
func (s *Server) targetLocked(j *job) *target {
	if j.ev.platform == events.Core {
		h := s.coreHooks[j.hook]
		if h == nil || !h.enabled || h.suspended {
			return nil
		}
		return h.target()
	}
	h := s.legacyHooks[j.hook]
	if h == nil || !h.enabled || h.suspended {
		return nil
	}
	return s.legacyTarget(h)
}

func (s *Server) run(j *job) {
	defer s.finish()
	defer j.release()
	for attempt := 1; ; attempt++ {
		s.mu.Lock()
		faults, hold := s.faults.draw(j.rng, attempt == 1)
		s.mu.Unlock()
		if hold > 0 { // a held delivery gives up its place in the order
			j.release()
		} else if attempt == 1 && !s.await(j.prev) {
			return
		}
		if !s.sleep(hold) {
			return
		}
		s.mu.Lock()
		t := s.targetLocked(j)
		s.mu.Unlock()
		if t == nil {
			return
		}
		if faults.Has(FaultDrop) {
			s.record(Delivery{Webhook: j.hook, Attempt: attempt, Resend: j.resend, URL: t.url, Faults: faults}, j.ev)
			s.cfg.log.Info("socotratest: delivery dropped by fault injection", "webhook", j.hook, "event", j.ev.id)
			return
		}
		d := s.send(t, Delivery{Webhook: j.hook, Attempt: attempt, Resend: j.resend}, j.ev, j.ev.body(), faults&^FaultDuplicate)
		if faults.Has(FaultDuplicate) { // the copy carries the flag; its outcome does not count
			s.send(t, Delivery{Webhook: j.hook, Attempt: attempt, Resend: j.resend}, j.ev, j.ev.body(), faults)
		}
		j.release()
		trigger, failed := t.policy.failure(d.Status, d.TimedOut || d.Err != "")
		if !failed || s.life.Err() != nil {
			return
		}
		if attempt > t.policy.retries {
			s.fail(j, t, trigger, d)
			return
		}
		if !s.sleep(t.policy.wait(attempt, s.cfg.retryUnit)) {
			return
		}
	}
}

// await waits until prev is closed (nil means at once); false when the server closes first.
func (s *Server) await(prev <-chan struct{}) bool {
	if prev == nil {
		return true
	}
	select {
	case <-prev:
		return true
	case <-s.life.Done():
		return false
	}
}

// sleep waits d on the server's clock; false when the server closes first.
func (s *Server) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	select {
	case <-s.cfg.clock.After(d):
		return true
	case <-s.life.Done():
		return false
	}
}

// send makes one request to t and records it. Faults change the signature or body as asked.
func (s *Server) send(t *target, d Delivery, ev *event, body []byte, faults Fault) Delivery {
	d.URL = t.url
	d.Header = t.headers.Clone()
	d.Header.Set("Content-Type", "application/json")
	d.Header.Set("User-Agent", "socotratest")
	if s.cfg.smpKey != "" {
		d.Header.Set("x-smp-key", s.cfg.smpKey)
	}
	d.Faults = faults &^ (FaultCorruptSignature | FaultTamperBody)
	if t.hmac {
		sig := hmac.Sign([]byte(t.secret), body)
		if faults.Has(FaultCorruptSignature) {
			sig = hmac.Sign([]byte("not-"+t.secret), body)
			d.Faults |= FaultCorruptSignature
		}
		d.Header.Set(hmac.HeaderName, sig)
	}
	if faults.Has(FaultTamperBody) && len(body) > 1 && body[0] == '{' {
		body = append([]byte(`{"tampered":true,`), body[1:]...)
		d.Faults |= FaultTamperBody
	}
	d.Body = body
	ctx, cancel := context.WithTimeout(s.life, s.cfg.deliveryTimeout)
	defer cancel()
	var reader io.Reader = bytes.NewReader(body)
	if faults.Has(FaultStall) {
		s.mu.Lock()
		pause := s.faults.stallFor()
		s.mu.Unlock()
		reader = &stallReader{ctx: ctx, first: body[:len(body)/2], rest: body[len(body)/2:], pause: pause}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, reader)
	if err == nil {
		req.ContentLength = int64(len(body))
		req.Header = d.Header.Clone()
		client := s.client
		if !t.secureSSL {
			client = s.insecure
		}
		var resp *http.Response
		began := time.Now()
		if resp, err = client.Do(req); err == nil {
			d.Response, _ = io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close()
			d.Status = resp.StatusCode
		}
		d.Latency = time.Since(began)
	}
	if err != nil {
		d.Err = err.Error()
		d.TimedOut = errors.Is(err, context.DeadlineExceeded)
	}
	s.record(d, ev)
	s.cfg.log.Debug("socotratest: delivery", "webhook", d.Webhook, "event", ev.id, "attempt", d.Attempt,
		"status", d.Status, "err", d.Err, "faults", d.Faults)
	return d
}

// maxResponseBytes bounds the answer body kept in a Delivery.
const maxResponseBytes = 4 << 10

func (s *Server) record(d Delivery, ev *event) {
	d.Platform, d.EventID, d.EventType = ev.platform, ev.id, ev.typ
	s.mu.Lock()
	d.Time = s.cfg.clock.Now()
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()
}

// fail applies the failure handling after the last attempt: divert, suspend and alert.
func (s *Server) fail(j *job, t *target, trigger string, last Delivery) {
	msg := last.Err
	if msg == "" {
		msg = "endpoint answered " + strconv.Itoa(last.Status) + " " + http.StatusText(last.Status)
	}
	s.mu.Lock()
	now := s.cfg.clock.Now()
	var divertTo *[]*diverted
	var suspended *bool
	var suspendedAt *time.Time
	if j.ev.platform == events.Core {
		if h := s.coreHooks[j.hook]; h != nil {
			divertTo, suspended, suspendedAt = &h.diverted, &h.suspended, &h.suspendedAt
		}
	} else if h := s.legacyHooks[j.hook]; h != nil {
		divertTo, suspended, suspendedAt = &h.diverted, &h.suspended, &h.suspendedAt
	}
	if divertTo != nil && t.policy.divert {
		// Diverted events are listed in event order, whatever order their deliveries failed in.
		d := &diverted{ev: j.ev, trigger: trigger, message: msg, at: now}
		i, _ := slices.BinarySearchFunc(*divertTo, d, func(a, b *diverted) int { return compareEvents(a.ev, b.ev) })
		*divertTo = slices.Insert(*divertTo, i, d)
	}
	if suspended != nil && t.policy.suspend && !*suspended {
		*suspended, *suspendedAt = true, now
	}
	s.mu.Unlock()
	s.cfg.log.Info("socotratest: delivery failed", "webhook", j.hook, "event", j.ev.id, "trigger", trigger,
		"diverted", t.policy.divert, "suspended", t.policy.suspend)
	if t.alert == nil {
		return
	}
	actual := strconv.Itoa(last.Status)
	if last.Status == 0 {
		actual = "no response: " + msg
	}
	alert := alertBody(j.ev, j.hook, last.URL, actual)
	s.send(t.alert, Delivery{Webhook: j.hook, Attempt: last.Attempt, Resend: j.resend, Alert: true}, j.ev, alert, 0)
}

// stallReader yields the first part of a body, pauses in real time, then yields the rest.
type stallReader struct {
	ctx         context.Context
	first, rest []byte
	pause       time.Duration
	paused      bool
}

func (r *stallReader) Read(p []byte) (int, error) {
	if len(r.first) > 0 {
		n := copy(p, r.first)
		r.first = r.first[n:]
		return n, nil
	}
	if !r.paused {
		r.paused = true
		t := time.NewTimer(r.pause)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	}
	if len(r.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.rest)
	r.rest = r.rest[n:]
	return n, nil
}
