package socotratest

import (
	"testing"
	"time"
)

// FuzzParseToken: any pagingToken a client sends is parsed without panicking, and every token the
// server hands out parses back to the same cursor.
func FuzzParseToken(f *testing.F) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Add((&cursor{Time: 5, Seq: 9, Size: 2}).token())
	f.Add((&cursor{Time: minTime, Start: &start, Type: "policy.change.create", Size: 100}).token())
	f.Add("")
	f.Add("e30")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := parseToken(s)
		if !ok {
			return
		}
		if c.Size < 1 || c.Size > maxPageSize {
			t.Fatalf("accepted size %d", c.Size)
		}
		again, ok := parseToken(c.token())
		if !ok || again.Time != c.Time || again.Seq != c.Seq || again.Type != c.Type || again.Size != c.Size {
			t.Fatalf("round trip of %q: %+v != %+v", s, again, c)
		}
	})
}
