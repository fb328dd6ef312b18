package manifest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tailscale/hujson"
)

// SyntaxError is a problem that stops a manifest from being read as JSON: a
// comment, a trailing comma, a missing bracket, an invalid literal. [Parse]
// keeps reading after most syntax errors, so one call reports every problem it
// can locate; several errors come back joined with errors.Join, and
// errors.As(err, &target) finds the first.
type SyntaxError struct {
	File   string // the file name, set by [Load]; empty for [Parse]
	Line   int    // 1-based line of the problem
	Column int    // 1-based column, counted in characters
	Offset int    // byte offset of the problem in the input
	Msg    string // the problem in words, without the location
}

// Error returns the location and the problem, for example
// "manifest: line 12, column 3: trailing comma before '}'".
func (e *SyntaxError) Error() string {
	return "manifest: " + location(e.File, e.Line, e.Column) + ": " + e.Msg
}

// location formats a position for error messages.
func location(file string, line, col int) string {
	s := fmt.Sprintf("line %d, column %d", line, col)
	if file != "" {
		s = file + ", " + s
	}
	return s
}

// lineCol converts a byte offset to a 1-based line and character column.
func lineCol(src []byte, pos int) (line, col int) {
	pos = min(pos, len(src))
	lineStart := bytes.LastIndexByte(src[:pos], '\n') + 1
	return bytes.Count(src[:pos], []byte{'\n'}) + 1, utf8.RuneCount(src[lineStart:pos]) + 1
}

// maxSyntaxErrors bounds how many syntax errors one Parse reports.
const maxSyntaxErrors = 20

// maxDepth bounds how deeply objects and arrays nest. The JSON reader
// recurses once per level, so without a bound a file of millions of '['
// exhausts the stack and kills the process; real manifests nest a handful of
// levels.
const maxDepth = 256

// edit replaces del bytes at off (an offset in the input) with text.
type edit struct {
	off, del int
	text     string
}

// reader finds a manifest's syntax errors. github.com/tailscale/hujson
// parses JSON with comments and trailing commas into a tree that keeps the
// offset of every value, so comments, trailing commas, duplicate keys and
// invalid UTF-8 are found in the tree, all in one run. hujson stops at any
// other mistake; the reader then names it in words (diagnose), repairs the
// copy it parses (quotes a bare key, inserts a missing comma; or, where it
// cannot guess the intent, cuts the input there and closes what is open) and
// parses again, so one run still reports every problem it can locate. An
// edit never moves what it does not touch, so every offset maps back to the
// input.
type reader struct {
	src   []byte
	edits []edit // sorted by off, never overlapping
	work  []byte // src with the edits applied: what hujson parses
	errs  []*SyntaxError
	cut   int      // after an error the reader cannot step over: the input from here on is ignored
	fills []string // values to try in turn at the cut, when closing brackets alone do not parse
}

// parseJSON reads src as one JSON object and returns its tree, or the
// syntax errors found.
func parseJSON(src []byte) (*hujson.Value, []*SyntaxError) {
	r := &reader{src: src, cut: len(src) + 1}
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		r.edits = []edit{{0, 3, "   "}}
	}
	if len(bytes.TrimLeft(src[3*len(r.edits):], " \t\r\n")) == 0 {
		r.fail(len(src), `empty file: a manifest is a JSON object such as {"name": "org/app", "version": "1.0.0"}`)
		return nil, r.errs
	}
	if s := scan(src, len(src)); s.deep >= 0 {
		r.fail(s.deep, fmt.Sprintf("objects and arrays nest more than %d levels deep here: a manifest does not need this; flatten the value", maxDepth))
		return nil, r.errs
	}
	var root hujson.Value
	r.work = src
	for {
		if len(r.edits) > 0 {
			r.work = r.apply()
		}
		v, err := hujson.Parse(r.work)
		if err == nil {
			root = v
			r.walk(&root)
			break
		}
		if r.cut <= len(src) { // the cut input does not parse yet: try the next filler
			if len(r.fills) == 0 {
				break
			}
			r.edits[len(r.edits)-1].text = r.fills[0]
			r.fills = r.fills[1:]
			continue
		}
		if len(r.errs) > maxSyntaxErrors {
			break
		}
		r.diagnose(errOffset(r.work, err))
	}
	if len(r.errs) == 0 && root.Value.Kind() != '{' {
		r.fail(root.StartOffset, "the manifest must be a JSON object {...}, found "+kindName(&root))
	}
	if len(r.errs) == 0 {
		return &root, nil
	}
	slices.SortStableFunc(r.errs, func(a, b *SyntaxError) int { return cmp.Compare(a.Offset, b.Offset) })
	r.errs = slices.CompactFunc(r.errs, func(a, b *SyntaxError) bool { return *a == *b }) // a mistake met again after a repair
	if len(r.errs) > maxSyntaxErrors {
		r.errs = r.errs[:maxSyntaxErrors+1]
		r.errs[maxSyntaxErrors].Msg = "too many errors; fix the ones above and run again"
	}
	return nil, r.errs
}

