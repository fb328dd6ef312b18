package socotra

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/oklog/ulid/v2"
)

// maxNameLen bounds a name or id the SDK puts in a URL path.
const maxNameLen = 256

// needULID checks a Core webhook or event locator before it goes into a URL
// path: the platform's locators are ULIDs (reference facts §1, seed 001), so
// anything else (such as "..", which would reach another path) is refused.
func needULID(what, v string) error {
	if v == "" {
		return errorf("empty %s", what)
	}
	if _, err := ulid.ParseStrict(v); err != nil {
		return errorf("%s %q is not a ULID such as 01HZX3K7Q8R9S0T1V2W3X4Y5Z6; pass the locator the platform returned", what, v)
	}
	return nil
}

// needName checks a name or id whose format no source confirms (Legacy
// webhook and integration names, Legacy transaction ids) before it goes into
// a URL path. The generated clients escape
// '/', '?', '#' and '%', but a dot segment ("." or "..") passes escaping and
// is resolved against the path, reaching another endpoint; a server that
// decodes %2F would do the same with "a/../b". So a name is refused when it
// is longer than 256 bytes, holds a non-printable character, or has a part
// (split at '/' or '\', and at '?', '#' and ';', where a decoding server may
// end the path or start parameters: "..#" and "..;" are dot segments there)
// that is "." or "..", as written or once %-decoded any number of times.
func needName(what, v string) error {
	switch {
	case v == "":
		return errorf("empty %s", what)
	case len(v) > maxNameLen:
		return errorf("%s is %d bytes long; the limit is %d", what, len(v), maxNameLen)
	case strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return errorf("%s %q contains a control or non-printable character", what, v)
	}
	// A server may decode %-escapes more than once ("%252F" → "%2F" → "/"), so every decoded form is
	// checked too; each decoding that changes the text shortens it, so the loop ends.
	for u := v; ; {
		for part := range strings.FieldsFuncSeq(u, isPathBreak) {
			if part == "." || part == ".." {
				return errorf("%s %q holds the dot segment %q, which would reach another path; pass the real name", what, v, part)
			}
		}
		d, err := url.PathUnescape(u)
		if err != nil || d == u {
			return nil
		}
		u = d
	}
}

// isPathBreak reports whether r ends a path segment for some server: '/' and
// '\\' separate segments, '?' and '#' end the path once %-escapes are decoded,
// and ';' starts path parameters.
func isPathBreak(r rune) bool {
	return r == '/' || r == '\\' || r == '?' || r == '#' || r == ';'
}

// maxSMPKeyLen bounds an x-smp-key.
const maxSMPKeyLen = 256

// ErrBadSMPKey is matched by the error [Marketplace] returns for an
// x-smp-key it will not put in a state API path.
var ErrBadSMPKey = errors.New("socotra: malformed x-smp-key header")

// checkSMPKey accepts an installation key of 1 to 256 characters from
// letters, digits and . _ ~ + = - / starting with a letter or digit, with no
// "." or ".." between slashes: every UUID, ULID, base64, base64url or JWT
// form passes (a '/' is escaped in the state API path), while dot segments,
// '%', '\', spaces and control characters, which could reach another path
// of the state API, do not. The key's real format is unpublished (seed 000
// and reference facts §4 say only that every request carries one), hence
// this broad set.
func checkSMPKey(key string) error {
	ok := len(key) > 0 && len(key) <= maxSMPKeyLen && isAlnum(key[0])
	for i := 0; ok && i < len(key); i++ {
		ok = isAlnum(key[i]) || strings.IndexByte("._~+=-/", key[i]) >= 0
	}
	for part := range strings.SplitSeq(key, "/") {
		ok = ok && part != "." && part != ".."
	}
	if !ok {
		return fmt.Errorf("%w: expected 1 to %d letters, digits or . _ ~ + = - / starting with a letter or digit, without dot segments",
			ErrBadSMPKey, maxSMPKeyLen)
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
