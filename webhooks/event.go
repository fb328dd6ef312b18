package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/socotra-go/sdk/events"
)

// Event is one Socotra webhook delivery, Core or Legacy, in one shape.
//
// An Event from [Parse] aliases the body it was parsed from: Raw is the body and Data is a sub-slice of it,
// so the body must not be modified while the Event is in use, and the Event must not outlive a body its
// owner reuses ([Event.Clone] makes an independent copy). [Handler.ServeHTTP] reads each request into a
// fresh buffer that nothing else writes to, so a [HandlerFunc] may keep its Event, but must not modify Raw
// or Data.
type Event struct {
	// ID identifies the event: the Core "locator" (a ULID) or the Legacy "id". Dedupe is keyed on it.
	ID string
	// Type is the event name, such as events.PolicyQuoteIssue. Unknown names are normal events, and so
	// are names that are not well-formed (see events.Parse), such as a tenant's custom type with a hyphen
	// or a space: Type is then the string as delivered, [events.Match] patterns route it as usual, and it
	// normally reaches the fallback. It is never empty.
	Type events.Name
	// Time is when the event happened: Core "timestamp" (RFC 3339, its offset kept) or Legacy "timestamp"
	// (epoch milliseconds, in UTC). Retries keep the original time.
	Time time.Time
	// RequestID is the Core "requestId" or the Legacy "transactionId"; empty when absent.
	RequestID string
	// User is the Core "userLocator" or the Legacy "username"; empty when absent.
	User string
	// Data is the raw "data" value, nil when the body has none. See [Event.DecodeData] and [HandleData].
	Data json.RawMessage
	// Platform is events.Core or events.Legacy, detected from the body.
	Platform events.Platform
	// Raw is the whole body as delivered; for an event a backfill hands over, the body in its platform's
	// delivery format ([Event.MarshalJSON]).
	Raw []byte
	// Header holds the headers of the request that delivered the event, as received (the signature
	// header and any header set at registration included); nil for events that did not come over HTTP,
	// such as a backfill's. It is the request's own map: read it, do not modify it. Printed or logged, an
	// Event shows the header names only, every value hidden (see [Event.String]).
	Header http.Header
}

// ErrInvalidDelivery matches (with [errors.Is]) every error [Parse] returns.
var ErrInvalidDelivery = errors.New("webhooks: invalid delivery")

// ParseError is the error [Parse] returns for a body that is not a delivery. Its message names the field at
// fault, for example `webhooks: missing "type"` or `webhooks: "timestamp": not RFC 3339: ...`.
type ParseError struct {
	// Field is the top-level key at fault, such as "type" or "timestamp"; empty when the fault is with the
	// body as a whole (not JSON, not an object).
	Field string
	msg   string
	err   error
}

// Error returns the message, prefixed with "webhooks: ".
func (e *ParseError) Error() string { return "webhooks: " + e.msg }

// Unwrap returns the underlying error, such as a *time.ParseError, if any.
func (e *ParseError) Unwrap() error { return e.err }

// Is makes every ParseError match [ErrInvalidDelivery].
func (e *ParseError) Is(target error) bool { return target == ErrInvalidDelivery }

func fieldError(field string, err error, format string, args ...any) *ParseError {
	return &ParseError{Field: field, msg: fmt.Sprintf("%q: ", field) + fmt.Sprintf(format, args...), err: err}
}

func missing(field, hint string) *ParseError {
	return &ParseError{Field: field, msg: fmt.Sprintf("missing %q%s", field, hint)}
}

// The top-level keys Parse reads.
const (
	fLocator = iota
	fID
	fRequestID
	fTransactionID
	fUserLocator
	fUsername
	fTimestamp
	fType
	fData
	nFields
)

func fieldIndex(key []byte) int {
	switch string(key) {
	case "locator":
		return fLocator
	case "id":
		return fID
	case "requestId":
		return fRequestID
	case "transactionId":
		return fTransactionID
	case "userLocator":
		return fUserLocator
	case "username":
		return fUsername
	case "timestamp":
		return fTimestamp
	case "type":
		return fType
	case "data":
		return fData
	}
	return -1
}