// apply returns src with the edits made.
func (r *reader) apply() []byte {
	var b []byte
	last := 0
	for _, e := range r.edits {
		b = append(append(b, r.src[last:e.off]...), e.text...)
		last = e.off + e.del
	}
	return append(b, r.src[last:]...)
}

// orig maps an offset in work back to the input.
func (r *reader) orig(w int) int {
	shift := 0
	for _, e := range r.edits {
		start := e.off + shift
		if w < start {
			break
		}
		if w < start+len(e.text) {
			return e.off + min(w-start, e.del)
		}
		shift += len(e.text) - e.del
	}
	return w - shift
}

// fix replaces del bytes at work offset w with text, or cuts the input
// there when that would touch an earlier repair.
func (r *reader) fix(w, del int, text string) {
	e := edit{r.orig(w), del, text}
	i := slices.IndexFunc(r.edits, func(x edit) bool { return x.off > e.off })
	if i < 0 {
		i = len(r.edits)
	}
	if i > 0 && r.edits[i-1].off+r.edits[i-1].del > e.off || i < len(r.edits) && r.edits[i].off < e.off+e.del {
		r.stop(w)
		return
	}
	r.edits = slices.Insert(r.edits, i, e)
}

// stop records that the input cannot be read past work offset w: it is cut
// there, closed with the brackets still open and, if need be, a value.
func (r *reader) stop(w int) {
	var closers []byte
	for _, o := range slices.Backward(scan(r.work, w).open) {
		closers = append(closers, o.c+2) // '{'+2 is '}', '['+2 is ']'
	}
	r.cut = r.orig(w)
	r.fills = []string{"null" + string(closers), ":null" + string(closers)}
	r.edits = slices.DeleteFunc(r.edits, func(e edit) bool { return e.off+e.del > r.cut })
	r.edits = append(r.edits, edit{r.cut, len(r.src) - r.cut, string(closers)})
}

// fail records a problem at work offset w.
func (r *reader) fail(w int, msg string) {
	off := r.orig(w)
	if off >= r.cut {
		return
	}
	line, col := lineCol(r.src, off)
	r.errs = append(r.errs, &SyntaxError{Line: line, Column: col, Offset: off, Msg: msg})
}

// at formats work offset w as "line L, column C" of the input.
func (r *reader) at(w int) string {
	line, col := lineCol(r.src, r.orig(w))
	return fmt.Sprintf("line %d, column %d", line, col)
}

// keyText returns the key at work offsets k[0] to k[1] as the input writes
// it: decoded when it is a valid string, without its quotes otherwise.
func (r *reader) keyText(k [2]int) string {
	raw := r.src[r.orig(k[0]):r.orig(k[1])]
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	if len(raw) >= 2 && (raw[0] == '"' || raw[0] == '\'') {
		raw = raw[1 : len(raw)-1]
	}
	return string(raw)
}

// errOffset reads the offset of a hujson error from its "line L, column C"
// (a byte column).
func errOffset(b []byte, err error) int {
	var line, col int
	if _, e := fmt.Sscanf(err.Error(), "hujson: line %d, column %d:", &line, &col); e != nil {
		return 0
	}
	off := 0
	for ; line > 1 && off < len(b); line-- {
		off += bytes.IndexByte(b[off:], '\n') + 1
	}
	return min(off+col-1, len(b))
}

