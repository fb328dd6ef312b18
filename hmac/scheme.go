package hmac

import (
	stdhmac "crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/textproto"
	"strings"
)

// maxMACSize bounds the MAC length a scheme may produce (SHA-512 is 64 bytes). Buffers of this size live on
// the stack, which keeps verification allocation-free.
const maxMACSize = 64

// Scheme decides how a signature is computed and carried: the header, the hash under the HMAC, the signed
// content and the encoding. [DefaultScheme] is HMAC-SHA256 over the raw body in [HeaderName];
// [NewHeaderScheme] changes the header, hash or prefix; implement Scheme for any other layout (for example a
// signed timestamp in a "t=...,v1=..." header) and pass it with [WithScheme].
//
// The verifier keys one HMAC per secret with Hash, then for each request writes the signed content into it
// with WriteSigned and compares the sum, in constant time, with every MAC that Signatures yields.
type Scheme interface {
	// Header returns the name of the header that carries the signatures.
	Header() string
	// Hash returns the hash function the HMAC is built on, such as sha256.New. Its Size must be at most 64.
	Hash() func() hash.Hash
	// WriteSigned writes to w the content the MAC covers: the raw body for the default scheme, preceded by
	// whatever else the layout signs (taken from h). An error refuses the request.
	WriteSigned(w io.Writer, body []byte, h http.Header) error
	// Signatures calls yield with each MAC carried by the header values, decoded to raw bytes, until yield
	// returns false. The slice passed to yield may be reused after yield returns. Values it cannot read are
	// skipped; it returns an error only when the layout as a whole is unusable.
	Signatures(values []string, yield func(mac []byte) bool) error
	// Sign sets on h the header (and anything else the layout signs) for body under secret. Test helpers and
	// fake senders use it.
	Sign(h http.Header, secret, body []byte) error
}

// headerScheme is a single header carrying one or more MACs, each hex or base64, optionally prefixed.
// The verifier recognises it and takes an allocation-free path.
type headerScheme struct {
	header string // canonical form
	hash   func() hash.Hash
	prefix string
	size   int // MAC length in bytes
	b64raw int // unpadded base64 length of a MAC
	b64pad int // padded base64 length of a MAC
}

var defaultScheme = mustHeaderScheme(HeaderName, sha256.New, "sha256=")

// DefaultScheme returns the scheme a [Verifier] uses unless [WithScheme] says otherwise: HMAC-SHA256 over
// the exact raw body, carried in [HeaderName]. It accepts hex (either case) and base64 (standard or URL
// alphabet, padded or not), each with or without a "sha256=" prefix (any case), and several values per
// request: repeated header lines, or values separated by commas or spaces. It signs as lowercase hex.
func DefaultScheme() Scheme { return defaultScheme }

// NewHeaderScheme returns a scheme that reads like [DefaultScheme] but from another header, over another
// hash, with another optional prefix; for example NewHeaderScheme("X-Signature", sha512.New, "sha512=").
// An empty prefix accepts bare values only. Verifying with it allocates nothing, like the default.
func NewHeaderScheme(header string, h func() hash.Hash, prefix string) (Scheme, error) {
	if header == "" {
		return nil, errors.New("hmac: NewHeaderScheme needs a header name")
	}
	if h == nil {
		return nil, errors.New("hmac: NewHeaderScheme needs a hash function such as sha256.New")
	}
	size := h().Size()
	if size <= 0 || size > maxMACSize {
		return nil, fmt.Errorf("hmac: NewHeaderScheme: hash size %d is outside 1..%d bytes", size, maxMACSize)
	}
	if strings.ContainsAny(prefix, ", \t") {
		return nil, fmt.Errorf("hmac: NewHeaderScheme: prefix %q must not contain separators (comma, space, tab)", prefix)
	}
	return &headerScheme{
		header: textproto.CanonicalMIMEHeaderKey(header),
		hash:   h,
		prefix: prefix,
		size:   size,
		b64raw: (size*8 + 5) / 6,
		b64pad: (size + 2) / 3 * 4,
	}, nil
}

func mustHeaderScheme(header string, h func() hash.Hash, prefix string) *headerScheme {
	s, err := NewHeaderScheme(header, h, prefix)
	if err != nil {
		panic(err)
	}
	return s.(*headerScheme)
}

func (s *headerScheme) Header() string         { return s.header }
func (s *headerScheme) Hash() func() hash.Hash { return s.hash }

func (s *headerScheme) WriteSigned(w io.Writer, body []byte, _ http.Header) error {
	_, err := w.Write(body)
	return err
}

