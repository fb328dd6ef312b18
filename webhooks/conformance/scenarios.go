package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// unknownType is the event type of ScenarioUnknownType: well formed, and no platform sends it.
const unknownType events.Name = "conformance.unknown.event"

// lateBy is how long before its delivery the event of ScenarioLate happened.
const lateBy = 6 * time.Hour

// concurrentCopies is how many copies of one delivery ScenarioConcurrent sends at once.
const concurrentCopies = 5

func (s *session) event() socotratest.Event {
	return socotratest.Event{Type: s.cfg.samples[0].typ, Data: s.cfg.samples[0].data}
}

// expectOnce adds never (with the first 2xx status) when the event was acknowledged but not processed, and
// twice (with the count) when it was processed more than once. An empty never is not checked. Without a
// probe it does nothing.
func (s *session) expectOnce(r *result, id string, as []answer, never, twice string) {
	n := s.processed(id)
	if n == 0 && anyOK(as) {
		n = s.awaitProcessed(id)
	}
	switch {
	case n == 0 && never != "":
		for _, a := range as {
			if a.ok() {
				r.add(id, never, a.status)
				return
			}
		}
	case n > 1:
		r.add(id, twice, n)
	}
}

const twiceGeneric = "processed the same event %d times; remember processed event ids and skip repeats " +
	"(webhooks.NewHandler does, with its Deduper)"

func (s *session) valid(ctx context.Context, r *result) error {
	var types []events.Name
	for _, x := range s.cfg.samples {
		if !slices.Contains(types, x.typ) {
			types = append(types, x.typ)
		}
	}
	srv, err := s.tenant(ctx, socotratest.Faults{}, types...)
	if err != nil {
		return err
	}
	defer srv.Close()
	for _, x := range s.cfg.samples {
		em, as, err := s.emit(ctx, r, srv, socotratest.Event{Type: x.typ, Data: x.data})
		if err != nil {
			return err
		}
		if a := as[0]; a.status != 0 && !a.ok() {
			r.add(em.ID, "answered %d to a valid signed delivery of %s; %s", a.status, x.typ, hint(a.status))
		}
		s.expectOnce(r, em.ID, as, "answered %d to a valid delivery of "+string(x.typ)+" but never processed it; "+
			"call Probe.Observe(ev.ID) where the event is processed, or give with WithEvent an event type the "+
			"handler processes", twiceGeneric)
	}
	return nil
}

// hint suggests the cause of a status given to a valid delivery.
func hint(status int) string {
	switch {
	case status == 401 || status == 403:
		return "check that it verifies with the secret given to the kit, over the raw body exactly as received"
	case status == 404 || status == 405:
		return "check that the route accepts POST at the path given with WithPath"
	case status == 409:
		return "nothing else was processing the event: an earlier attempt kept its claim"
	case status == 413:
		return "its body limit is smaller than this delivery"
	case status < 500:
		return "check that it decodes this platform's delivery format and this event's data"
	default:
		return "processing failed: see the handler's log"
	}
}

func (s *session) duplicate(ctx context.Context, r *result) error {
	srv, err := s.tenant(ctx, socotratest.Faults{Seed: 1, Duplicate: 1}, s.event().Type)
	if err != nil {
		return err
	}
	defer srv.Close()
	em, as, err := s.emit(ctx, r, srv, s.event())
	if err != nil {
		return err
	}
	for i := 1; i < len(as); i++ {
		if as[i-1].ok() && as[i].status != 0 && !as[i].ok() {
			r.add(em.ID, "answered %d to a second delivery of an event it had already processed; answer 2xx, "+
				"or Socotra keeps delivering it and counts the failures against the webhook", as[i].status)
		}
	}
	s.expectOnce(r, em.ID, as, "answered %d to an event delivered twice but never processed it",
		"processed the same event %d times when Socotra delivered it twice; remember processed event ids and "+
			"skip repeats (webhooks.NewHandler does, with its Deduper)")
	return nil
}

func (s *session) concurrent(ctx context.Context, r *result) error {
	em, err := s.body(ctx, s.event())
	if err != nil {
		return err
	}
	as := s.postAtOnce(ctx, r, em.ID, em.Body, concurrentCopies)
	if !anyOK(as) { // Socotra retries a failed delivery: by then the first copy has finished
		as = append(as, s.post(ctx, r, em.ID, em.Body, hmac.Sign(s.secret, em.Body)))
		if last := as[len(as)-1]; last.status != 0 && !last.ok() {
			r.add(em.ID, "answered %d to an event delivered %d times at once, even to a copy sent after the others "+
				"had finished; answer 2xx once the event has been processed", last.status, concurrentCopies)
		}
	}
	s.expectOnce(r, em.ID, as, "answered %d to an event delivered several times at once but never processed it",
		fmt.Sprintf("processed the same event %%d times when it was delivered %d times at once; claim the event id "+
			"atomically before processing (see webhooks.Deduper)", concurrentCopies))
	return nil
}

