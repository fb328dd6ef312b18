package events

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Name is an event type name such as "policy.quote.accept". Any well-formed
// name is a valid Name (see [Parse]): Socotra adds names over time and
// tenants emit their own. [Name.Known] reports whether it is one of the
// names the platforms publish, listed by [All].
type Name string

// MaxNameLen is the longest name or pattern, in bytes, that [Parse] and
// [ValidPattern] accept.
const MaxNameLen = 128

var (
	// ErrMalformedName is matched (with errors.Is) by every error [Parse]
	// returns.
	ErrMalformedName = errors.New("events: malformed event name")
	// ErrMalformedPattern is matched (with errors.Is) by every error
	// [ValidPattern] returns.
	ErrMalformedPattern = errors.New("events: malformed event pattern")
)

// SyntaxError describes what is wrong with a malformed name or pattern.
// errors.Is matches it with [ErrMalformedName], or with
// [ErrMalformedPattern] when Pattern is set.
type SyntaxError struct {
	Input   string // the rejected name or pattern
	Offset  int    // byte offset of the problem in Input, or -1 when it concerns all of Input
	Reason  string // what is wrong and where, for example "empty segment at byte 7"
	Pattern bool   // Input was checked as a pattern
}

// Error returns, for example, `events: "policy..create": empty segment at byte 7`.
func (e *SyntaxError) Error() string {
	what := ""
	if e.Pattern {
		what = "pattern "
	}
	in := e.Input
	if len(in) > 40 {
		in = in[:40] + "..."
	}
	return fmt.Sprintf("events: %s%q: %s", what, in, e.Reason)
}

// Unwrap returns [ErrMalformedName] or [ErrMalformedPattern].
func (e *SyntaxError) Unwrap() error {
	if e.Pattern {
		return ErrMalformedPattern
	}
	return ErrMalformedName
}

// Parse checks that s is a well-formed event name and returns it as a Name.
// A well-formed name is non-empty ASCII of at most [MaxNameLen] bytes, made
// of dot-separated segments of letters, digits and '_', with no empty
// segment. Unknown well-formed names are accepted. For malformed input Parse
// returns a [*SyntaxError] that says what is wrong and where.
func Parse(s string) (Name, error) {
	if err := check(s, false); err != nil {
		return "", err
	}
	return Name(s), nil
}

// ValidPattern checks that pattern is well-formed for [Match]: the rules of
// [Parse], with '*' also allowed anywhere in a segment. It returns nil for
// "*", "policy.*" and "*.create", and a [*SyntaxError] for "policy..*".
// A router should check its patterns once with ValidPattern, so that a typo
// fails at start-up rather than never matching; webhooks.Handler and
// backfill's type filter do.
func ValidPattern(pattern string) error { return check(pattern, true) }

func check(s string, pattern bool) error {
	fail := func(at int, reason string, args ...any) error {
		return &SyntaxError{Input: s, Offset: at, Reason: fmt.Sprintf(reason, args...), Pattern: pattern}
	}
	if s == "" && pattern {
		return fail(-1, "empty; use \"*\" to match every event")
	}
	if s == "" {
		return fail(-1, "empty; a name has dot-separated segments, as in \"policy.quote.accept\"")
	}
	if len(s) > MaxNameLen {
		return fail(-1, "%d bytes long, over the limit of %d", len(s), MaxNameLen)
	}
	segStart := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isNameByte(c):
		case c == '*' && pattern:
		case c == '.':
			if i == segStart {
				return fail(i, "empty segment at byte %d", i)
			}
			segStart = i + 1
		case c == '*':
			return fail(i, "'*' at byte %d belongs in patterns (see Match), not in names", i)
		case c >= utf8.RuneSelf:
			r, _ := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError {
				return fail(i, "invalid UTF-8 at byte %d", i)
			}
			return fail(i, "non-ASCII character %q at byte %d", r, i)
		case pattern:
			return fail(i, "character %q at byte %d is not a letter, digit, '_', '.' or '*'", c, i)
		default:
			return fail(i, "character %q at byte %d is not a letter, digit, '_' or '.'", c, i)
		}
	}
	if segStart == len(s) {
		return fail(len(s), "empty segment at byte %d", len(s))
	}
	return nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// String returns n as a plain string.
func (n Name) String() string { return string(n) }

// Known reports whether n is one of the names in [All].
func (n Name) Known() bool { return platformOf[n] != 0 }

// Platforms reports which platforms send n; it is 0 for unknown names.
func (n Name) Platforms() Platform { return platformOf[n] }

// SentBy reports whether n is a known name that some platform in p sends.
// It is false for unknown names: use [Name.ForeignTo] to tell a name p never
// sends from one nobody knows.
func (n Name) SentBy(p Platform) bool { return platformOf[n]&p != 0 }

// ForeignTo reports whether n is a known name that no platform in p sends,
// such as "claim.create" (Legacy only) for [Core]. Such a name can never fire
// on p: registrations refuse it and manifests warn about it. Unknown names
// are not foreign: Socotra adds names, and tenants emit their own.
func (n Name) ForeignTo(p Platform) bool {
	on := platformOf[n]
	return on != 0 && p&(Core|Legacy) != 0 && on&p == 0
}

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

// Has reports whether p includes every platform in q; it is false when q is
// empty.
func (p Platform) Has(q Platform) bool { return q != 0 && p&q == q }

// String returns "core", "legacy", "core+legacy", or "none" for the empty
// set.
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