// walk reports the comments, trailing commas, duplicate keys and invalid
// UTF-8 of a tree that parsed.
func (r *reader) walk(v *hujson.Value) {
	r.extra(v.BeforeExtra, v.StartOffset-len(v.BeforeExtra))
	var last *hujson.Value
	var after hujson.Extra
	switch t := v.Value.(type) {
	case hujson.Literal:
		r.utf8(t, v.StartOffset)
	case *hujson.Object:
		seen := map[string]int{}
		for i := range t.Members {
			k, val := &t.Members[i].Name, &t.Members[i].Value
			r.walk(k)
			key := unquote(*k)
			if first, dup := seen[key]; dup {
				r.fail(k.StartOffset, fmt.Sprintf("duplicate key %q (first at %s): keep one", key, r.at(first)))
			} else {
				seen[key] = k.StartOffset
			}
			r.walk(val)
			last = val
		}
		after = t.AfterExtra
	case *hujson.Array:
		for i := range t.Elements {
			r.walk(&t.Elements[i])
			last = &t.Elements[i]
		}
		after = t.AfterExtra
	}
	closer := v.EndOffset - 1
	if last != nil && last.AfterExtra != nil && r.orig(closer) < r.cut { // hujson marks a trailing comma so
		r.fail(last.EndOffset+len(last.AfterExtra), fmt.Sprintf("trailing comma before '%c': remove the ','", r.work[closer]))
	}
	r.extra(after, closer-len(after))
	r.extra(v.AfterExtra, v.EndOffset)
}

// extra reports each comment in whitespace e (valid for hujson) that starts
// at work offset w.
func (r *reader) extra(e hujson.Extra, w int) {
	for i := bytes.IndexByte(e, '/'); i >= 0; i = bytes.IndexByte(e, '/') {
		kind, n := "//", bytes.IndexByte(e[i:], '\n')+1
		if e[i+1] == '*' {
			kind, n = "/* */", bytes.Index(e[i+2:], []byte("*/"))+4
		}
		r.fail(w+i, "comments are not allowed in JSON: remove the "+kind+" comment")
		e, w = e[i+max(n, 2):], w+i+max(n, 2)
	}
}

// utf8 reports the invalid UTF-8 in a string literal at work offset w.
func (r *reader) utf8(lit hujson.Literal, w int) {
	for i := 0; i < len(lit); {
		c, size := utf8.DecodeRune(lit[i:])
		if c == utf8.RuneError && size == 1 {
			r.fail(w+i, "invalid UTF-8 inside a string: save the file as UTF-8")
		}
		i += size
	}
}

// scanned is what precedes an offset: the brackets open there and the last
// token.
type scanned struct {
	open     []opener
	prev     byte   // the last token: '{', '[', ',', ':', 'k' (a key), 'v' (the end of a value), 0 (none)
	key      [2]int // the span of the last key, in work offsets
	str      int    // offset of the last string, or of the unterminated one
	inString bool   // the offset is inside a string
	comment  int    // offset of the comment the offset is in, or -1
	deep     int    // offset of the first bracket past maxDepth, or -1
	badKey   int    // offset of the first object or array where a key belongs, or -1
}

type opener struct {
	c   byte
	pos int
	key [2]int // the span of the last key read in an object
}

