package webhooks

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
)

// The JSON scanner: functions that check the syntax of the text at b[i:] in one pass and return the index
// just past what they checked. They keep the position in a local variable and never allocate on valid
// input. Parse checks each value with skipFast, a single loop that answers only "valid up to here" or
// not, and runs the recursive skipValue only to describe an error (or for nesting deeper than 32).

// maxDepth bounds the nesting of arrays and objects Parse accepts, like encoding/json's limit.
const maxDepth = 10000

// syntaxError describes bad JSON at b[i].
func syntaxError(b []byte, i int, what string) error {
	if i >= len(b) {
		return fmt.Errorf("invalid JSON: unexpected end of input (%s)", what)
	}
	c := b[i]
	s := strconv.QuoteRune(rune(c))
	if c < 0x20 || c >= 0x7f {
		s = fmt.Sprintf("byte 0x%02x", c)
	}
	return fmt.Errorf("invalid JSON at byte %d: unexpected %s (%s)", i, s, what)
}

// skipSpace returns the index of the first byte at or after i that is not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// plain lists the bytes a string holds as they are: all but '"', '\\' and control characters.
var plain = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

// special flags, in the high bit of each byte of x (eight bytes of a string read little-endian), the bytes
// that end a run of plain bytes: '"', '\\' and control characters. A byte borrows from the next one only
// when it is itself such a byte, so a flag can be wrong only above a byte rightly flagged, and the lowest
// flag is always the first such byte. The three tests share one mask of the high bits of ^x, since bytes
// from 0x80 up are plain and none of '"', '\\' and 0x20 has its high bit set.
func special(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, e := x^(ones*'"'), x^(ones*'\\')
	return ((q - ones) | (e - ones) | (x - ones*0x20)) &^ x & highs
}

// skipString checks the string whose opening quote is b[i]. It reports whether the string holds an escape
// sequence.
func skipString(b []byte, i int) (end int, escaped bool, err error) {
	i++ // opening quote
	for {
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, false, syntaxError(b, i, "unterminated string")
		}
		switch b[i] {
		case '"':
			return i + 1, escaped, nil
		case '\\':
			escaped = true
			if i, err = skipEscape(b, i+1); err != nil {
				return i, false, err
			}
		default:
			return i, false, syntaxError(b, i, "control character in string")
		}
	}
}

// skipEscape checks the escape sequence after a backslash, at b[i].
func skipEscape(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, syntaxError(b, i, "unterminated string")
	}
	switch b[i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 1, nil
	case 'u':
		i++
		for range 4 {
			if i >= len(b) || !isHex(b[i]) {
				return i, syntaxError(b, i, `want 4 hex digits after \u`)
			}
			i++
		}
		return i, nil
	}
	return i, syntaxError(b, i, "invalid escape in string")
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skipDigits returns the index after the run of digits at b[i:].
func skipDigits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// skipNumber checks a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) (int, error) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && isDigit(b[i]):
		i = skipDigits(b, i)
	default:
		return i, syntaxError(b, i, "want a digit")
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return j, syntaxError(b, j, "want a digit after the decimal point")
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return j, syntaxError(b, j, "want a digit in the exponent")
		}
		i = j
	}
	return i, nil
}

// skipValue checks the value at b[i] (white space already skipped); depth is the nesting around it.
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, syntaxError(b, i, "want a value")
	}
	switch c := b[i]; c {
	case '"':
		end, _, err := skipString(b, i)
		return end, err
	case '{', '[':
		return skipContainer(b, i, depth+1)
	case 't':
		return skipLiteral(b, i, "true")
	case 'f':
		return skipLiteral(b, i, "false")
	case 'n':
		return skipLiteral(b, i, "null")
	default:
		if c == '-' || isDigit(c) {
			return skipNumber(b, i)
		}
	}
	return i, syntaxError(b, i, "want a value")
}

func skipLiteral(b []byte, i int, word string) (int, error) {
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return i, syntaxError(b, i, "want "+word)
	}
	return i + len(word), nil
}