// Parse decodes a webhook delivery body. The platform is detected from the body: a "locator" key means a
// Core delivery {locator, requestId, userLocator, timestamp (RFC 3339), type, data}; otherwise an "id" key
// means a Legacy delivery {id, timestamp (epoch milliseconds, as a number or a string), transactionId,
// username, type, data}.
//
// The id, "type" and "timestamp" are required, and "type" must be a non-empty string; other keys are
// optional, and unknown keys are ignored. A "type" that [events.Parse] calls malformed (a hyphen or a space
// in a tenant's custom event type, say) is accepted as it is, since refusing it would make Socotra retry or
// divert the delivery forever; a [Handler] logs such names at debug level. When a key appears twice the
// last one wins. The error for a body that is not a delivery is a *[ParseError] naming the field at fault.
//
// Parse checks the syntax of the whole body in one pass and does not copy it: the Event's Raw is body and
// its Data is a sub-slice of body, so body must not change while the Event is in use (see [Event.Clone]).
func Parse(body []byte) (*Event, error) {
	var raw [nFields][]byte
	if err := scanFields(body, &raw); err != nil {
		return nil, err
	}
	ev := &Event{Raw: body, Data: raw[fData]}
	if err := ev.fill(&raw); err != nil {
		return nil, err
	}
	return ev, nil
}

// parseInto is [Parse] into an Event the caller provides; on error *ev is left in an unspecified state.
func parseInto(ev *Event, body []byte) error {
	var raw [nFields][]byte
	if err := scanFields(body, &raw); err != nil {
		return err
	}
	*ev = Event{Raw: body, Data: raw[fData]}
	return ev.fill(&raw)
}

// scanFields checks that body is one JSON object and stores the raw values of the keys Parse reads.
func scanFields(body []byte, raw *[nFields][]byte) error {
	i := skipSpace(body, 0)
	if i == len(body) {
		return &ParseError{msg: "empty body; want a JSON object"}
	}
	if body[i] != '{' {
		if json.Valid(body) {
			return &ParseError{msg: "body is JSON but not an object; want a JSON object"}
		}
		return &ParseError{msg: "body is not JSON: " + syntaxError(body, i, "want '{'").Error()}
	}
	i = skipSpace(body, i+1)
	more := i >= len(body) || body[i] != '}'
	if !more {
		i++
	}
	for more {
		if i >= len(body) || body[i] != '"' {
			return &ParseError{msg: syntaxError(body, i, "want a string key").Error()}
		}
		start := i
		var escaped bool
		var err error
		if i, escaped, err = skipString(body, i); err != nil {
			return &ParseError{msg: err.Error()}
		}
		key := body[start+1 : i-1]
		if escaped {
			var k string
			_ = json.Unmarshal(body[start:i], &k) // checked by skipString
			key = []byte(k)
		}
		vstart, err := skipColon(body, i)
		if err == nil {
			if end := skipFast(body, vstart); end >= 0 {
				i = end
			} else {
				i, err = skipValue(body, vstart, 1) // deep nesting, or an error to describe
			}
		}
		if err != nil {
			return &ParseError{Field: string(key), msg: fmt.Sprintf("%q: %v", key, err)}
		}
		if f := fieldIndex(key); f >= 0 {
			raw[f] = body[vstart:i]
		}
		if i, more, err = skipComma(body, i, '}'); err != nil {
			return &ParseError{msg: err.Error()}
		}
	}
	if i = skipSpace(body, i); i != len(body) {
		return &ParseError{msg: syntaxError(body, i, "want the end of input after the object").Error()}
	}
	return nil
}