// scan reads b up to offset end, skipping strings and comments as hujson
// does, and stops at the first bracket past maxDepth.
func scan(b []byte, end int) scanned {
	s := scanned{deep: -1, comment: -1, str: -1, badKey: -1}
	for i := 0; i < end; i++ {
		switch c := b[i]; c {
		case '"':
			s.str, s.inString = i, true
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if i >= end {
				return s
			}
			s.inString = false
			if len(s.open) > 0 && s.open[len(s.open)-1].c == '{' && (s.prev == '{' || s.prev == ',') {
				s.prev, s.key = 'k', [2]int{s.str, i + 1}
				s.open[len(s.open)-1].key = s.key
			} else {
				s.prev = 'v'
			}
		case '/':
			if i+1 == len(b) || b[i+1] != '/' && b[i+1] != '*' {
				s.prev = 'v' // a stray '/'
				break
			}
			n := len(b) // the end of the comment
			if j := bytes.Index(b[i+2:], []byte("*/")); b[i+1] == '*' && j >= 0 {
				n = i + 2 + j + 2
			} else if j := bytes.IndexByte(b[i:], '\n'); b[i+1] == '/' && j >= 0 {
				n = i + j
			}
			if n > end {
				s.comment = i
				return s
			}
			i = n - 1
		case '{', '[':
			if s.badKey < 0 && len(s.open) > 0 && s.open[len(s.open)-1].c == '{' && (s.prev == '{' || s.prev == ',') {
				s.badKey = i // hujson reads the whole value before it refuses it as a key
			}
			if len(s.open) == maxDepth {
				s.deep = i
				return s
			}
			s.open = append(s.open, opener{c: c, pos: i})
			s.prev = c
		case '}', ']':
			if len(s.open) > 0 {
				s.open = s.open[:len(s.open)-1]
			}
			s.prev = 'v'
		case ',', ':':
			s.prev = c
		case ' ', '\t', '\r', '\n':
		default:
			s.prev = 'v'
		}
	}
	return s
}

