package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks Parse never panics, accepts exactly the JSON objects
// encoding/json accepts (less duplicate keys and invalid UTF-8), locates
// every syntax error, and that the fields it decodes survive encoding/json.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*/*.json")
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{`{}`, `{"a":1,}`, `[1,2`, `{"a":"\u00e9\ud800"}`, "\xef\xbb\xbf{}", `{"a":{"b":[{"c":null}]}}`, `{"name":"a/b","name":"c/d"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		body := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if err != nil {
			errs := SyntaxErrors(err)
			if len(errs) == 0 {
				t.Fatalf("error %v has no *SyntaxError", err)
			}
			for _, e := range errs {
				if e.Line < 1 || e.Column < 1 || e.Offset < 0 || e.Offset > len(data) {
					t.Fatalf("bad location in %+v", e)
				}
			}
			if acceptable(body) {
				t.Fatalf("Parse rejected valid JSON %q: %v", data, err)
			}
			return
		}
		if !acceptable(body) {
			t.Fatalf("Parse accepted %q", data)
		}
		m.Check()
		modelledRoundTrip(t, m)
	})
}

// acceptable reports whether data is a JSON object encoding/json accepts,
// in valid UTF-8, without duplicate keys.
func acceptable(data []byte) bool {
	if !json.Valid(data) || !utf8.Valid(data) || len(bytes.TrimLeft(data, " \t\r\n")) == 0 || bytes.TrimLeft(data, " \t\r\n")[0] != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		obj    bool
		keys   map[string]bool
		expect bool // next string token in an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if top != nil && top.obj {
			if top.expect {
				k := tok.(string)
				if top.keys[k] {
					return false
				}
				top.keys[k] = true
				top.expect = false
				continue
			}
			top.expect = true
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{obj: d == '{', keys: map[string]bool{}, expect: true})
		}
	}
}
