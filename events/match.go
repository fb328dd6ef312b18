package events

import "strings"

// Match reports whether n matches pattern. A '*' in pattern matches any run
// of characters, dots included, and every other character matches itself:
// "policy.*" matches "policy.quote.accept", "*.create" matches
// "policy.account.create" and "*" matches every name. Match does not
// allocate and runs in time linear in len(pattern)+len(n) for the common
// shapes (literal, prefix, suffix). See [ValidPattern] to check a pattern.
func Match(pattern string, n Name) bool {
	if pattern == "*" { // the catch-all route
		return true
	}
	s := string(n)
	first := strings.IndexByte(pattern, '*')
	if first < 0 {
		return pattern == s
	}
	last := strings.LastIndexByte(pattern, '*')
	prefix, suffix := pattern[:first], pattern[last+1:]
	if len(s) < len(prefix)+len(suffix) || !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) {
		return false
	}
	// The literal chunks between the first and the last star must appear in
	// order in what is left; taking each at its leftmost place leaves the
	// most room for the rest, so no backtracking is needed.
	s = s[len(prefix) : len(s)-len(suffix)]
	middle := pattern[first+1 : last+1] // ends with '*' when first < last
	for middle != "" {
		i := strings.IndexByte(middle, '*')
		chunk := middle[:i]
		middle = middle[i+1:]
		if chunk == "" {
			continue
		}
		j := strings.Index(s, chunk)
		if j < 0 {
			return false
		}
		s = s[j+len(chunk):]
	}
	return true
}

// Matching returns the known names that pattern matches, sorted. A
// well-formed pattern that matches none is probably a typo worth reporting.
func Matching(pattern string) []Name {
	var out []Name
	for _, n := range allNames {
		if Match(pattern, n) {
			out = append(out, n)
		}
	}
	return out
}

// MatchingOn returns the known names that pattern matches and some platform
// in p sends, sorted: MatchingOn("claim.*", Core) lists the Core claim
// events (claim.fnol.*, …) and none of Legacy's claim.create.
func MatchingOn(pattern string, p Platform) []Name {
	var out []Name
	for _, n := range names(p) {
		if Match(pattern, n) {
			out = append(out, n)
		}
	}
	return out
}