// fill sets ev's fields from the raw values. The short strings (id, request id, user and a Core timestamp)
// share one allocation.
func (ev *Event) fill(raw *[nFields][]byte) error {
	ev.Platform = events.Core
	if raw[fLocator] == nil {
		if raw[fID] == nil {
			return missing("locator", ` (Core) or "id" (Legacy); is this a Socotra webhook delivery?`)
		}
		ev.Platform = events.Legacy
	}
	keys := keysOf(ev.Platform)
	idKey, reqKey, userKey := keys.id, keys.request, keys.user
	if raw[fType] == nil {
		return missing("type", "")
	}
	if raw[fTimestamp] == nil {
		return missing("timestamp", "")
	}

	// Gather the strings, packing those that need no unescaping into one buffer.
	var tmp [256]byte
	pack := tmp[:0]
	var spans [nFields][2]int
	var decoded [nFields]*string
	var strs [nFields]string
	for _, f := range [...]int{idKey, reqKey, userKey, fTimestamp} {
		v := raw[f]
		if f == fTimestamp && (ev.Platform == events.Legacy || len(v) == 0 || v[0] != '"') {
			continue // parsed below, from the raw bytes
		}
		if (f == reqKey || f == userKey) && (v == nil || string(v) == "null") {
			continue
		}
		if v[0] != '"' {
			return fieldError(fieldNames[f], nil, "want a string, got %s", kind(v))
		}
		content := v[1 : len(v)-1]
		if bytes.IndexByte(content, '\\') >= 0 || !utf8.Valid(content) {
			decoded[f] = new(string)
			_ = json.Unmarshal(v, decoded[f]) // syntax already checked
			continue
		}
		spans[f] = [2]int{len(pack), len(pack) + len(content)}
		pack = append(pack, content...)
	}
	packed := string(pack)
	for _, f := range [...]int{idKey, reqKey, userKey, fTimestamp} {
		if decoded[f] != nil {
			strs[f] = *decoded[f]
		} else {
			strs[f] = packed[spans[f][0]:spans[f][1]]
		}
	}
	if ev.ID = strs[idKey]; ev.ID == "" {
		return fieldError(fieldNames[idKey], nil, "empty; want the event's id")
	}
	if len(ev.ID) > MaxIDBytes {
		return fieldError(fieldNames[idKey], nil, "%d bytes long; want at most %d (Socotra's ids are ULIDs or UUIDs)", len(ev.ID), MaxIDBytes)
	}
	ev.RequestID, ev.User = strs[reqKey], strs[userKey]

	typ, err := parseType(raw[fType])
	if err != nil {
		return err
	}
	ev.Type = typ

	ts := raw[fTimestamp]
	if ev.Platform == events.Core {
		if ts[0] != '"' {
			return fieldError("timestamp", nil, "want an RFC 3339 string, got %s", kind(ts))
		}
		t, err := time.Parse(time.RFC3339, strs[fTimestamp])
		if err != nil {
			return fieldError("timestamp", err, "not RFC 3339: %v", err)
		}
		ev.Time = t
		return nil
	}
	ms, ok := parseMillis(ts)
	if !ok {
		return fieldError("timestamp", nil, "not epoch milliseconds (an integer, as a number or a string): %.40s", ts)
	}
	ev.Time = time.UnixMilli(ms).UTC()
	return nil
}

var fieldNames = [nFields]string{"locator", "id", "requestId", "transactionId", "userLocator", "username", "timestamp", "type", "data"}

// platformKeys are the keys that differ between the two delivery formats, which both [Parse] and
// [Event.MarshalJSON] read: Core sends the event stream's EventResponse {locator, requestId, userLocator,
// timestamp (RFC 3339), type, data} (seed 002, reference/socotra-facts.md §3) and Legacy a WebhookPayload
// {id, transactionId, username, timestamp (epoch milliseconds), type, data} (seed 003, the same section).
type platformKeys struct{ id, request, user int }

func keysOf(p events.Platform) platformKeys {
	if p == events.Legacy {
		return platformKeys{fID, fTransactionID, fUsername}
	}
	return platformKeys{fLocator, fRequestID, fUserLocator}
}

// parseType returns the event name in the raw "type" value: any non-empty string, well-formed or not.
// Known names are interned, so they cost no allocation.
func parseType(v []byte) (events.Name, error) {
	if v[0] != '"' {
		return "", fieldError("type", nil, "want a string, got %s", kind(v))
	}
	content := v[1 : len(v)-1]
	if i, ok := knownIndex[string(content)]; ok {
		return knownNames[i], nil
	}
	s := string(content)
	if bytes.IndexByte(content, '\\') >= 0 || !utf8.Valid(content) {
		_ = json.Unmarshal(v, &s) // syntax already checked; invalid UTF-8 becomes U+FFFD, as for the other strings
		if i, ok := knownIndex[s]; ok {
			return knownNames[i], nil
		}
	}
	if s == "" {
		return "", fieldError("type", nil, `empty; want the event's name, such as "policy.issue"`)
	}
	return events.Name(s), nil
}

