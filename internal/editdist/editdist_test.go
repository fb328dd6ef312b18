package editdist

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b  string
		fold  bool
		bound int
		want  int
	}{
		{"", "", false, 9, 0},
		{"abc", "", false, 9, 3},
		{"", "abc", false, 9, 3},
		{"kitten", "sitting", false, 9, 3},
		{"kitten", "sitting", false, 2, 3}, // bound+1
		{"kitten", "sitting", false, 1, 2},
		{"policy.create", "billing.invoice.generate", false, 3, 4},
		{"ab", "ba", false, 9, 1},
		{"Policy", "policy", false, 9, 1},
		{"Policy", "policy", true, 9, 0},
		{"ca", "abc", false, 9, 3},
		{"abcdef", "abdcef", false, 9, 1},                                       // a swap is one edit
		{strings.Repeat("a", 200), strings.Repeat("a", 199) + "b", false, 9, 1}, // longer than the stack rows
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b, tt.fold, tt.bound); got != tt.want {
			t.Errorf("Distance(%q, %q, fold=%v) = %d, want %d", tt.a, tt.b, tt.fold, got, tt.want)
		}
	}
}
