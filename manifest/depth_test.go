package manifest

import (
	"errors"
	"strings"
	"testing"
)

// TestParseDepth refuses nesting beyond maxDepth with one located error
// instead of recursing until the stack runs out (8 M '[' killed the process).
func TestParseDepth(t *testing.T) {
	t.Parallel()
	nest := func(open, close string, n int) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	tests := []struct {
		name    string
		in      string
		wantCol int // 0: parses
	}{
		{"8M brackets", strings.Repeat("[", 8<<20), maxDepth + 1},
		{"8M objects", strings.Repeat(`{"a":`, 1<<20), 5*maxDepth + 1},
		{"just too deep", `{"x": ` + nest("[", "]", maxDepth) + `}`, 7 + maxDepth - 1},
		{"brackets in strings do not nest", `{"name": "acme/app", "version": "1.0.0", "` + strings.Repeat("{", 2*maxDepth) + `": "` + strings.Repeat("[", 2*maxDepth) + `"}`, 0},
		{"deepest allowed", `{"name": "acme/app", "version": "1.0.0", "x": ` + nest("[", "]", maxDepth-1) + `}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.in))
			if tt.wantCol == 0 {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) || len(SyntaxErrors(err)) != 1 {
				t.Fatalf("Parse: %v; want one SyntaxError", err)
			}
			if se.Line != 1 || se.Column != tt.wantCol || !strings.Contains(se.Msg, "nest more than 256 levels") {
				t.Errorf("error at %d:%d %q; want 1:%d about nesting", se.Line, se.Column, se.Msg, tt.wantCol)
			}
		})
	}
}
