package webhooks

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzSkipFast checks the scanner's fast path against the careful one: wherever skipFast accepts a value,
// skipValue accepts it and ends at the same byte, and wherever skipValue accepts one that is not nested
// deeply, skipFast does too.
func FuzzSkipFast(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e-3,"x\\"y"],"b":{}}`, `[]`, `"\u00e9\ud800"`, `{"a" : true , "b":null}`,
		`{"a":1,}`, `[1 2]`, `{"a"}`, `"tab	in string"`, `-01`, coreBody, legacyBody, strings.Repeat("[", 40) + strings.Repeat("]", 40)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		i := skipSpace(b, 0)
		fast := skipFast(b, i)
		slow, err := skipValue(b, i, 1)
		switch {
		case fast >= 0 && (err != nil || slow != fast):
			t.Fatalf("skipFast ended at %d, skipValue at %d with %v, in %q", fast, slow, err, b)
		case fast < 0 && err == nil && nesting(b[i:slow]) <= 32:
			t.Fatalf("skipFast refused what skipValue accepts up to %d, in %q", slow, b)
		}
		if fast >= 0 && !json.Valid(b[i:fast]) {
			t.Fatalf("skipFast accepted invalid JSON %q", b[i:fast])
		}
	})
}

func TestSkipFastDepth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		depth int
		want  bool
	}{{1, true}, {32, true}, {33, false}} {
		b := []byte(strings.Repeat("[", tc.depth) + "1" + strings.Repeat("]", tc.depth))
		if got := skipFast(b, 0) == len(b); got != tc.want {
			t.Errorf("depth %d: skipFast accepted %v, want %v", tc.depth, got, tc.want)
		}
		if end, err := skipValue(b, 0, 1); err != nil || end != len(b) {
			t.Errorf("depth %d: skipValue = %d, %v", tc.depth, end, err)
		}
	}
}

// nesting returns the deepest nesting of arrays and objects in the valid JSON value v.
func nesting(v []byte) int {
	depth, deepest, inString := 0, 0, false
	for j := 0; j < len(v); j++ {
		switch c := v[j]; {
		case inString && c == '\\':
			j++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
