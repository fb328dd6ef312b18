package webhooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/socotra-go/sdk/events"
)

const (
	coreBody = `{"locator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQP","requestId":"req-1","userLocator":"user-1",` +
		`"timestamp":"2026-11-23T18:04:05.123Z","type":"policy.quote.issue",` +
		`"data":{"quoteLocator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQA","policyLocator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQB"}}`
	legacyBody = `{"id":"evt-9","timestamp":1795457045123,"transactionId":"tx-1","username":"alice",` +
		`"type":"policy.issue","data":{"policyId":"100000001"}}`
)

var when = time.Date(2026, 11, 23, 18, 4, 5, 123e6, time.UTC)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want Event // Raw is checked separately
	}{
		{"core", coreBody, Event{ID: "01JD7Y3Q8Z5X2W9V4T6R1M0KQP", Type: events.PolicyQuoteIssue, Time: when,
			RequestID: "req-1", User: "user-1", Platform: events.Core,
			Data: json.RawMessage(`{"quoteLocator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQA","policyLocator":"01JD7Y3Q8Z5X2W9V4T6R1M0KQB"}`)}},
		{"legacy number timestamp", legacyBody, Event{ID: "evt-9", Type: "policy.issue", Time: when,
			RequestID: "tx-1", User: "alice", Platform: events.Legacy, Data: json.RawMessage(`{"policyId":"100000001"}`)}},
		{"legacy string timestamp", `{"id":"evt-9","timestamp":"1795457045123","type":"policy.issue"}`,
			Event{ID: "evt-9", Type: "policy.issue", Time: when, Platform: events.Legacy}},
		{"core offset kept", `{"locator":"L","timestamp":"2026-11-23T20:04:05.123+02:00","type":"x.y"}`,
			Event{ID: "L", Type: "x.y", Time: when.In(time.FixedZone("", 2*3600)), Platform: events.Core}},
		{"unknown type and unknown fields", `{"x":[1,{"y":null}],"locator":"L","timestamp":"2026-11-23T18:04:05.123Z",` +
			`"type":"tenant.custom_thing.happened","extra":true,"data":{"a":[1,2,3]}}`,
			Event{ID: "L", Type: "tenant.custom_thing.happened", Time: when, Platform: events.Core, Data: json.RawMessage(`{"a":[1,2,3]}`)}},
		{"white space and escapes", " \n{ \"locator\" : \"L\\u0031\" , \"requ\\u0065stId\":\"a\\\"b\",\"userLocator\":null," +
			"\"timestamp\":\"2026-11-23T18:04:05.123Z\",\"type\":\"policy.\\u0071uote.issue\",\"data\":null}\t",
			Event{ID: "L1", Type: events.PolicyQuoteIssue, Time: when, RequestID: `a"b`, Platform: events.Core, Data: json.RawMessage(`null`)}},
		{"last duplicate key wins", `{"locator":"A","locator":"B","timestamp":"2026-11-23T18:04:05.123Z","type":"a","type":"b"}`,
			Event{ID: "B", Type: "b", Time: when, Platform: events.Core}},
		{"non-ASCII strings", `{"id":"é","timestamp":1795457045123,"type":"t","username":"Zoë"}`,
			Event{ID: "é", Type: "t", Time: when, User: "Zoë", Platform: events.Legacy}},
		{"type with a hyphen", `{"locator":"L","timestamp":"2026-11-23T18:04:05.123Z","type":"tenant.my-event"}`,
			Event{ID: "L", Type: "tenant.my-event", Time: when, Platform: events.Core}},
		{"type with a space, escaped", `{"id":"I","timestamp":1795457045123,"type":"my\u0020event"}`,
			Event{ID: "I", Type: "my event", Time: when, Platform: events.Legacy}},
		{"type with an empty part", `{"locator":"L","timestamp":"2026-11-23T18:04:05.123Z","type":"policy..issue"}`,
			Event{ID: "L", Type: "policy..issue", Time: when, Platform: events.Core}},
		{"type not UTF-8", "{\"locator\":\"L\",\"timestamp\":\"2026-11-23T18:04:05.123Z\",\"type\":\"a\xffb\"}",
			Event{ID: "L", Type: "a\ufffdb", Time: when, Platform: events.Core}},
		{"core wins when both ids present", `{"id":"I","locator":"L","timestamp":"2026-11-23T18:04:05.123Z","type":"t"}`,
			Event{ID: "L", Type: "t", Time: when, Platform: events.Core}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := []byte(tt.body)
			ev, err := Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			if &ev.Raw[0] != &body[0] || len(ev.Raw) != len(body) {
				t.Error("Raw is not the body")
			}
			got := *ev
			got.Raw = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			if !got.Time.Equal(tt.want.Time) || got.Time.Location().String() != tt.want.Time.Location().String() {
				t.Errorf("Time = %v, want %v", got.Time, tt.want.Time)
			}
		})
	}
}

