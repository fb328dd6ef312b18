package socotratest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/socotra/socotratest"
)

func TestEventEncodeData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data any
		want string // "" when an error is wanted
	}{
		{"nil is the empty object", nil, `{}`},
		{"a struct", struct {
			A int `json:"a"`
		}{1}, `{"a":1}`},
		{"raw bytes are compacted", []byte(`{ "b" : [ 1, 2 ] }`), `{"b":[1,2]}`},
		{"json.RawMessage", json.RawMessage(`{"c":null}`), `{"c":null}`},
		{"an array is not an object", []int{1}, ""},
		{"null is not an object", json.RawMessage(`null`), ""},
		{"not JSON", []byte(`{"d":`), ""},
		{"a value that does not encode", map[string]any{"f": func() {}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := socotratest.Event{Data: tt.data}.EncodeData()
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), "data") {
					t.Fatalf("EncodeData() = %s, %v; want an error about the data", got, err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("EncodeData() = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}
