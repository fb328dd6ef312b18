package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sampleValue returns a realistic JSON value for a field of core.json type
// typ: ULID-shaped locators, RFC 3339 times, the last value of an enum (so a
// zero value cannot pass for it) and full list pages.
func sampleValue(t *testing.T, core coreData, field, typ string) any {
	t.Helper()
	switch {
	case typ == "string" && strings.HasSuffix(field, "Time"):
		return "2026-11-23T18:04:05.123Z"
	case typ == "string" && strings.HasSuffix(strings.ToLower(field), "locator"):
		// Distinct per field, so a value landing in the wrong field shows.
		return fmt.Sprintf("01JDZ%021X", len(field)*7919+int(field[0]))
	case typ == "string":
		return field + "-value"
	case typ == "boolean":
		return true
	case strings.HasPrefix(typ, "[]"):
		return []any{sampleValue(t, core, field, typ[2:]), sampleValue(t, core, field, typ[2:])}
	case strings.HasPrefix(typ, "enum:"):
		values := strings.Split(typ[len("enum:"):], "|")
		return values[len(values)-1]
	}
	fields, ok := core.Types[typ]
	if !ok {
		t.Fatalf("field %s: unknown type %q in core.json", field, typ)
	}
	obj := map[string]any{}
	for f, ft := range fields {
		obj[f] = sampleValue(t, core, f, ft)
	}
	return obj
}

func TestNewDataDecodesEveryCoreEvent(t *testing.T) {
	t.Parallel()
	core := readCore(t)
	for name, ev := range core.Events {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sample := map[string]any{}
			for f, typ := range ev.Data {
				sample[f] = sampleValue(t, core, f, typ)
			}
			raw, err := json.Marshal(sample)
			if err != nil {
				t.Fatal(err)
			}

			v, ok := NewData(Name(name))
			if !ok || v == nil || reflect.TypeOf(v).Kind() != reflect.Pointer {
				t.Fatalf("NewData(%q) = %T, %v; want a pointer to a struct", name, v, ok)
			}
			// Strict decoding proves that every field of the sample has a
			// json tag in the struct.
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Fatalf("strict decode of %s into %T: %v", raw, v, err)
			}
			// Encoding the struct again must give back the sample exactly:
			// every value landed, and the struct has no field the data lacks.
			back, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(back, &got); err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%T does not carry the sample through (-sample +struct):\n%s", v, diff)
			}
		})
	}
}

func TestNewData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    Name
		want any
	}{
		{PolicyChangeIssue, &PolicyTransactionData{}},
		{PolicyCancellationUnderwrite, &TransactionUnderwriteData{}},
		{PolicyQuoteAccept, &QuoteData{}}, // on both platforms: Core's data
		{PolicyStatusUpdate, &PolicyStatusData{}},
		{BillingPaymentCreate, &PaymentData{}},
		{ClaimFnolOnclaim, &FNOLClaimData{}},
		{PolicyCreate, nil},          // Legacy only
		{"tenant.custom.event", nil}, // unknown
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.n), func(t *testing.T) {
			t.Parallel()
			got, ok := NewData(tt.n)
			if ok != (tt.want != nil) || reflect.TypeOf(got) != reflect.TypeOf(tt.want) {
				t.Fatalf("NewData(%q) = %T, %v; want %T", tt.n, got, ok, tt.want)
			}
			if ok {
				again, _ := NewData(tt.n)
				if reflect.ValueOf(got).Pointer() == reflect.ValueOf(again).Pointer() {
					t.Error("NewData returned the same pointer twice")
				}
			}
		})
	}
}

func TestEveryCoreNameHasData(t *testing.T) {
	t.Parallel()
	for _, n := range All() {
		_, ok := NewData(n)
		if ok != n.Platforms().Has(Core) {
			t.Errorf("NewData(%q) ok = %v, but it is a %v name", n, ok, n.Platforms())
		}
	}
}

func TestPolicyStatusPage(t *testing.T) {
	t.Parallel()
	raw := `{"policyLocator":"01JDZ0000000000000000000AB",
		"newStatuses":{"listCompleted":true,"items":["onRisk","delinquent"]},
		"removedStatuses":{"listCompleted":false,"items":["pending","somethingNew"]}}`
	var d PolicyStatusData
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		t.Fatal(err)
	}
	want := PolicyStatusData{
		PolicyLocator:   "01JDZ0000000000000000000AB",
		NewStatuses:     PolicyStatusPage{ListCompleted: true, Items: []PolicyStatus{PolicyStatusOnRisk, PolicyStatusDelinquent}},
		RemovedStatuses: PolicyStatusPage{ListCompleted: false, Items: []PolicyStatus{PolicyStatusPending, "somethingNew"}},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("decoded policy.status.update data (-want +got):\n%s", diff)
	}
	for _, s := range []PolicyStatus{"pending", "inGap", "expired", "cancelled", "cancelPending", "onRisk", "delinquent", "doNotRenew"} {
		if !s.Known() {
			t.Errorf("PolicyStatus %q is not Known", s)
		}
	}
	if PolicyStatus("somethingNew").Known() {
		t.Error("an undocumented status is Known")
	}
}
