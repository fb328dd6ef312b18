package events

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		name    Name
		want    bool
	}{
		{"policy.*", "policy.quote.accept", true},
		{"policy.*", "policy.create", true},
		{"policy.*", "policy", false},
		{"policy.*", "policyX.create", false},
		{"*.create", "policy.account.create", true},
		{"*.create", "policy.create", true},
		{"*.create", "policy.created", false},
		{"*.create", "create", false},
		{"*", "policy.quote.accept", true},
		{"*", "", true},
		{"", "", true},
		{"", "policy.create", false},
		{"policy.create", "policy.create", true},
		{"policy.create", "Policy.create", false},
		{"policy.create", "policy.create.x", false},
		{"policy.*.issue", "policy.quote.issue", true},
		{"policy.*.issue", "policy.a.b.issue", true},
		{"policy.*.issue", "policy.issue", false},
		{"*quote*", "policy.quote.accept", true},
		{"*quote*", "policy.quota.accept", false},
		{"**", "x", true},
		{"a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaab", true},
		{"a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"pol*cy.c*e", "policy.create", true},
		{"policy.?", "policy.x", false}, // '?' is literal
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+string(tt.name), func(t *testing.T) {
			t.Parallel()
			if got := Match(tt.pattern, tt.name); got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
			}
		})
	}
}

func TestMatching(t *testing.T) {
	t.Parallel()
	got := Matching("policy.quote.a*")
	want := []Name{PolicyQuoteAccept, PolicyQuoteAnonymize}
	if !slices.Equal(got, want) {
		t.Errorf("Matching(policy.quote.a*) = %v, want %v", got, want)
	}
	if got := Matching("*"); len(got) != len(All()) {
		t.Errorf("Matching(*) has %d names, want all %d", len(got), len(All()))
	}
	if got := Matching("polcy.*"); got != nil {
		t.Errorf("Matching(polcy.*) = %v, want nil", got)
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	var hits int
	allocs := testing.AllocsPerRun(100, func() {
		if Match("*.quote.*", PolicyQuoteAccept) && !Match("a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaa") {
			hits++
		}
	})
	if hits == 0 {
		t.Fatal("Match gave wrong answers")
	}
	if allocs != 0 {
		t.Errorf("Match allocates %v times per call, want 0", allocs)
	}
}

// regexpMatch is the definition of Match, spelled as a regular expression.
func regexpMatch(pattern string, n Name) bool {
	parts := strings.Split(pattern, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`^(?s:` + strings.Join(parts, ".*") + `)$`).MatchString(string(n))
}

func FuzzMatch(f *testing.F) {
	f.Add("policy.*", "policy.quote.accept")
	f.Add("*.create", "policy.account.create")
	f.Add("a*b*c", "aXbYbZc")
	f.Add("**a", "a")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		// regexp needs UTF-8; on valid UTF-8, matching bytes and matching
		// runes agree.
		if len(pattern) > 64 || len(name) > 256 || !utf8.ValidString(pattern) || !utf8.ValidString(name) {
			return
		}
		if got, want := Match(pattern, Name(name)), regexpMatch(pattern, Name(name)); got != want {
			t.Fatalf("Match(%q, %q) = %v, want %v", pattern, name, got, want)
		}
	})
}

// BenchmarkMatch compares Match with a floor: comparing two strings for
// equality, the least a router has to do per name.
func BenchmarkMatch(b *testing.B) {
	n := PolicyReinstatementManualUnderwrite
	cases := []struct{ name, pattern string }{
		{"floor-equal", string(n)},
		{"literal", string(n)},
		{"prefix", "policy.*"},
		{"suffix", "*.manualUnderwrite"},
		{"middle", "policy.*.manualUnderwrite"},
		{"all", "*"},
		{"miss", "billing.*"},
		{"backtrack", "*e*e*e*x"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var hits int
			if c.name == "floor-equal" {
				for b.Loop() {
					if c.pattern == string(n) {
						hits++
					}
				}
				return
			}
			for b.Loop() {
				if Match(c.pattern, n) {
					hits++
				}
			}
		})
	}
}