func TestParseDataAliasesBody(t *testing.T) {
	t.Parallel()
	body := []byte(coreBody)
	ev, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(coreBody, `"data":`) + len(`"data":`)
	if &ev.Data[0] != &body[i] {
		t.Error("Data was copied; want a sub-slice of the body")
	}
	c := ev.Clone()
	body[i+2] = 'Q' // the clone must not see this
	if string(c.Data) == string(ev.Data) || string(c.Raw) != coreBody {
		t.Errorf("Clone shares memory with the body: %s", c.Data)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, want, field string
	}{
		{"empty", "", "webhooks: empty body; want a JSON object", ""},
		{"only space", " \n", "webhooks: empty body; want a JSON object", ""},
		{"not JSON", "hello", `webhooks: body is not JSON: invalid JSON at byte 0: unexpected 'h'`, ""},
		{"array", `[1,2]`, "webhooks: body is JSON but not an object; want a JSON object", ""},
		{"string", `"x"`, "webhooks: body is JSON but not an object", ""},
		{"truncated", `{"locator":"L","type":"a.b"`, "unexpected end of input", ""},
		{"trailing data", `{"locator":"L","timestamp":"2026-11-23T18:04:05Z","type":"a"} {}`, "want the end of input after the object", ""},
		{"bad data", `{"locator":"L","timestamp":"2026-11-23T18:04:05Z","type":"a","data":{"a":tru}}`, `webhooks: "data": invalid JSON at byte`, "data"},
		{"bad escape", `{"locator":"L\x"}`, `webhooks: "locator": invalid JSON at byte 14: unexpected 'x' (invalid escape in string)`, "locator"},
		{"control char", "{\"locator\":\"L\n\"}", "control character", "locator"},
		{"bad number", `{"n":01}`, "want ',' or '}'", ""},
		{"no id", `{"timestamp":"2026-11-23T18:04:05Z","type":"a"}`, `webhooks: missing "locator" (Core) or "id" (Legacy)`, "locator"},
		{"no type", `{"locator":"L","timestamp":"2026-11-23T18:04:05Z"}`, `webhooks: missing "type"`, "type"},
		{"no timestamp", `{"id":"I","type":"a"}`, `webhooks: missing "timestamp"`, "timestamp"},
		{"empty id", `{"id":"","timestamp":1,"type":"a"}`, `webhooks: "id": empty`, "id"},
		{"id not string", `{"locator":7,"timestamp":"2026-11-23T18:04:05Z","type":"a"}`, `webhooks: "locator": want a string, got a number`, "locator"},
		{"type not string", `{"locator":"L","timestamp":"2026-11-23T18:04:05Z","type":["a"]}`, `webhooks: "type": want a string, got an array`, "type"},
		{"empty type", `{"locator":"L","timestamp":"2026-11-23T18:04:05Z","type":""}`, `webhooks: "type": empty; want the event's name`, "type"},
		{"null type", `{"locator":"L","timestamp":"2026-11-23T18:04:05Z","type":null}`, `webhooks: "type": want a string, got null`, "type"},
		{"number type", `{"id":"I","timestamp":1,"type":7}`, `webhooks: "type": want a string, got a number`, "type"},
		{"request id not string", `{"locator":"L","requestId":{},"timestamp":"2026-11-23T18:04:05Z","type":"a"}`, `webhooks: "requestId": want a string, got an object`, "requestId"},
		{"core timestamp not RFC 3339", `{"locator":"L","timestamp":"23/11/2026","type":"a"}`, `webhooks: "timestamp": not RFC 3339: `, "timestamp"},
		{"core timestamp number", `{"locator":"L","timestamp":1795457045123,"type":"a"}`, `webhooks: "timestamp": want an RFC 3339 string, got a number`, "timestamp"},
		{"legacy timestamp fraction", `{"id":"I","timestamp":1.5,"type":"a"}`, `webhooks: "timestamp": not epoch milliseconds`, "timestamp"},
		{"legacy timestamp text", `{"id":"I","timestamp":"2026-11-23T18:04:05Z","type":"a"}`, `webhooks: "timestamp": not epoch milliseconds`, "timestamp"},
		{"legacy timestamp too big", `{"id":"I","timestamp":12345678901234567890,"type":"a"}`, `not epoch milliseconds`, "timestamp"},
		{"too deep", `{"data":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`, "nested too deeply", "data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tt.body, ev)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidDelivery) {
				t.Fatalf("error %T does not match *ParseError and ErrInvalidDelivery", err)
			}
			if pe.Field != tt.field {
				t.Errorf("Field = %q, want %q", pe.Field, tt.field)
			}
			if StatusCode(err) != 400 {
				t.Errorf("StatusCode = %d, want 400", StatusCode(err))
			}
		})
	}
}