// diagnose names the mistake hujson stopped at, at work offset w, and
// repairs the input past it or cuts the input there.
func (r *reader) diagnose(w int) {
	b := r.work
	s := scan(b, w)
	if s.badKey >= 0 {
		w, s = s.badKey, scan(b, s.badKey)
	}
	var top *opener
	if len(s.open) > 0 {
		top = &s.open[len(s.open)-1]
	}
	if s.comment < 0 && (bytes.HasPrefix(b[w:], []byte("//")) || bytes.HasPrefix(b[w:], []byte("/*"))) {
		s.comment = w
	}
	switch {
	case s.comment >= 0: // hujson refuses a comment with invalid UTF-8 or U+2028 in it, or an unclosed one
		start, end := s.comment, len(b)
		if b[start+1] == '*' {
			j := bytes.Index(b[start+2:], []byte("*/"))
			if j < 0 {
				r.fail(start, "unterminated /* comment: no closing */ (and comments are not allowed in JSON)")
				r.stop(start)
				return
			}
			end = start + 2 + j + 2
			r.fail(start, "comments are not allowed in JSON: remove the /* */ comment")
		} else {
			if j := bytes.IndexByte(b[start:], '\n'); j >= 0 {
				end = start + j
			}
			r.fail(start, "comments are not allowed in JSON: remove the // comment")
		}
		r.fix(start, end-start, strings.Repeat(" ", end-start))
		return
	case s.inString:
		r.badString(s.str)
		return
	case w >= len(b):
		r.eof(s)
		r.stop(len(b))
		return
	}
	switch c := b[w]; {
	case top == nil && (c == '}' || c == ']'):
		if s.prev == 0 {
			r.fail(w, fmt.Sprintf("missing value before '%c'", c))
		}
		r.fail(w, fmt.Sprintf("extra '%c' after the end of the manifest: check that brackets above are balanced", c))
		r.stop(w)
	case top == nil && s.prev != 0:
		r.fail(w, fmt.Sprintf("unexpected %s after the end of the manifest: a file holds one JSON object", describe(b[w:])))
		r.stop(w)
	case s.prev == 'k' && c == '=':
		r.fail(w, fmt.Sprintf("use ':' between key %q and its value, not '='", r.keyText(s.key)))
		r.fix(w, 1, ":")
	case s.prev == 'k':
		r.fail(w, fmt.Sprintf("missing ':' after key %q", r.keyText(s.key)))
		r.fix(w, 0, ":")
	case (c == '}' || c == ']') && c != top.c+2: // '{'+2 is '}', '['+2 is ']'
		if s.prev == ':' {
			r.fail(w, fmt.Sprintf("missing value before '%c'", c))
		}
		r.fail(w, fmt.Sprintf("found '%c' but the '%c' opened at %s needs '%c' first", c, top.c, r.at(top.pos), top.c+2))
		r.stop(w)
	case c == '}' || c == ']' || c == ',' && s.prev == ':':
		r.fail(w, fmt.Sprintf("missing value before '%c'", c))
		r.fix(w, 0, "null")
	case s.prev == 'v' && top != nil:
		switch {
		case top.c == '{' && (c == '"' || c == '\'' || isIdentByte(c)):
			r.fail(w, "missing ',' between members")
			r.fix(w, 0, ",")
			return
		case top.c == '[' && (bytes.IndexByte([]byte(`{["'-`), c) >= 0 || c >= '0' && c <= '9' || isIdentByte(c)):
			r.fail(w, "missing ',' between elements")
			r.fix(w, 0, ",")
			return
		case top.c == '{':
			r.fail(w, fmt.Sprintf("expected ',' or '}' after the value of %q, found %s", r.keyText(top.key), describe(b[w:])))
		default:
			r.fail(w, fmt.Sprintf("expected ',' or ']' after an element, found %s", describe(b[w:])))
		}
		r.stop(w)
	case c == ',':
		what := "an element"
		if top != nil && top.c == '{' {
			what = "a member"
		}
		r.fail(w, "extra ',': "+what+" is missing or there is one comma too many")
		r.fix(w, 1, " ")
	case c == '\'':
		r.fail(w, "strings must be in double quotes, not single quotes")
		end := w + 1
		for ; end < len(b) && b[end] != '\'' && b[end] != '\n'; end++ {
			if b[end] == '\\' {
				end++
			}
		}
		if end >= len(b) || b[end] == '\n' {
			r.badString(w) // what is wrong inside, then that it is not closed
			return
		}
		if bytes.IndexByte(b[w:end], '"') < 0 {
			r.fix(w, 1, `"`)
			r.fix(end, 1, `"`)
			return
		}
		r.fix(w, end+1-w, `"`+strings.ReplaceAll(string(b[w+1:end]), `"`, `\"`)+`"`)
	case c == '"':
		r.badString(w)
	case top != nil && top.c == '{' && s.prev != ':': // a key belongs here
		if !isIdentByte(c) {
			r.fail(w, fmt.Sprintf("expected a key in double quotes or '}', found %s", describe(b[w:])))
			r.stop(w)
			return
		}
		word := string(b[w:literalEnd(b, w)])
		r.fail(w, fmt.Sprintf("keys must be in double quotes: write %q", word))
		r.fix(w, len(word), `"`+word+`"`)
	case isIdentByte(c):
		r.word(w)
	case bytes.IndexByte([]byte("-+."), c) >= 0 || c >= '0' && c <= '9':
		tok := b[w:literalEnd(b, w)]
		r.fail(w, fmt.Sprintf("invalid number %q: %s", tok, numberHint(string(tok))))
		r.fix(w, len(tok), "0"+strings.Repeat(" ", len(tok)-1))
	default:
		r.fail(w, fmt.Sprintf("unexpected %s where a value was expected", describe(b[w:])))
		r.stop(w)
	}
}

// eof reports the end of input inside a value, naming what is unclosed.
func (r *reader) eof(s scanned) {
	if s.prev == 0 { // nothing but comments
		r.fail(len(r.work), `empty file: a manifest is a JSON object such as {"name": "org/app", "version": "1.0.0"}`)
		return
	}
	msg := "unexpected end of file"
	if len(s.open) > 0 {
		var parts []string
		for _, c := range []byte("{[") {
			if n := len(s.open) - len(slices.DeleteFunc(slices.Clone(s.open), func(o opener) bool { return o.c == c })); n > 0 {
				parts = append(parts, fmt.Sprintf("%d '%c'", n, c))
			}
		}
		which := "the"
		if len(s.open) > 1 {
			which = "the innermost"
		}
		last := s.open[len(s.open)-1]
		msg += fmt.Sprintf(": %s not closed (%s '%c' opened at %s)", strings.Join(parts, " and "), which, last.c, r.at(last.pos))
	}
	// Point just after the last character, not at a blank last line.
	r.fail(len(bytes.TrimRight(r.work, " \t\r\n")), msg)
}

