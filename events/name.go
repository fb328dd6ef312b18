package events

import (
	"errors"
	"fmt"
)

// Name is an event type name such as "policy.quote.accept". Any well-formed
// name is a valid Name (see [Parse]); [Name.Known] reports whether it is one
// of the names published by Socotra.
type Name string

// MaxNameLen is the longest name, in bytes, that [Parse] accepts.
const MaxNameLen = 128

// ErrMalformedName is wrapped by every error [Parse] returns, so callers can
// test for it with errors.Is.
var ErrMalformedName = errors.New("malformed event name")

// Parse checks that s is a well-formed event name and returns it as a Name.
// A well-formed name is non-empty ASCII of at most [MaxNameLen] bytes, made of
// dot-separated segments of letters, digits and '_', with no empty segment.
// Unknown well-formed names are accepted: Socotra adds names over time and
// tenants emit their own. The error for malformed input says what is wrong
// and where, and wraps [ErrMalformedName].
func Parse(s string) (Name, error) {
	if s == "" {
		return "", fmt.Errorf("events: %w: empty name", ErrMalformedName)
	}
	if len(s) > MaxNameLen {
		return "", fmt.Errorf("events: %w: %.20q...: %d bytes long, the limit is %d", ErrMalformedName, s, len(s), MaxNameLen)
	}
	segStart := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if i == segStart {
				return "", fmt.Errorf("events: %w: %q: empty segment at byte %d", ErrMalformedName, s, i)
			}
			segStart = i + 1
		case isNameByte(c):
		case c >= 0x80:
			return "", fmt.Errorf("events: %w: %q: non-ASCII byte 0x%02x at byte %d", ErrMalformedName, s, c, i)
		default:
			return "", fmt.Errorf("events: %w: %q: character %q at byte %d is not a letter, digit, '_' or '.'", ErrMalformedName, s, c, i)
		}
	}
	if segStart == len(s) {
		return "", fmt.Errorf("events: %w: %q: empty segment at byte %d", ErrMalformedName, s, len(s))
	}
	return Name(s), nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// String returns n as a plain string.
func (n Name) String() string { return string(n) }

// Known reports whether n is one of the names in [All].
func (n Name) Known() bool { return n.Platforms() != 0 }

// Platforms reports which platforms publish n; it is 0 for unknown names.
func (n Name) Platforms() Platform { return platformOf[n] }

// Category returns the first dotted part of n ("policy" for
// "policy.quote.accept"), or all of n when it has no dot.
func (n Name) Category() string {
	for i := 0; i < len(n); i++ {
		if n[i] == '.' {
			return string(n[:i])
		}
	}
	return string(n)
}

// Platform is a set of Socotra platforms.
type Platform uint8

// The platforms a name can belong to.
const (
	// Core is Socotra Insurance Suite (Enterprise Core).
	Core Platform = 1 << iota
	// Legacy is Socotra Connected Core.
	Legacy
)

// Has reports whether p includes every platform in q.
func (p Platform) Has(q Platform) bool { return q != 0 && p&q == q }

// String returns "core", "legacy", "core+legacy", or "none" for the empty set.
func (p Platform) String() string {
	switch p {
	case 0:
		return "none"
	case Core:
		return "core"
	case Legacy:
		return "legacy"
	case Core | Legacy:
		return "core+legacy"
	}
	return fmt.Sprintf("Platform(%d)", uint8(p))
}