func anyOK(as []answer) bool {
	for _, a := range as {
		if a.ok() {
			return true
		}
	}
	return false
}

func (s *session) reordered(ctx context.Context, r *result) error {
	srv, err := s.tenant(ctx, socotratest.Faults{}, s.event().Type)
	if err != nil {
		return err
	}
	defer srv.Close()
	now := time.Now()
	newer, older := s.event(), s.event()
	newer.Time, older.Time = now, now.Add(-time.Minute)
	em, as, err := s.emit(ctx, r, srv, newer)
	if err != nil {
		return err
	}
	s.expectOnce(r, em.ID, as, "answered %d to a valid delivery but never processed it", twiceGeneric)
	if em, as, err = s.emit(ctx, r, srv, older); err != nil {
		return err
	}
	if a := as[0]; a.status != 0 && !a.ok() {
		r.add(em.ID, "answered %d to an event that arrived after a newer one; Socotra does not deliver in order, "+
			"so accept events in any order", a.status)
	}
	s.expectOnce(r, em.ID, as, "answered %d to an event that arrived after a newer one but never processed it; "+
		"Socotra does not deliver in order, so process every event (compare times in your own data where order "+
		"matters)", twiceGeneric)
	return nil
}

func (s *session) late(ctx context.Context, r *result) error {
	srv, err := s.tenant(ctx, socotratest.Faults{}, s.event().Type)
	if err != nil {
		return err
	}
	defer srv.Close()
	e := s.event()
	e.Time = time.Now().Add(-lateBy)
	em, as, err := s.emit(ctx, r, srv, e)
	if err != nil {
		return err
	}
	if a := as[0]; a.status != 0 && !a.ok() {
		r.add(em.ID, "answered %d to an event that happened %s before it was delivered; Socotra's retries and "+
			"resends keep the original time, so do not refuse events by age (dedupe on the event id instead)",
			a.status, lateBy)
	}
	s.expectOnce(r, em.ID, as, "answered %d to an event that happened "+lateBy.String()+" before it was delivered "+
		"but never processed it; Socotra's retries and resends keep the original time, so do not skip events by age",
		twiceGeneric)
	return nil
}

func (s *session) retry(ctx context.Context, r *result) error {
	if s.cfg.probe == nil {
		r.Skipped = "needs a Probe (WithProbe) to simulate a failure of processing"
		return nil
	}
	srv, err := s.tenant(ctx, socotratest.Faults{}, s.event().Type)
	if err != nil {
		return err
	}
	defer srv.Close()
	failed := s.cfg.probe.arm()
	em, as, err := s.emit(ctx, r, srv, s.event())
	if got := failed(); err != nil || got != em.ID {
		if err == nil {
			r.add(em.ID, "never called Probe.Observe for the event, so no failure could be simulated; call it (or "+
				"use Probe.Wrap) where the event is processed")
		}
		return err
	}
	first := as[0]
	switch {
	case first.ok():
		r.add(em.ID, "answered %d although processing failed, so Socotra will not deliver the event again and it "+
			"is lost; answer 5xx when processing fails", first.status)
	case first.status >= 400 && first.status < 500:
		r.add(em.ID, "answered %d when processing failed; answer 5xx: a 4xx says the request is wrong, and a "+
			"webhook whose failure triggers list only 5xx does not retry it", first.status)
	}
	if first.ok() || s.processed(em.ID) != 0 || len(as) < 2 {
		s.expectOnce(r, em.ID, as, "", twiceGeneric)
		return nil
	}
	if last := as[len(as)-1]; last.ok() {
		r.add(em.ID, "answered %d to the redelivery after a failure without processing the event, so it is lost: "+
			"it was remembered as processed before processing succeeded; record an event as done only after its "+
			"processing succeeds (webhooks.Deduper's Release on failure)", last.status)
	} else if last.status != 0 {
		r.add(em.ID, "answered %d to the redelivery after a failure too, so the event is never processed; release "+
			"whatever the failed attempt held (a dedupe claim, a lock) when processing fails", last.status)
	}
	return nil
}

