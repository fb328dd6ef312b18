package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
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

// maxSyntaxErrors bounds how many syntax errors one Parse reports.
const maxSyntaxErrors = 20

// maxDepth bounds how deeply objects and arrays nest. The parser recurses once
// per level, so without a bound a file of millions of '[' exhausts the stack
// and kills the process; real manifests nest a handful of levels.
const maxDepth = 256

// node is one JSON value in the parsed tree, with its byte span in the source.
type node struct {
	kind       byte // '{', '[', '"', '0' (number), 't', 'f', 'n'
	start, end int
	str        string // decoded value, for strings
	keys       []string
	keyPos     []int
	vals       []*node // object member values, in order; also array elements
}

// kindName names a node's kind for "must be a string, found number" messages.
func (n *node) kindName() string {
	switch n.kind {
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

type opener struct {
	c   byte
	pos int
}

// parser is a forgiving recursive-descent JSON reader: it records each
// problem as a SyntaxError and carries on where the intent is clear (a
// comment, a trailing or missing comma, single quotes), and stops at the first
// problem it cannot step over.
type parser struct {
	src  []byte
	i    int
	errs []*SyntaxError
	open []opener
	eof  bool // input ended inside a value
	stop bool // a problem parsing cannot recover from
}

// parseJSON reads src as one JSON object and returns its tree, or the syntax
// errors found.
func parseJSON(src []byte) (*node, []*SyntaxError) {
	p := &parser{src: src}
	p.i = len(bomPrefix(src))
	p.space()
	if p.i >= len(p.src) && !p.stop {
		p.fail(p.i, `empty file: a manifest is a JSON object such as {"name": "org/app", "version": "1.0.0"}`)
		return nil, p.errs
	}
	start := p.i
	root := p.value()
	switch {
	case p.stop:
	case p.eof:
		p.failEOF()
	default:
		p.space()
		if p.i < len(p.src) && !p.stop {
			c := p.src[p.i]
			if c == '}' || c == ']' {
				p.fail(p.i, fmt.Sprintf("extra '%c' after the end of the manifest: check that brackets above are balanced", c))
			} else {
				p.fail(p.i, fmt.Sprintf("unexpected %s after the end of the manifest: a file holds one JSON object", describe(p.src[p.i:])))
			}
		}
	}
	if root != nil && root.kind != '{' && len(p.errs) == 0 {
		p.fail(start, fmt.Sprintf(`the manifest must be a JSON object {...}, found %s`, root.kindName()))
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return root, nil
}

func bomPrefix(src []byte) []byte {
	if bytes.HasPrefix(src, []byte("\xef\xbb\xbf")) {
		return src[:3]
	}
	return nil
}

// fail records a problem at byte offset pos.
func (p *parser) fail(pos int, msg string) {
	if p.stop {
		return
	}
	if len(p.errs) == maxSyntaxErrors {
		msg = "too many errors; fix the ones above and run again"
		p.stop = true
	}
	line, col := lineCol(p.src, pos)
	p.errs = append(p.errs, &SyntaxError{Line: line, Column: col, Offset: pos, Msg: msg})
}

// fatal records a problem after which reading cannot continue.
func (p *parser) fatal(pos int, msg string) {
	p.fail(pos, msg)
	p.stop = true
}

// failEOF reports the end of input inside a value, naming what is unclosed.
func (p *parser) failEOF() {
	counts := map[byte]int{}
	for _, o := range p.open {
		counts[o.c]++
	}
	var parts []string
	for _, c := range []byte{'{', '['} {
		if counts[c] > 0 {
			parts = append(parts, fmt.Sprintf("%d '%c'", counts[c], c))
		}
	}
	msg := "unexpected end of file"
	if len(parts) > 0 {
		last := p.open[len(p.open)-1]
		line, col := lineCol(p.src, last.pos)
		which := "the"
		if len(p.open) > 1 {
			which = "the innermost"
		}
		msg += fmt.Sprintf(": %s not closed (%s '%c' opened at line %d, column %d)",
			strings.Join(parts, " and "), which, last.c, line, col)
	}
	// Point just after the last character, not at a blank last line.
	p.fail(len(bytes.TrimRight(p.src, " \t\r\n")), msg)
}

// lineCol converts a byte offset to a 1-based line and character column.
func lineCol(src []byte, pos int) (line, col int) {
	pos = min(pos, len(src))
	lineStart := bytes.LastIndexByte(src[:pos], '\n') + 1
	return bytes.Count(src[:pos], []byte{'\n'}) + 1, utf8.RuneCount(src[lineStart:pos]) + 1
}

// space skips whitespace, reporting and skipping comments.
func (p *parser) space() {
	for p.i < len(p.src) && !p.stop {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		case '/':
			if !p.comment() {
				return
			}
		default:
			return
		}
	}
}

// comment skips a // or /* */ comment after reporting it; it reports false
// when the '/' does not start a comment.
func (p *parser) comment() bool {
	rest := p.src[p.i:]
	switch {
	case bytes.HasPrefix(rest, []byte("//")):
		p.fail(p.i, "comments are not allowed in JSON: remove the // comment")
		if n := bytes.IndexByte(rest, '\n'); n >= 0 {
			p.i += n
		} else {
			p.i = len(p.src)
		}
	case bytes.HasPrefix(rest, []byte("/*")):
		n := bytes.Index(rest[2:], []byte("*/"))
		if n < 0 {
			p.fatal(p.i, "unterminated /* comment: no closing */ (and comments are not allowed in JSON)")
			return true
		}
		p.fail(p.i, "comments are not allowed in JSON: remove the /* */ comment")
		p.i += n + 4
	default:
		return false
	}
	return true
}

// next skips space and comments and returns the next byte; it reports false
// at the end of input (setting eof) or after a fatal error.
func (p *parser) next() (byte, bool) {
	p.space()
	if p.stop {
		return 0, false
	}
	if p.i >= len(p.src) {
		p.eof = true
		return 0, false
	}
	return p.src[p.i], true
}

// value reads one value; it returns nil when there is none to read.
func (p *parser) value() *node {
	c, ok := p.next()
	if !ok {
		return nil
	}
	switch {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"' || c == '\'':
		return p.string()
	case c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9':
		return p.number()
	case isIdentByte(c):
		return p.word()
	case c == ',' || c == '}' || c == ']':
		p.fail(p.i, fmt.Sprintf("missing value before '%c'", c))
		return nil
	default:
		p.fatal(p.i, fmt.Sprintf("unexpected %s where a value was expected", describe(p.src[p.i:])))
		return nil
	}
}

// deep reports, as a fatal error, an object or array opened at the current
// offset beyond maxDepth levels.
func (p *parser) deep() bool {
	if len(p.open) < maxDepth {
		return false
	}
	p.fatal(p.i, fmt.Sprintf("objects and arrays nest more than %d levels deep here: a manifest does not need this; flatten the value", maxDepth))
	return true
}

func (p *parser) object() *node {
	if p.deep() {
		return nil
	}
	n := &node{kind: '{', start: p.i}
	p.open = append(p.open, opener{'{', p.i})
	p.i++
	comma := -1 // offset of a comma not yet followed by a member
	seen := map[string]int{}
	for {
		c, ok := p.next()
		if !ok {
			return nil
		}
		switch {
		case c == '}':
			if comma >= 0 {
				p.fail(comma, "trailing comma before '}': remove the ','")
			}
			return p.close(n)
		case c == ']':
			p.mismatch()
			return nil
		case c == ',':
			p.fail(p.i, "extra ',': a member is missing or there is one comma too many")
			p.i++
			continue
		}
		keyPos := p.i
		var key string
		switch {
		case c == '"' || c == '\'':
			k := p.string()
			if k == nil {
				return nil
			}
			key = k.str
		case isIdentByte(c):
			key = p.ident()
			p.fail(keyPos, fmt.Sprintf("keys must be in double quotes: write %q", key))
		default:
			p.fatal(p.i, fmt.Sprintf("expected a key in double quotes or '}', found %s", describe(p.src[p.i:])))
			return nil
		}
		if first, dup := seen[key]; dup {
			line, col := lineCol(p.src, first)
			p.fail(keyPos, fmt.Sprintf("duplicate key %q (first at line %d, column %d): keep one", key, line, col))
		}
		seen[key] = keyPos
		c, ok = p.next()
		if !ok {
			return nil
		}
		switch c {
		case ':':
			p.i++
		case '=':
			p.fail(p.i, fmt.Sprintf("use ':' between key %q and its value, not '='", key))
			p.i++
		default:
			p.fail(p.i, fmt.Sprintf("missing ':' after key %q", key))
		}
		v := p.value()
		if p.stop || p.eof {
			return nil
		}
		if v != nil {
			n.keys = append(n.keys, key)
			n.keyPos = append(n.keyPos, keyPos)
			n.vals = append(n.vals, v)
		}
		comma = -1
		if c, ok = p.next(); !ok {
			return nil
		}
		switch {
		case c == ',':
			comma = p.i
			p.i++
		case c == '}':
			return p.close(n)
		case c == ']':
			p.mismatch()
			return nil
		case c == '"' || c == '\'' || isIdentByte(c):
			p.fail(p.i, "missing ',' between members")
		default:
			p.fatal(p.i, fmt.Sprintf("expected ',' or '}' after the value of %q, found %s", key, describe(p.src[p.i:])))
			return nil
		}
	}
}

func (p *parser) array() *node {
	if p.deep() {
		return nil
	}
	n := &node{kind: '[', start: p.i}
	p.open = append(p.open, opener{'[', p.i})
	p.i++
	comma := -1
	for {
		c, ok := p.next()
		if !ok {
			return nil
		}
		switch c {
		case ']':
			if comma >= 0 {
				p.fail(comma, "trailing comma before ']': remove the ','")
			}
			return p.close(n)
		case '}':
			p.mismatch()
			return nil
		case ',':
			p.fail(p.i, "extra ',': an element is missing or there is one comma too many")
			p.i++
			continue
		}
		v := p.value()
		if p.stop || p.eof {
			return nil
		}
		if v != nil {
			n.vals = append(n.vals, v)
		}
		comma = -1
		if c, ok = p.next(); !ok {
			return nil
		}
		switch {
		case c == ',':
			comma = p.i
			p.i++
		case c == ']':
			return p.close(n)
		case c == '}':
			p.mismatch()
			return nil
		case c == '{' || c == '[' || c == '"' || c == '\'' || c == '-' || c >= '0' && c <= '9' || isIdentByte(c):
			p.fail(p.i, "missing ',' between elements")
		default:
			p.fatal(p.i, fmt.Sprintf("expected ',' or ']' after an element, found %s", describe(p.src[p.i:])))
			return nil
		}
	}
}

// close consumes the closing bracket of n.
func (p *parser) close(n *node) *node {
	p.i++
	p.open = p.open[:len(p.open)-1]
	n.end = p.i
	return n
}

// mismatch reports a closing bracket that does not match the open one.
func (p *parser) mismatch() {
	o := p.open[len(p.open)-1]
	want := byte('}')
	if o.c == '[' {
		want = ']'
	}
	line, col := lineCol(p.src, o.pos)
	p.fatal(p.i, fmt.Sprintf("found '%c' but the '%c' opened at line %d, column %d needs '%c' first",
		p.src[p.i], o.c, line, col, want))
}

// string reads a string in double quotes (or, after reporting it, in single
// quotes) and decodes it.
func (p *parser) string() *node {
	start, quote := p.i, p.src[p.i]
	if quote == '\'' {
		p.fail(start, "strings must be in double quotes, not single quotes")
	}
	p.i++
	clean := quote == '"'
	for {
		if p.i >= len(p.src) {
			line, col := lineCol(p.src, start)
			p.fatal(p.i, fmt.Sprintf("unterminated string: the string at line %d, column %d has no closing quote", line, col))
			return nil
		}
		c := p.src[p.i]
		switch {
		case c == quote:
			p.i++
			n := &node{kind: '"', start: start, end: p.i}
			raw := p.src[start:p.i]
			body := raw[1 : len(raw)-1]
			n.str = string(body) // exact when there is no escape; best effort for invalid input
			if clean && bytes.IndexByte(body, '\\') >= 0 {
				if err := json.Unmarshal(raw, &n.str); err != nil {
					n.str = string(body)
				}
			}
			return n
		case c == '\n':
			line, col := lineCol(p.src, start)
			p.fatal(p.i, fmt.Sprintf("unterminated string: the string at line %d, column %d has no closing quote on its line", line, col))
			return nil
		case c < 0x20:
			p.fail(p.i, fmt.Sprintf("control character %U inside a string: escape it (for a tab write \\t)", rune(c)))
			clean = false
			p.i++
		case c == '\\':
			p.i += p.escape()
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(p.src[p.i:])
			if r == utf8.RuneError && size == 1 {
				p.fail(p.i, "invalid UTF-8 inside a string: save the file as UTF-8")
				clean = false
			}
			p.i += size
		default:
			p.i++
		}
	}
}

// escape checks the escape sequence at p.i and returns its length.
func (p *parser) escape() int {
	if p.i+1 >= len(p.src) {
		return 1
	}
	switch c := p.src[p.i+1]; c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't', '\'':
		if c == '\'' {
			p.fail(p.i, `invalid escape \' in string: a single quote needs no backslash`)
		}
		return 2
	case 'u':
		for k := 2; k < 6; k++ {
			if p.i+k >= len(p.src) || !isHex(p.src[p.i+k]) {
				p.fail(p.i, `invalid escape in string: \u needs four hexadecimal digits`)
				return k
			}
		}
		return 6
	default:
		r, _ := utf8.DecodeRune(p.src[p.i+1:])
		p.fail(p.i, fmt.Sprintf(`invalid escape \%c in string: to write a backslash, write \\`, r))
		return 1
	}
}

// number reads a number, reporting forms JSON does not allow.
func (p *parser) number() *node {
	start := p.i
	for p.i < len(p.src) && isNumberByte(p.src[p.i]) {
		p.i++
	}
	tok := string(p.src[start:p.i])
	if msg := checkNumber(tok); msg != "" {
		p.fail(start, fmt.Sprintf("invalid number %q: %s", tok, msg))
	}
	return &node{kind: '0', start: start, end: p.i}
}

// checkNumber explains why tok is not a JSON number, or returns "".
func checkNumber(tok string) string {
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
	if !json.Valid([]byte(tok)) || strings.ContainsAny(tok, " \t\r\n") {
		return "not a JSON number"
	}
	return ""
}

// word reads true, false or null, and reports other bare words.
func (p *parser) word() *node {
	start := p.i
	w := p.ident()
	n := &node{start: start, end: p.i}
	switch w {
	case "true", "false", "null":
		n.kind = w[0]
		return n
	}
	switch strings.ToLower(w) {
	case "true", "false", "null":
		p.fail(start, fmt.Sprintf("%q is not a JSON value: write %s", w, strings.ToLower(w)))
	case "nan", "infinity", "undefined", "none", "nil":
		p.fail(start, fmt.Sprintf("%q is not allowed in JSON: use null or a number", w))
	default:
		p.fail(start, fmt.Sprintf("strings must be in double quotes: write %q", w))
	}
	n.kind, n.str = '"', w
	return n
}

func (p *parser) ident() string {
	start := p.i
	for p.i < len(p.src) && (isIdentByte(p.src[p.i]) || p.src[p.i] >= '0' && p.src[p.i] <= '9' || p.src[p.i] == '-' || p.src[p.i] == '.') {
		p.i++
	}
	return string(p.src[start:p.i])
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' ||
		c == 'x' || c == 'X' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// describe names the character at the start of rest for messages.
func describe(rest []byte) string {
	r, size := utf8.DecodeRune(rest)
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("invalid byte 0x%02X", rest[0])
	}
	return fmt.Sprintf("%q", r)
}