// badString reports the first mistake in the string at work offset w (in
// double quotes, or single quotes and not closed).
func (r *reader) badString(w int) {
	b := r.work
	for i := w + 1; ; i++ {
		switch {
		case i >= len(b) || b[i] == '\n':
			r.unterminated(w, i)
			return
		case b[i] == b[w]:
			r.fail(w, "invalid string") // not reached: hujson accepts the strings json.Valid does
			r.stop(w)
			return
		case b[i] < 0x20:
			r.fail(i, fmt.Sprintf("control character %U inside a string: escape it (for a tab write \\t)", rune(b[i])))
			r.fix(i, 1, " ")
			return
		case b[i] != '\\' || i+1 >= len(b):
		case bytes.IndexByte([]byte(`"\/bfnrt`), b[i+1]) >= 0:
			i++
		case b[i+1] == 'u' && i+6 <= len(b) && isHex(b[i+2:i+6]):
			i += 5
		default:
			esc, _ := utf8.DecodeRune(b[i+1:])
			switch esc {
			case '\'':
				r.fail(i, `invalid escape \' in string: a single quote needs no backslash`)
			case 'u':
				r.fail(i, `invalid escape in string: \u needs four hexadecimal digits`)
			default:
				r.fail(i, fmt.Sprintf(`invalid escape \%c in string: to write a backslash, write \\`, esc))
			}
			r.fix(i, 1, " ")
			return
		}
	}
}

// unterminated reports the string at work offset w, which the end of its
// line or of the input at end cuts short.
func (r *reader) unterminated(w, end int) {
	msg := fmt.Sprintf("unterminated string: the string at %s has no closing quote", r.at(w))
	if end < len(r.work) {
		msg += " on its line"
	}
	r.fail(end, msg)
	r.stop(w)
}

// word reports a bare word where a value belongs.
func (r *reader) word(w int) {
	word := string(r.work[w:literalEnd(r.work, w)])
	switch lower := strings.ToLower(word); lower {
	case "true", "false", "null":
		r.fail(w, fmt.Sprintf("%q is not a JSON value: write %s", word, lower))
		r.fix(w, len(word), lower)
		return
	case "nan", "infinity", "undefined", "none", "nil":
		r.fail(w, fmt.Sprintf("%q is not allowed in JSON: use null or a number", word))
		r.fix(w, len(word), "0"+strings.Repeat(" ", len(word)-1))
		return
	}
	r.fail(w, fmt.Sprintf("strings must be in double quotes: write %q", word))
	r.fix(w, len(word), `"`+word+`"`)
}

// numberHint explains why tok is not a JSON number.
func numberHint(tok string) string {
	s := strings.TrimPrefix(tok, "-")
	switch {
	case strings.HasPrefix(tok, "+"):
		return "numbers cannot start with '+'"
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		return "write numbers in decimal"
	case strings.HasPrefix(s, "."):
		return "write a digit before the '.', as in 0.5"
	case len(s) > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9':
		return "numbers cannot have leading zeros"
	}
	return "not a JSON number"
}

// literalEnd returns the end of the literal at w, as hujson delimits one.
func literalEnd(b []byte, w int) int {
	for w < len(b) && (isIdentByte(b[w]) || b[w] >= '0' && b[w] <= '9' || bytes.IndexByte([]byte("-+."), b[w]) >= 0) {
		w++
	}
	return w
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isHex(b []byte) bool {
	return !slices.ContainsFunc(b, func(c byte) bool {
		return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')
	})
}

// describe names the character at the start of rest for messages.
func describe(rest []byte) string {
	r, size := utf8.DecodeRune(rest)
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("invalid byte 0x%02X", rest[0])
	}
	return fmt.Sprintf("%q", r)
}

// unquote returns the string a string value holds.
func unquote(v hujson.Value) string { return v.Value.(hujson.Literal).String() }

// kindName names a value's kind for "must be a string, found a number".
func kindName(v *hujson.Value) string {
	switch v.Value.Kind() {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	}
	return "null"
}