func (s *session) forged(ctx context.Context, r *result) error {
	judge := func(id string, a answer, what string) {
		switch {
		case a.ok():
			r.add(id, "accepted %s (answered %d); verify Socotra-Signature over the raw body with the webhook "+
				"secret before anything else (hmac.Verifier)", what, a.status)
		case a.status >= 500:
			r.add(id, "answered %d to %s; answer 401, since a retry cannot fix it", a.status, what)
		}
		if s.processed(id) > 0 {
			r.add(id, "processed an event that came with %s; verify the signature before processing", what)
		}
	}
	for _, c := range []struct {
		faults socotratest.Faults
		what   string
	}{
		{socotratest.Faults{Seed: 1, CorruptSignature: 1}, "a forged signature"},
		{socotratest.Faults{Seed: 1, TamperBody: 1}, "a body changed after it was signed"},
	} {
		srv, err := s.tenant(ctx, c.faults, s.event().Type)
		if err != nil {
			return err
		}
		em, as, err := s.emit(ctx, r, srv, s.event())
		srv.Close()
		if err != nil {
			return err
		}
		for _, a := range as {
			judge(em.ID, a, c.what)
		}
	}
	em, err := s.body(ctx, s.event())
	if err != nil {
		return err
	}
	judge(em.ID, s.post(ctx, r, em.ID, em.Body, ""), "a request without a "+hmac.HeaderName+" header")
	return nil
}

// typeNotHandled is the event type ScenarioUnknownType sends: on Core, unknownType (Core delivers
// custom names); Legacy delivers only the names of its event enum (seed 003), so there it is the
// first Legacy name that no WithEvent sample uses.
func (s *session) typeNotHandled() events.Name {
	if s.platform != events.Legacy {
		return unknownType
	}
	for _, n := range events.LegacyNames() {
		if !slices.ContainsFunc(s.cfg.samples, func(x sample) bool { return x.typ == n }) {
			return n
		}
	}
	return unknownType
}

func (s *session) unknownType(ctx context.Context, r *result) error {
	typ := s.typeNotHandled()
	srv, err := s.tenant(ctx, socotratest.Faults{}, typ)
	if err != nil {
		return err
	}
	defer srv.Close()
	em, as, err := s.emit(ctx, r, srv, socotratest.Event{Type: typ})
	if err != nil {
		return err
	}
	switch a := as[0]; {
	case a.status >= 500:
		r.add(em.ID, "answered %d for an unknown event type, which makes Socotra retry forever (or divert the event, "+
			"or suspend the webhook); acknowledge event types you do not handle with 2xx, since Socotra and tenants "+
			"add new ones", a.status)
	case a.status != 0 && !a.ok():
		r.add(em.ID, "answered %d for an unknown event type; Socotra counts a 4xx as a failure, so it retries, "+
			"diverts or suspends the webhook; acknowledge event types you do not handle with 2xx", a.status)
	}
	return nil
}

func (s *session) newFields(ctx context.Context, r *result) error {
	em, err := s.body(ctx, s.event())
	if err != nil {
		return err
	}
	body, err := addField(em.Body)
	if err != nil {
		return err
	}
	a := s.post(ctx, r, em.ID, body, hmac.Sign(s.secret, body))
	if a.status != 0 && !a.ok() {
		r.add(em.ID, "answered %d to a delivery with a field it does not know (%q, at the top and in the data); "+
			"Socotra adds fields over time, so ignore unknown ones (do not use DisallowUnknownFields)", a.status, newField)
	}
	s.expectOnce(r, em.ID, []answer{a}, "answered %d to a delivery with a field it does not know but never "+
		"processed it; Socotra adds fields over time, so ignore unknown ones", twiceGeneric)
	return nil
}

// newField is the member ScenarioNewFields adds to a delivery and to its data.
const newField = "conformanceNewField"

// addField returns a delivery body with newField added at the top level and in its data object.
func addField(body []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, err
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(top["data"], &data); err != nil || data == nil {
		return nil, fmt.Errorf("delivery data is not an object: %.40q", top["data"])
	}
	added := json.RawMessage(`{"added":true}`)
	data[newField] = added
	top[newField] = added
	var err error
	if top["data"], err = json.Marshal(data); err != nil {
		return nil, err
	}
	return json.Marshal(top)
}