func TestParseErrorUnwrap(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`{"locator":"L","timestamp":"yesterday","type":"a"}`))
	if te := (*time.ParseError)(nil); !errors.As(err, &te) {
		t.Errorf("%v does not wrap a *time.ParseError", err)
	}
}

func TestParseAllocs(t *testing.T) {
	body := []byte(coreBody)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Parse(body); err != nil {
			t.Fatal(err)
		}
	})
	// The Event and one string holding the id, request id and user.
	if allocs > 2 {
		t.Errorf("Parse of a Core event allocates %v times, want at most 2", allocs)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	for _, body := range []string{coreBody, legacyBody} {
		ev, err := Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		assertEquivalent(t, ev, &back)
	}
	if _, err := json.Marshal(Event{ID: "x"}); err == nil || !strings.Contains(err.Error(), "Platform") {
		t.Errorf("Marshal of an event without a platform: err = %v, want one naming Platform", err)
	}
}

// assertEquivalent compares two events field by field: the same instant, and data equal as JSON.
func assertEquivalent(t *testing.T, want, got *Event) {
	t.Helper()
	if want.ID != got.ID || want.Type != got.Type || want.RequestID != got.RequestID || want.User != got.User ||
		want.Platform != got.Platform || !want.Time.Equal(got.Time) {
		t.Errorf("events differ:\n want %+v\n got  %+v", want, got)
	}
	if (want.Data == nil) != (got.Data == nil) {
		t.Errorf("Data: want %q, got %q", want.Data, got.Data)
	} else if want.Data != nil && !jsonEqual(want.Data, got.Data) {
		t.Errorf("Data: want %s, got %s", want.Data, got.Data)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && cmp.Equal(x, y)
}

// coreSpec is ../api/events/core.json, the source of the events package's typed data.
type coreSpec struct {
	Types  map[string]map[string]string `json:"types"`
	Events map[string]struct {
		Data map[string]string `json:"data"`
	} `json:"events"`
}

// sampleValue builds a JSON value of a field type in core.json, distinct per field name.
func sampleValue(spec *coreSpec, typ, field string) any {
	switch {
	case typ == "string":
		return "v-" + field
	case typ == "boolean":
		return true
	case strings.HasPrefix(typ, "enum:"):
		vals := strings.Split(strings.TrimPrefix(typ, "enum:"), "|")
		return vals[len(vals)-1]
	case strings.HasPrefix(typ, "[]"):
		return []any{sampleValue(spec, typ[2:], field+"0"), sampleValue(spec, typ[2:], field+"1")}
	}
	obj := map[string]any{}
	for f, ft := range spec.Types[typ] {
		obj[f] = sampleValue(spec, ft, field+"."+f)
	}
	return obj
}

// TestTypedDataEveryShape decodes a delivery of one event per distinct Core data struct, with every field
// of core.json set, and checks the typed struct keeps every field.
func TestTypedDataEveryShape(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../api/events/core.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec coreSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range spec.Events {
			if !yield(n) {
				return
			}
		}
	})
	seen := map[string]bool{}
	for _, name := range names {
		v, ok := events.NewData(events.Name(name))
		if !ok {
			t.Errorf("events.NewData(%q) has no typed data for a Core event", name)
			continue
		}
		shape := fmt.Sprintf("%T", v)
		if seen[shape] {
			continue
		}
		seen[shape] = true
		t.Run(shape, func(t *testing.T) {
			t.Parallel()
			data := map[string]any{}
			for f, ft := range spec.Events[name].Data {
				data[f] = sampleValue(&spec, ft, f)
			}
			raw, _ := json.Marshal(data)
			body, _ := json.Marshal(map[string]any{"locator": "L", "timestamp": "2026-11-23T18:04:05Z", "type": name, "data": json.RawMessage(raw)})
			ev, err := Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			typed, err := ev.DecodeData()
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", typed); got != shape {
				t.Fatalf("DecodeData gave %s, want %s", got, shape)
			}
			back, _ := json.Marshal(typed)
			if !jsonEqual(raw, back) {
				t.Errorf("typed data lost fields:\n sent %s\n kept %s", raw, back)
			}
		})
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct data shapes; core.json changed?", len(seen))
	}
}

func TestDecodeDataErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, want string
		noData           bool
	}{
		{"legacy", legacyBody, "legacy delivery", true},
		{"unknown name", `{"locator":"L","timestamp":"2026-11-23T18:04:05Z","type":"tenant.thing"}`, `"tenant.thing" has no typed data`, true},
		{"wrong shape", `{"locator":"L","timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.issue","data":{"quoteLocator":5}}`, "decode data into *events.QuoteData", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			_, err = ev.DecodeData()
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, ErrNoData) != tt.noData {
				t.Errorf("DecodeData error = %v, want one containing %q (ErrNoData: %v)", err, tt.want, tt.noData)
			}
		})
	}
	ev, err := Parse([]byte(`{"locator":"L","timestamp":"2026-11-23T18:04:05Z","type":"policy.quote.issue"}`))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := ev.DecodeData(); err != nil || *v.(*events.QuoteData) != (events.QuoteData{}) {
		t.Errorf("DecodeData without data = %v, %v; want the zero QuoteData", v, err)
	}
}

// FuzzParse checks that Parse never panics, accepts only valid JSON objects (and rejects none as invalid
// JSON that encoding/json accepts), and that what it accepts
// re-encodes (MarshalJSON) to a body that parses to an equivalent event.
func FuzzParse(f *testing.F) {
	for _, s := range []string{coreBody, legacyBody, `{"id":"x","timestamp":"5","type":"a"}`, `{}`, `[]`, `{"locator":"\u00e9"}`,
		`{"locator":"L","timestamp":"2026-11-23T18:04:05.999999999-07:30","type":"a.b_c","data":[1e5,-0.5,"\ud800"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Parse(body)
		if err != nil {
			if ev != nil {
				t.Fatal("non-nil event with an error")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if json.Valid(body) && strings.Contains(err.Error(), "invalid JSON") {
				t.Fatalf("Parse rejected valid JSON %q as invalid: %v", body, err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("Parse accepted invalid JSON %q", body)
		}
		if ev.ID == "" || ev.Type == "" || (ev.Platform != events.Core && ev.Platform != events.Legacy) {
			t.Fatalf("incomplete event %+v", ev)
		}
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", ev, err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("re-encoded %s does not parse: %v", out, err)
		}
		assertEquivalent(t, ev, back)
	})
}
