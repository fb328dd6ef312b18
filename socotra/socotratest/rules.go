package socotratest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/legacyapi"
)

// The platform rules the fake tenant enforces on event names and data, in one place.
//
//   - Core takes and emits any well-formed name except those only Legacy sends (a webhook for
//     "claim.create" would never fire on Core); custom names pass, as tenants and plugins emit
//     their own (socotra-facts.md, section 3). That the Core API refuses a Legacy-only name is the
//     SDK's reading, stricter than the platform may be: the Core API types eventTypes as plain
//     strings (the reference OpenAPI subset), so Socotra may accept one.
//   - Legacy takes and emits only the names of its event enum (WebhookRequest.events in seed 003,
//     the EventType enum of api/legacy.yaml); the API answers 400 with a field error otherwise.
//   - EmitCore checks data against the event's typed shape ([events.NewData]) strictly: an unknown
//     member or a wrong type is an error, unless the caller wraps the data in [CustomData].
//   - Within that shape, the lists seed 002 describes hold what it allows: a policyLocators list at
//     most five locators (Core sets listCompleted to false when there are more, and the receiver
//     reads the rest from the API), and newStatuses and removedStatuses only the statuses it lists.

// platformEventError says why platform p does not take name n, or "" when it does.
func platformEventError(p events.Platform, n events.Name) string {
	switch {
	case p == events.Core && n.ForeignTo(events.Core):
		msg := strconv.Quote(string(n)) + " is sent only by Legacy (Connected Core); Core never sends it"
		if near, ok := events.NearestOn(string(n), events.Core); ok {
			msg += " (nearest Core name: " + strconv.Quote(string(near)) + ")"
		}
		return msg
	case p == events.Legacy && !n.SentBy(events.Legacy):
		msg := strconv.Quote(string(n)) + " is not a Legacy event type (the events enum of seed 003)"
		if n.SentBy(events.Core) {
			msg = strconv.Quote(string(n)) + " is sent only by Core (Enterprise Core); it is not a Legacy event type (the events enum of seed 003)"
		}
		return msg
	}
	return ""
}

// uuidPattern matches a UUID in its usual text form.
var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// coreIDs checks the ids a Core event is given against EventResponse in the Core API (the reference
// OpenAPI subset): requestId is a ULID and userLocator a UUID.
func coreIDs(e Event) error {
	if e.RequestID != "" {
		if _, err := ulid.ParseStrict(e.RequestID); err != nil {
			return fmt.Errorf("the RequestID %q is not a ULID, which a Core requestId is; leave it empty for a new one", e.RequestID)
		}
	}
	if e.User != "" && !uuidPattern.MatchString(e.User) {
		return fmt.Errorf("the User %q is not a UUID, which a Core userLocator is; leave it empty for the server's test user", e.User)
	}
	return nil
}

// customData is data an emit sends as given: see [CustomData].
type customData struct{ v any }

// CustomData marks data for [Server.EmitCore] (or [Event].Data) to be sent as given, without the
// check against the Core event's typed shape: for a tenant's custom event, a plugin's extra
// members, or a test of a receiver facing data it does not expect. v is what [Event].Data
// accepts.
func CustomData(v any) any { return customData{v} }

// MarshalJSON encodes the wrapped data, so that code passing data on keeps it.
func (c customData) MarshalJSON() ([]byte, error) { return encodeData(c.v) }

// emitData checks e for platform p and returns its data as the delivery carries it.
func emitData(p events.Platform, e Event) (json.RawMessage, error) {
	if msg := platformEventError(p, e.Type); msg != "" {
		other := "events.Legacy"
		if p == events.Legacy {
			other = "events.Core"
		}
		return nil, fmt.Errorf("%s: emit a name %s sends, or emit it on %s", msg, map[events.Platform]string{events.Core: "Core", events.Legacy: "Legacy"}[p], other)
	}
	v, custom := e.Data.(customData)
	if custom {
		return encodeData(v.v)
	}
	data, err := encodeData(e.Data)
	if err != nil || p != events.Core {
		return data, err
	}
	typed, ok := events.NewData(e.Type)
	if !ok {
		return data, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(typed); err != nil {
		return nil, fmt.Errorf("data %s does not fit %T, the data of a Core %s event: %v; wrap it in socotratest.CustomData to send it anyway",
			abbrev(data), typed, e.Type, err)
	}
	if err := listRules(typed, data); err != nil {
		return nil, fmt.Errorf("data of a Core %s event: %w; wrap it in socotratest.CustomData to send it anyway", e.Type, err)
	}
	return data, nil
}

// maxPolicyLocators is how many policy locators a Core event lists at most (seed 002, "Billing").
const maxPolicyLocators = 5

// listRules checks the lists of Core data against seed 002: typed is data decoded into its events type
// (a pointer to a struct). Each list is present with both of its members, which seed 002 marks required.
func listRules(typed any, data json.RawMessage) error {
	v := reflect.Indirect(reflect.ValueOf(typed))
	if v.Kind() != reflect.Struct {
		return nil
	}
	var members map[string]json.RawMessage
	_ = json.Unmarshal(data, &members) // it decoded into typed already
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		switch v.Field(i).Interface().(type) {
		case events.LocatorPage, events.PolicyStatusPage:
			var page map[string]json.RawMessage
			_ = json.Unmarshal(members[name], &page)
			if page["listCompleted"] == nil || page["items"] == nil {
				return fmt.Errorf(`%s needs both "listCompleted" and "items" (seed 002 marks them required), as in {"listCompleted":true,"items":[]}`, name)
			}
		}
		switch p := v.Field(i).Interface().(type) {
		case events.LocatorPage:
			if len(p.Items) > maxPolicyLocators {
				return fmt.Errorf("%s lists %d items, but Core sends at most %d and sets listCompleted to false when there are more (seed 002); send %d with listCompleted false",
					name, len(p.Items), maxPolicyLocators, maxPolicyLocators)
			}
		case events.PolicyStatusPage:
			for _, st := range p.Items {
				if !st.Known() {
					return fmt.Errorf("%s lists %q, which is not a policy status (seed 002: pending, inGap, expired, cancelled, cancelPending, onRisk, delinquent, doNotRenew)", name, st)
				}
			}
		}
	}
	return nil
}

// abbrev shortens data for an error message.
func abbrev(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// coreAlert is the body the fake posts to a Core webhook's alert endpoint. Core does not publish
// its alert shape (unconfirmed): the fake assumes Legacy's FailureMessage (seed 003) with the
// webhook's locator as "webhookLocator" in place of "webhookName", which is what package
// webhooks recognises as a Core alert.
type coreAlert struct {
	WebhookLocator string          `json:"webhookLocator"`
	URL            string          `json:"url"`
	ExpectedStatus string          `json:"expectedStatus"`
	ActualStatus   string          `json:"actualStatus"`
	EventData      json.RawMessage `json:"eventData"`
}

// alertBody is the failure alert for ev's delivery to hook: Legacy's FailureMessage (seed 003:
// {actualStatus, eventData, expectedStatus, url, webhookName}) or the assumed Core shape.
func alertBody(ev *event, hook, url, actual string) []byte {
	var v any = coreAlert{WebhookLocator: hook, URL: url, ExpectedStatus: "2xx", ActualStatus: actual, EventData: ev.body()}
	if ev.platform == events.Legacy {
		v = legacyapi.FailureMessage{
			Url: ptr(url), ExpectedStatus: ptr("2xx"), ActualStatus: ptr(actual), WebhookName: hook,
			EventData: json.RawMessage(ev.body()),
		}
	}
	b, _ := json.Marshal(v) // every member encodes
	return b
}
