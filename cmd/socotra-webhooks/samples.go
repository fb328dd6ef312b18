package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/webhooks"
)

// defaultPlatform is the platform a sample of n is sent as: the only one that sends n, Core when both
// (or neither: a name unknown to this SDK).
func defaultPlatform(n events.Name) events.Platform {
	if n.Platforms() == events.Legacy {
		return events.Legacy
	}
	return events.Core
}

// sampleData returns realistic data for n on platform p. Core data is built from n's typed struct
// (events.NewData), so it decodes strictly into it; names without one get {}.
func sampleData(n events.Name, p events.Platform) json.RawMessage {
	if p == events.Core {
		v, ok := events.NewData(n)
		if !ok {
			return json.RawMessage("{}")
		}
		rv := reflect.ValueOf(v).Elem()
		fill(rv, "")
		b, _ := json.Marshal(v) // plain strings, bools and slices always encode
		return b
	}
	return legacyData(n)
}

// enumValues lists plausible values of the enum types of Core data, one chosen per field.
var enumValues = map[reflect.Type][]string{
	reflect.TypeFor[events.DocumentReferenceType]():        {string(events.DocumentReferenceTypePolicy)},
	reflect.TypeFor[events.InvoiceType]():                  {string(events.InvoiceTypeNormal)},
	reflect.TypeFor[events.QuoteState]():                   {string(events.QuoteStateAccepted)},
	reflect.TypeFor[events.QuoteUnderwritingStatus]():      {string(events.QuoteUnderwritingStatusApprove)},
	reflect.TypeFor[events.UserAssociationReferenceType](): {string(events.UserAssociationReferenceTypePolicy)},
}

// fill sets every field of v to a plausible value, by type and JSON name.
func fill(v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			jn, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if jn == "items" { // a page's items are named by the page's field, such as policyLocators
				jn = name
			}
			fill(v.Field(i), jn)
		}
	case reflect.Bool:
		v.SetBool(true) // listCompleted: the page holds the whole list
	case reflect.Slice:
		n := 2
		if v.Type().Elem() == reflect.TypeFor[events.PolicyStatus]() {
			n = 1
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(s.Index(i), name)
		}
		v.Set(s)
	case reflect.String:
		v.SetString(sampleString(v.Type(), name))
	}
}

func sampleString(t reflect.Type, name string) string {
	if vals, ok := enumValues[t]; ok {
		return vals[0]
	}
	switch {
	case t == reflect.TypeFor[events.PolicyStatus]():
		// policy.status.update: a policy goes on risk and leaves pending (seed 002).
		if name == "removedStatuses" {
			return string(events.PolicyStatusPending)
		}
		return string(events.PolicyStatusOnRisk)
	case strings.HasSuffix(name, "Time"):
		return time.Now().UTC().Truncate(time.Millisecond).Format(time.RFC3339Nano)
	case strings.HasSuffix(strings.ToLower(name), "locator") || strings.HasSuffix(name, "Locators"):
		return newULID()
	case name == "underwritingStatus":
		return string(events.QuoteUnderwritingStatusApprove)
	case name == "configVersion":
		return "3"
	case name == "code":
		return "PC-1001"
	case name == "name":
		return "Storm season moratorium"
	}
	return "sample"
}

func newULID() string { return ulid.MustNew(ulid.Now(), rand.Reader).String() }

// legacyData returns Legacy data for n. Legacy data is not published per event (seed 003 types it as
// EventStreamData, an open object), so this is an assumption (unconfirmed): the locator of the entity
// the name starts with, and the policy's locator, as nine-digit numeric strings. Change it with
// --data or --set.
func legacyData(n events.Name) json.RawMessage {
	entity, _, _ := strings.Cut(string(n), ".")
	d := map[string]string{}
	switch entity {
	case "login":
		d["username"] = "alice.underwriter"
	case "policy", "cancellation", "endorsement", "reinstatement", "renewal":
		d["policyLocator"] = legacyLocator()
		if entity != "policy" {
			d[entity+"Locator"] = legacyLocator()
		}
	default:
		d[entity+"Locator"] = legacyLocator()
		d["policyLocator"] = legacyLocator()
	}
	b, _ := json.Marshal(d)
	return b
}

func legacyLocator() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatUint(100000000+uint64(b[0])<<16|uint64(b[1])<<8|uint64(b[2]), 10)
}

// sampleBody returns a delivery body of n on platform p with data.
func sampleBody(n events.Name, p events.Platform, data json.RawMessage, now time.Time) []byte {
	ev := webhooks.Event{Platform: p, Type: n, Data: data, Time: now.UTC().Truncate(time.Millisecond)}
	if p == events.Core {
		ev.ID, ev.RequestID, ev.User = newULID(), newULID(), newUUID()
	} else {
		ev.ID, ev.RequestID, ev.User = newUUID(), newUUID(), "alice.underwriter"
	}
	b, _ := ev.MarshalJSON() // the data is JSON
	return b
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// setPath sets the member at the dotted path of the JSON object body to value: value is taken as JSON
// when it parses as JSON, and as a string otherwise. Missing objects on the way are created.
func setPath(body []byte, path, value string) ([]byte, error) {
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("the body is not a JSON object: %w", err)
	}
	var val any = value
	vd := json.NewDecoder(strings.NewReader(value))
	vd.UseNumber()
	var parsed any
	if err := vd.Decode(&parsed); err == nil && !vd.More() {
		val = parsed
	}
	parts := strings.Split(path, ".")
	cur := root
	for i, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("--set %s: empty member name in the path; write it as data.policyLocator=VALUE", path)
		}
		if i == len(parts)-1 {
			cur[p] = val
			break
		}
		next, ok := cur[p].(map[string]any)
		if !ok {
			if _, exists := cur[p]; exists {
				return nil, fmt.Errorf("--set %s: %q is not an object", path, strings.Join(parts[:i+1], "."))
			}
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	return json.Marshal(root)
}