func (s *session) malformed(ctx context.Context, r *result) error {
	em, err := s.body(ctx, s.event())
	if err != nil {
		return err
	}
	for _, c := range []struct {
		id, what string
		body     []byte
	}{
		{em.ID, "truncated JSON", em.Body[:len(em.Body)/2]},
		{"", "a JSON object without an event id or type", []byte(`{"hello":"world"}`)},
	} {
		a := s.post(ctx, r, c.id, c.body, hmac.Sign(s.secret, c.body))
		switch {
		case a.ok():
			r.add(c.id, "answered %d to a signed body that is not a delivery (%s); answer 400, so that a change of "+
				"format shows as failed deliveries instead of silently lost events", a.status, c.what)
		case a.status >= 500:
			r.add(c.id, "answered %d to a signed body that is not a delivery (%s); answer 400, since a retry cannot "+
				"fix the body", a.status, c.what)
		}
	}
	return nil
}

func (s *session) oversized(ctx context.Context, r *result) error {
	limit := s.cfg.maxBody
	e := s.event()
	e.Time = time.Now().UTC().Truncate(time.Second) // a fixed-length timestamp keeps the size exact
	padded, err := pad(e.Data, 0)
	if err != nil {
		return err
	}
	e.Data = socotratest.CustomData(padded) // the padding member is the kit's own, not the event's
	base, err := s.body(ctx, e)
	if err != nil {
		return err
	}
	room := limit - int64(len(base.Body))
	if room < 0 {
		return fmt.Errorf("a delivery of the WithEvent data is %d bytes, over the WithMaxBodyBytes limit of %d",
			len(base.Body), limit)
	}
	srv, err := s.tenant(ctx, socotratest.Faults{}, e.Type)
	if err != nil {
		return err
	}
	defer srv.Close()
	for _, size := range []int64{limit, limit + 1} {
		if padded, err = pad(s.event().Data, size-int64(len(base.Body))); err != nil {
			return err
		}
		e.Data = socotratest.CustomData(padded)
		em, as, err := s.emit(ctx, r, srv, e)
		if err != nil {
			return err
		}
		if int64(len(em.Body)) != size {
			return fmt.Errorf("padded delivery is %d bytes, want %d", len(em.Body), size)
		}
		a := as[0]
		if size <= limit {
			if a.status != 0 && !a.ok() {
				r.add(em.ID, "refused a delivery of %d bytes, within the limit of %d (answered %d); raise the "+
					"handler's body limit, or set WithMaxBodyBytes to the limit it enforces", size, limit, a.status)
			}
			s.expectOnce(r, em.ID, as, fmt.Sprintf("answered %%d to a delivery of %d bytes (at the limit) but never "+
				"processed it", size), twiceGeneric)
			continue
		}
		switch {
		case a.ok():
			r.add(em.ID, "answered %d to an oversized body (%d bytes, limit %d); refuse bodies over the limit with "+
				"413 without reading them whole (hmac.WithMaxBodyBytes or http.MaxBytesReader)", a.status, size, limit)
		case a.status >= 500:
			r.add(em.ID, "answered %d to an oversized body (%d bytes, limit %d); answer 413, since a retry will not "+
				"make it smaller", a.status, size, limit)
		}
		if s.processed(em.ID) > 0 {
			r.add(em.ID, "processed an oversized body (%d bytes, limit %d); refuse it before processing", size, limit)
		}
	}
	return nil
}

// pad returns data (see WithEvent) as a JSON object with a "conformancePadding" member of n characters.
func pad(data any, n int64) (json.RawMessage, error) {
	raw, err := socotratest.Event{Data: data}.EncodeData()
	if err != nil {
		return nil, fmt.Errorf("WithEvent data: %w", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("WithEvent data: %w", err)
	}
	obj["conformancePadding"], _ = json.Marshal(strings.Repeat("x", int(n)))
	return json.Marshal(obj)
}

func (s *session) slow(ctx context.Context, r *result) error {
	em, err := s.body(ctx, s.event())
	if err != nil {
		return err
	}
	const pieces = 4
	pause := min(s.cfg.timeout/10, 50*time.Millisecond)
	a := s.postInPieces(ctx, r, em.ID, em.Body, pieces, pause)
	if a.status != 0 && !a.ok() {
		r.add(em.ID, "answered %d to a delivery whose body arrived in %d pieces %s apart; read the whole body "+
			"(io.ReadAll) before verifying the signature", a.status, pieces, pause)
	}
	s.expectOnce(r, em.ID, []answer{a}, "answered %d to a delivery whose body arrived in pieces but never "+
		"processed it; read the whole body (io.ReadAll) before decoding it", twiceGeneric)
	return nil
}