// knownNames is every known event name, and knownIndex maps each to its index in knownNames. Lookups with
// a []byte key converted in place do not allocate.
var (
	knownNames = events.All()
	knownIndex = func() map[string]int {
		m := make(map[string]int, len(knownNames))
		for i, n := range knownNames {
			m[string(n)] = i
		}
		return m
	}()
)

// parseMillis reads an integer, bare or in a string without escapes, such as 1700000000000 or "-5".
func parseMillis(v []byte) (int64, bool) {
	if len(v) >= 2 && v[0] == '"' {
		v = v[1 : len(v)-1]
	}
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 18 { // 18 digits cannot overflow an int64
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// kind names the JSON type of a raw value, for error messages.
func kind(v []byte) string {
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// Clone returns a deep copy of e that shares no memory with the body it was parsed from.
func (e *Event) Clone() *Event {
	c := *e
	c.Raw = bytes.Clone(e.Raw)
	c.Data = bytes.Clone(e.Data)
	c.Header = e.Header.Clone()
	return &c
}

// MarshalJSON encodes e in its platform's delivery format (Raw is not used), so that [Parse] of the result
// gives an equal Event. A Legacy time is kept to the millisecond. It is an error when e.Platform is neither
// events.Core nor events.Legacy.
func (e Event) MarshalJSON() ([]byte, error) {
	var ts any
	switch e.Platform {
	case events.Core:
		ts = e.Time.Format(time.RFC3339Nano)
	case events.Legacy:
		ts = e.Time.UnixMilli()
	default:
		return nil, fmt.Errorf("webhooks: cannot encode an event whose Platform is %s; set events.Core or events.Legacy", e.Platform)
	}
	keys := keysOf(e.Platform)
	members := []struct {
		key   int
		value any
	}{{keys.id, e.ID}, {keys.request, e.RequestID}, {keys.user, e.User}, {fTimestamp, ts}, {fType, e.Type}, {fData, e.Data}}
	if len(e.Data) == 0 {
		members = members[:len(members)-1]
	}
	b := []byte{'{'}
	for i, m := range members {
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, fmt.Errorf("webhooks: encode %q of event %s: %w", fieldNames[m.key], e.ID, err)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, '"'), fieldNames[m.key]...), `":`...)
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON parses a copy of b with [Parse], so the Event does not alias b.
func (e *Event) UnmarshalJSON(b []byte) error {
	ev, err := Parse(bytes.Clone(b))
	if err != nil {
		return err
	}
	*e = *ev
	return nil
}

// ErrNoData is wrapped by the error [Event.DecodeData] returns for an event without a typed data struct.
var ErrNoData = errors.New("webhooks: no typed data for this event")

// DecodeData decodes e.Data into a new value of the typed data struct for e.Type, such as
// *events.QuoteData for events.PolicyQuoteIssue, ready for a type switch. Absent or null data gives the
// zero struct. It fails with an error wrapping [ErrNoData] for Legacy deliveries and for names without a
// typed struct (see events.NewData), and with a decoding error when the data does not fit the struct.
func (e *Event) DecodeData() (any, error) {
	if e.Platform != events.Core {
		return nil, fmt.Errorf("%w: %s is a %s delivery; typed data is for Core events (decode e.Data yourself)", ErrNoData, e.Type, e.Platform)
	}
	v, ok := events.NewData(e.Type)
	if !ok {
		return nil, fmt.Errorf("%w: %q has no typed data struct (decode e.Data yourself)", ErrNoData, e.Type)
	}
	if err := decodeData(e, v); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeData(e *Event, v any) error {
	if len(e.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("webhooks: event %s (%s): decode data into %T: %w", e.ID, e.Type, v, err)
	}
	return nil
}
