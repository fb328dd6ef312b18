package webhooks

import (
	"fmt"
	"strconv"
)

// maxDepth bounds the nesting of arrays and objects Parse accepts, like encoding/json's limit.
const maxDepth = 10000

// scanner walks a JSON text once, checking its syntax as it goes. It never allocates on valid input.
type scanner struct {
	b []byte
	i int
}

// syntaxError describes bad JSON at the scanner's position.
func (s *scanner) syntaxError(what string) error {
	if s.i >= len(s.b) {
		return fmt.Errorf("invalid JSON: unexpected end of input (%s)", what)
	}
	return fmt.Errorf("invalid JSON at byte %d: unexpected %s (%s)", s.i, quoteByte(s.b[s.i]), what)
}

func quoteByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return strconv.QuoteRune(rune(c))
}

func (s *scanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the current byte, or 0 at the end of input.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str checks the string starting at the current '"' and moves past it. It reports whether the string holds
// an escape sequence.
func (s *scanner) str() (escaped bool, err error) {
	s.i++ // opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return escaped, nil
		case c == '\\':
			escaped = true
			s.i++
			switch s.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for range 4 {
					if !isHex(s.peek()) {
						return false, s.syntaxError(`want 4 hex digits after \u`)
					}
					s.i++
				}
			default:
				return false, s.syntaxError("invalid escape in string")
			}
		case c < 0x20:
			return false, s.syntaxError("control character in string")
		default:
			s.i++
		}
	}
	return false, s.syntaxError("unterminated string")
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits moves past a run of digits and reports whether there was at least one.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && isDigit(s.b[s.i]) {
		s.i++
	}
	return s.i > start
}

// number checks a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case isDigit(c):
		s.digits()
	default:
		return s.syntaxError("want a digit")
	}
	if s.peek() == '.' {
		s.i++
		if !s.digits() {
			return s.syntaxError("want a digit after the decimal point")
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return s.syntaxError("want a digit in the exponent")
		}
	}
	return nil
}

func (s *scanner) literal(word string) error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.syntaxError("want " + word)
	}
	s.i += len(word)
	return nil
}

// value checks the value starting at the current byte (after white space) and moves past it.
func (s *scanner) value(depth int) error {
	switch c := s.peek(); {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || isDigit(c):
		return s.number()
	}
	return s.syntaxError("want a value")
}

func (s *scanner) object(depth int) error {
	if depth > maxDepth {
		return s.syntaxError("nested too deeply")
	}
	s.i++ // '{'
	s.skipSpace()
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.syntaxError("want a string key")
		}
		if _, err := s.str(); err != nil {
			return err
		}
		if err := s.colon(); err != nil {
			return err
		}
		if err := s.value(depth); err != nil {
			return err
		}
		if more, err := s.next('}'); !more || err != nil {
			return err
		}
	}
}

func (s *scanner) array(depth int) error {
	if depth > maxDepth {
		return s.syntaxError("nested too deeply")
	}
	s.i++ // '['
	s.skipSpace()
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.value(depth); err != nil {
			return err
		}
		if more, err := s.next(']'); !more || err != nil {
			return err
		}
	}
}

// colon moves past the ':' after a key and the white space around it.
func (s *scanner) colon() error {
	s.skipSpace()
	if s.peek() != ':' {
		return s.syntaxError("want ':' after a key")
	}
	s.i++
	s.skipSpace()
	return nil
}

// next moves past the ',' or the closing byte after a member, with the white space around it. It reports
// whether another member follows.
func (s *scanner) next(closing byte) (bool, error) {
	s.skipSpace()
	switch s.peek() {
	case ',':
		s.i++
		s.skipSpace()
		return true, nil
	case closing:
		s.i++
		return false, nil
	}
	return false, s.syntaxError("want ',' or " + strconv.QuoteRune(rune(closing)))
}
