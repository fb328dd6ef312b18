package manifest

import (
	"strings"
	"testing"
)

func TestSyntaxRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string // "line:col: message" for each error
	}{
		{"valid", `{"a": [1, -2.5e3, "x", true, false, null, {}]}`, nil},
		{"byte order mark", "\xef\xbb\xbf{\"a\": 1}", nil},
		{"empty", " \n", []string{`2:1: empty file: a manifest is a JSON object such as {"name": "org/app", "version": "1.0.0"}`}},
		{"not an object", `"x"`, []string{`1:1: the manifest must be a JSON object {...}, found a string`}},
		{"line comment", "{\n  // note\n  \"a\": 1\n}", []string{"2:3: comments are not allowed in JSON: remove the // comment"}},
		{"block comment", `{"a": /* x */ 1}`, []string{"1:7: comments are not allowed in JSON: remove the /* */ comment"}},
		{"block comment opening with a slash", `{"a": /*/ x */ 1 /**/}`, []string{
			"1:7: comments are not allowed in JSON: remove the /* */ comment",
			"1:18: comments are not allowed in JSON: remove the /* */ comment",
		}},
		{"unterminated block comment", `{"a": 1 /* x`, []string{"1:9: unterminated /* comment: no closing */ (and comments are not allowed in JSON)"}},
		{"lone slash", `{"a": 1, /x}`, []string{"1:10: expected a key in double quotes or '}', found '/'"}},
		{"trailing comma object", `{"a": 1,}`, []string{"1:8: trailing comma before '}': remove the ','"}},
		{"trailing comma array", `{"a": [1,]}`, []string{"1:9: trailing comma before ']': remove the ','"}},
		{"extra comma object", `{,"a": 1}`, []string{"1:2: extra ',': a member is missing or there is one comma too many"}},
		{"extra comma array", `{"a": [1,,2]}`, []string{"1:10: extra ',': an element is missing or there is one comma too many"}},
		{"missing comma members", "{\"a\": 1\n\"b\": 2}", []string{"2:1: missing ',' between members"}},
		{"missing comma elements", `{"a": [1 2]}`, []string{"1:10: missing ',' between elements"}},
		{"missing colon", `{"a" 1}`, []string{`1:6: missing ':' after key "a"`}},
		{"equals sign", `{"a" = 1}`, []string{`1:6: use ':' between key "a" and its value, not '='`}},
		{"missing value", `{"a": }`, []string{"1:7: missing value before '}'"}},
		{"unquoted key", `{name: "x"}`, []string{`1:2: keys must be in double quotes: write "name"`}},
		{"number key", `{1: 2}`, []string{"1:2: expected a key in double quotes or '}', found '1'"}},
		{"duplicate key", "{\"a\": 1,\n \"a\": 2}", []string{`2:2: duplicate key "a" (first at line 1, column 2): keep one`}},
		{"single quotes", `{"a": 'x'}`, []string{"1:7: strings must be in double quotes, not single quotes"}},
		{"bare word", `{"a": hello}`, []string{`1:7: strings must be in double quotes: write "hello"`}},
		{"capital literal", `{"a": Null}`, []string{`1:7: "Null" is not a JSON value: write null`}},
		{"undefined", `{"a": undefined}`, []string{`1:7: "undefined" is not allowed in JSON: use null or a number`}},
		{"unexpected character", `{"a": @}`, []string{"1:7: unexpected '@' where a value was expected"}},
		{"invalid byte", "{\"a\": \xff}", []string{"1:7: unexpected invalid byte 0xFF where a value was expected"}},
		{"leading zero", `{"a": 007}`, []string{`1:7: invalid number "007": numbers cannot have leading zeros`}},
		{"plus sign", `{"a": +1}`, []string{`1:7: invalid number "+1": numbers cannot start with '+'`}},
		{"hex", `{"a": 0x1F}`, []string{`1:7: invalid number "0x1F": write numbers in decimal`}},
		{"leading dot", `{"a": .5}`, []string{`1:7: invalid number ".5": write a digit before the '.', as in 0.5`}},
		{"trailing dot", `{"a": 1.}`, []string{`1:7: invalid number "1.": not a JSON number`}},
		{"lone minus", `{"a": -}`, []string{`1:7: invalid number "-": not a JSON number`}},
		{"bad escape", `{"a": "c:\dir"}`, []string{`1:10: invalid escape \d in string: to write a backslash, write \\`}},
		{"short unicode escape", `{"a": "\u12"}`, []string{`1:8: invalid escape in string: \u needs four hexadecimal digits`}},
		{"escaped single quote", `{"a": "it\'s"}`, []string{`1:10: invalid escape \' in string: a single quote needs no backslash`}},
		{"tab in string", "{\"a\": \"x\ty\"}", []string{`1:9: control character U+0009 inside a string: escape it (for a tab write \t)`}},
		{"invalid UTF-8", "{\"a\": \"\xff\"}", []string{"1:8: invalid UTF-8 inside a string: save the file as UTF-8"}},
		{"unterminated string line", "{\"a\": \"x,\n\"b\": 1}", []string{"1:10: unterminated string: the string at line 1, column 7 has no closing quote on its line"}},
		{"unterminated string eof", `{"a": "x`, []string{"1:9: unterminated string: the string at line 1, column 7 has no closing quote"}},
		{"mismatched bracket", `{"a": [1}`, []string{"1:9: found '}' but the '[' opened at line 1, column 7 needs ']' first"}},
		{"mismatched brace", `{"a": {"b": 1]}`, []string{"1:14: found ']' but the '{' opened at line 1, column 7 needs '}' first"}},
		{"unclosed brace", "{\"a\": 1\n", []string{"1:8: unexpected end of file: 1 '{' not closed (the '{' opened at line 1, column 1)"}},
		{"unclosed nested", `{"a": [{"b": [`, []string{"1:15: unexpected end of file: 2 '{' and 2 '[' not closed (the innermost '[' opened at line 1, column 14)"}},
		{"eof after key", `{"a"`, []string{"1:5: unexpected end of file: 1 '{' not closed (the '{' opened at line 1, column 1)"}},
		{"extra closing brace", `{"a": 1}}`, []string{"1:9: extra '}' after the end of the manifest: check that brackets above are balanced"}},
		{"second object", `{"a": 1} {"b": 2}`, []string{"1:10: unexpected '{' after the end of the manifest: a file holds one JSON object"}},
		{"column counts characters", `{"é": 1,}`, []string{"1:8: trailing comma before '}': remove the ','"}},
		{"line comment at the end without a newline", `{"a": 1} // end`, []string{"1:10: comments are not allowed in JSON: remove the // comment"}},
		{"invalid UTF-8 in a comment", "{\"a\": 1 // caf\xff\n}", []string{"1:9: comments are not allowed in JSON: remove the // comment"}},
		{"line separator in a comment", "{\"a\": 1 // x\u2028y\n}", []string{"1:9: comments are not allowed in JSON: remove the // comment"}},
		{"brackets in strings and comments", `{"a": "[[{", "b": 1 /* {{ */, }`, []string{
			"1:21: comments are not allowed in JSON: remove the /* */ comment",
			"1:29: trailing comma before '}': remove the ','",
		}},
		{"byte order mark and repairs", "\xef\xbb\xbf{a: 'b', \"c\": [1 2]}", []string{
			`1:3: keys must be in double quotes: write "a"`,
			"1:6: strings must be in double quotes, not single quotes",
			"1:19: missing ',' between elements",
		}},
		{"nested trailing commas", `{"a": [1, 2,], "b": {"c": 1,},}`, []string{
			"1:12: trailing comma before ']': remove the ','",
			"1:28: trailing comma before '}': remove the ','",
			"1:30: trailing comma before '}': remove the ','",
		}},
		{"missing comma, colon and value", `{"a": "x" "b"}`, []string{
			"1:11: missing ',' between members",
			`1:14: missing ':' after key "b"`,
			"1:14: missing value before '}'",
		}},
		{"object where a key belongs", `{"a": 1, [2]: 3}`, []string{"1:10: expected a key in double quotes or '}', found '['"}},
		{"key named as written", `{"a\q" 1}`, []string{
			`1:4: invalid escape \q in string: to write a backslash, write \\`,
			`1:8: missing ':' after key "a\\q"`,
		}},
		{"bare key then missing colon", `{"a": 1, null 2}`, []string{
			`1:10: keys must be in double quotes: write "null"`,
			`1:15: missing ':' after key "null"`,
		}},
		{"inside an unclosed single-quoted string", "{\"a\": 'x\ty\\q\n}", []string{
			"1:7: strings must be in double quotes, not single quotes",
			`1:9: control character U+0009 inside a string: escape it (for a tab write \t)`,
			`1:11: invalid escape \q in string: to write a backslash, write \\`,
			"1:13: unterminated string: the string at line 1, column 7 has no closing quote on its line",
		}},
		{"missing value before a wrong bracket", `{"a": ]`, []string{
			"1:7: missing value before ']'",
			"1:7: found ']' but the '{' opened at line 1, column 1 needs '}' first",
		}},
		{"several problems", "{\n// c\n\"a\": [1,],\n\"b\": 'x'\n", []string{
			"2:1: comments are not allowed in JSON: remove the // comment",
			"3:8: trailing comma before ']': remove the ','",
			"4:6: strings must be in double quotes, not single quotes",
			"4:9: unexpected end of file: 1 '{' not closed (the '{' opened at line 1, column 1)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(tt.in))
			var got []string
			for _, e := range SyntaxErrors(err) {
				got = append(got, strings.TrimPrefix(e.Error(), "manifest: line ")) // "L, column C: msg"
			}
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				lc, msg, _ := strings.Cut(w, ": ")
				l, c, _ := strings.Cut(lc, ":")
				want[i] = l + ", column " + c + ": " + msg
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("Parse(%q) errors:\n%s\nwant:\n%s", tt.in, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if (m == nil) != (len(tt.want) > 0) {
				t.Errorf("Parse returned manifest %v with %d errors", m != nil, len(got))
			}
		})
	}
}

func TestTooManySyntaxErrors(t *testing.T) {
	t.Parallel()
	in := "{" + strings.Repeat("// c\n", 30) + "}"
	errs := SyntaxErrors(func() error { _, err := Parse([]byte(in)); return err }())
	if len(errs) != maxSyntaxErrors+1 {
		t.Fatalf("got %d errors, want %d", len(errs), maxSyntaxErrors+1)
	}
	if last := errs[len(errs)-1]; last.Msg != "too many errors; fix the ones above and run again" || last.Line != maxSyntaxErrors+1 {
		t.Errorf("last error = %v", last)
	}
}