func (s *headerScheme) Signatures(values []string, yield func(mac []byte) bool) error {
	var buf [maxMACSize]byte
	for _, v := range values {
		for tok, rest := nextToken(v); tok != ""; tok, rest = nextToken(rest) {
			if mac := s.decode(tok, &buf); mac != nil && !yield(mac) {
				return nil
			}
		}
	}
	return nil
}

func (s *headerScheme) Sign(h http.Header, secret, body []byte) error {
	if len(secret) == 0 {
		return ErrEmptySecret
	}
	m := stdhmac.New(s.hash, secret)
	m.Write(body)
	var sum [maxMACSize]byte
	h[s.header] = []string{hex.EncodeToString(m.Sum(sum[:0]))}
	return nil
}

// values returns the header lines carrying signatures. Servers canonicalise header names; a header map
// built by hand may not be, so a miss falls back to a case-insensitive scan.
func headerValues(h http.Header, canonical string) []string {
	if v := h[canonical]; len(v) > 0 {
		return v
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, canonical) {
			return v
		}
	}
	return nil
}

// match reports whether any value in the header decodes to sum (compared in constant time), and how many
// values decoded to a MAC of the right length at all.
func (s *headerScheme) match(values []string, sum []byte) (ok bool, decoded int) {
	var buf [maxMACSize]byte
	for _, v := range values {
		// A value that decodes whole is a single token: skip the tokeniser for this common case.
		if mac := s.decode(v, &buf); mac != nil {
			decoded++
			if stdhmac.Equal(mac, sum) {
				return true, decoded
			}
			continue
		}
		for tok, rest := nextToken(v); tok != ""; tok, rest = nextToken(rest) {
			mac := s.decode(tok, &buf)
			if mac == nil {
				continue
			}
			decoded++
			if stdhmac.Equal(mac, sum) {
				return true, decoded
			}
		}
	}
	return false, decoded
}

func isSep(c byte) bool { return c == ',' || c == ' ' || c == '\t' }

// nextToken returns the first token of s, separated by commas, spaces or tabs, and what follows it.
func nextToken(s string) (tok, rest string) {
	i := 0
	for i < len(s) && isSep(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !isSep(s[j]) {
		j++
	}
	return s[i:j], s[j:]
}

// decode turns one token into MAC bytes held in buf, or nil when it is not hex (either case) or base64 (standard
// or URL alphabet, padded or not, unused bits zero) of the MAC's size. The standard library decodes; the
// token is first copied to a stack array because its decoders take a []byte and converting the string would
// allocate.
func (s *headerScheme) decode(tok string, buf *[maxMACSize]byte) []byte {
	if p := len(s.prefix); p > 0 && len(tok) > p && strings.EqualFold(tok[:p], s.prefix) {
		tok = tok[p:]
	}
	var src [2 * maxMACSize]byte
	if len(tok) == 2*s.size {
		if n, err := hex.Decode(buf[:], src[:copy(src[:], tok)]); err == nil && n == s.size {
			return buf[:n]
		}
	}
	if len(tok) == s.b64pad && strings.TrimRight(tok[s.b64raw:], "=") == "" {
		tok = tok[:s.b64raw]
	}
	if len(tok) != s.b64raw {
		return nil
	}
	enc := base64Std
	if strings.ContainsAny(tok, "-_") {
		enc = base64URL
	}
	// Decode skips CR and LF, so a token holding them decodes short; the length check refuses it.
	if n, err := enc.Decode(buf[:], src[:copy(src[:], tok)]); err == nil && n == s.size {
		return buf[:n]
	}
	return nil
}

// base64Std and base64URL decode unpadded base64 and refuse non-zero unused bits, so each MAC has one
// spelling per alphabet.
var base64Std, base64URL = base64.RawStdEncoding.Strict(), base64.RawURLEncoding.Strict()

// describe summarises the shape of the header values for logs without revealing them: each token as its
// apparent encoding and length, such as "sha256=hex/64" or "base64/43".
func describe(values []string, prefix string) []string {
	var out []string
	for _, v := range values {
		for tok, rest := nextToken(v); tok != ""; tok, rest = nextToken(rest) {
			p := ""
			if n := len(prefix); n > 0 && len(tok) > n && strings.EqualFold(tok[:n], prefix) {
				p, tok = prefix, tok[n:]
			}
			out = append(out, fmt.Sprintf("%s%s/%d", strings.ToLower(p), shape(tok), len(tok)))
			if len(out) == 8 {
				return append(out, "...")
			}
		}
	}
	return out
}

func shape(tok string) string {
	switch {
	case strings.Trim(tok, hexDigits) == "":
		return "hex"
	case strings.Trim(tok, base64Chars) == "":
		return "base64"
	}
	return "unrecognised"
}

const (
	hexDigits   = "0123456789abcdefABCDEF"
	base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_="
)
