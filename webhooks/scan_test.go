package webhooks

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"math/rand/v2"
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

// TestSpecial compares special with the byte table it stands for, on every byte value at every position
// and on random words, which must agree on the first byte that ends a run of plain bytes.
func TestSpecial(t *testing.T) {
	t.Parallel()
	first := func(w [8]byte) int {
		for k, c := range w {
			if !plain[c] {
				return k
			}
		}
		return 8
	}
	check := func(w [8]byte) {
		m := special(binary.LittleEndian.Uint64(w[:]))
		got := 8
		if m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if want := first(w); got != want {
			t.Fatalf("special(%q) finds byte %d, want %d", w, got, want)
		}
	}
	for c := range 256 {
		for pos := range 8 {
			for _, fill := range []byte{'a', 0x7f, 0x80, 0xff, '"' + 1, ' '} {
				var w [8]byte
				for k := range w {
					w[k] = fill
				}
				w[pos] = byte(c)
				check(w)
				w[(pos+3)%8] = '"' // a second special byte, above or below
				check(w)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		check([8]byte(binary.LittleEndian.AppendUint64(nil, r.Uint64())))
	}
}