// skipContainer checks the object or array that opens at b[i].
func skipContainer(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return i, syntaxError(b, i, "nested too deeply")
	}
	closing := byte(']')
	if b[i] == '{' {
		closing = '}'
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == closing {
		return i + 1, nil
	}
	var err error
	for {
		if closing == '}' {
			if i, err = skipKey(b, i); err != nil {
				return i, err
			}
		}
		if i, err = skipValue(b, i, depth); err != nil {
			return i, err
		}
		var more bool
		if i, more, err = skipComma(b, i, closing); !more || err != nil {
			return i, err
		}
	}
}

// skipKey checks a key and its colon, returning the index of the value.
func skipKey(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return i, syntaxError(b, i, "want a string key")
	}
	i, _, err := skipString(b, i)
	if err != nil {
		return i, err
	}
	return skipColon(b, i)
}

// skipColon checks the ':' after a key, with the white space around it.
func skipColon(b []byte, i int) (int, error) {
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, syntaxError(b, i, "want ':' after a key")
	}
	return skipSpace(b, i+1), nil
}

// skipComma checks the ',' or the closing byte after a member, with the white space around it, and
// reports whether another member follows.
func skipComma(b []byte, i int, closing byte) (int, bool, error) {
	i = skipSpace(b, i)
	if i < len(b) {
		switch b[i] {
		case ',':
			return skipSpace(b, i+1), true, nil
		case closing:
			return i + 1, false, nil
		}
	}
	return i, false, syntaxError(b, i, "want ',' or "+strconv.QuoteRune(rune(closing)))
}

// skipFast is the fast path of skipValue, for the value at b[i]: one loop over the tokens that keeps the
// open containers in a small array and scans strings eight bytes at a time, returning the index just past
// the value, or -1 on any syntax error or nesting deeper than 32 (the caller then runs skipValue to
// describe the error or check deep nesting).
func skipFast(b []byte, i int) int {
	var closers [32]byte // '}' or ']' for each open container
	depth := 0
	key := false // the next token is an object key
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return -1
		}
		switch c := b[i]; {
		case c == '"':
			if i = endOfString(b, i+1); i < 0 {
				return -1
			}
			if key {
				if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
					return -1
				}
				i++
				key = false
				continue
			}
		case key:
			return -1
		case c == '{' || c == '[':
			i = skipSpace(b, i+1)
			if i < len(b) && b[i] == c+2 { // '{'+2 is '}' and '['+2 is ']': empty
				i++
				break
			}
			if depth == len(closers) {
				return -1
			}
			closers[depth] = c + 2
			depth++
			key = c == '{'
			continue
		case c == 't':
			i = skipWord(b, i, "true")
		case c == 'f':
			i = skipWord(b, i, "false")
		case c == 'n':
			i = skipWord(b, i, "null")
		default:
			var err error
			if i, err = skipNumber(b, i); err != nil {
				return -1
			}
		}
		// after a value: close containers, or go on to the next member
		for {
			if i < 0 {
				return -1
			}
			if depth == 0 {
				return i
			}
			if i = skipSpace(b, i); i >= len(b) {
				return -1
			}
			if b[i] != closers[depth-1] {
				break
			}
			i++
			depth--
		}
		if b[i] != ',' {
			return -1
		}
		i++
		key = closers[depth-1] == '}'
	}
}

// endOfString returns the index just past the closing quote of the string whose content starts at b[i],
// or -1 when it is not a valid string. It reads eight bytes at a time while it can.
func endOfString(b []byte, i int) int {
	for i < len(b) {
		if i+8 <= len(b) {
			m := special(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		} else if plain[b[i]] {
			i++
			continue
		}
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			var err error
			if i, err = skipEscape(b, i+1); err != nil {
				return -1
			}
		default:
			return -1
		}
	}
	return -1
}

// skipWord returns the index just past word at b[i], or -1.
func skipWord(b []byte, i int, word string) int {
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return -1
	}
	return i + len(word)
}
