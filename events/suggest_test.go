package events

import (
	"strings"
	"testing"

	"github.com/socotra-go/sdk/internal/editdist"
)

func TestSuggest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Name // "" when nothing is close
	}{
		{"policy.quote.acept", PolicyQuoteAccept},   // deletion
		{"policy.quote.acceptt", PolicyQuoteAccept}, // insertion
		{"Policy.Create", PolicyCreate},             // case only
		{"POLICY.QUOTE.ACCEPT", PolicyQuoteAccept},  // case only
		{"plicy.create", PolicyCreate},              // deletion
		{"poilcy.create", PolicyCreate},             // transposition
		{"policy.cancellation.craete", PolicyCancellationCreate},
		{"billing.invoice.generated", BillingInvoiceGenerate},
		{"claim.creat", ClaimCreate},
		{"contact.create", ContactCreated},
		{"quote.accept", PolicyQuoteAccept}, // missing leading segment
		{"policy.create", PolicyCreate},     // known names suggest themselves
		{"policy", ""},
		{"xyz", ""},
		{"a.b", ""},
		{"create.policy", ""},
		{"", ""},
		{strings.Repeat("policy.", 40), ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := Suggest(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Suggest(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.want != "")
			}
		})
	}
}

// TestSuggestOneEdit drops characters of every known name in turn: the
// suggestion must be a name one edit away (the original, or an equally near
// one earlier in sort order).
func TestSuggestOneEdit(t *testing.T) {
	t.Parallel()
	for _, n := range All() {
		for _, i := range []int{0, len(n) / 3, len(n) / 2, len(n) - 1} {
			typo := string(n[:i]) + string(n[i+1:])
			got, ok := Suggest(typo)
			if !ok || editdist.Distance(typo, string(got), true, 9) > 1 {
				t.Errorf("Suggest(%q) = %q, %v; want %q or a name as near", typo, got, ok, n)
			}
			if ok && got != n && got > n {
				t.Errorf("Suggest(%q) = %q; the tie should go to %q", typo, got, n)
			}
		}
	}
}

func BenchmarkSuggest(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Suggest("policy.cancellation.craete")
	}
}
