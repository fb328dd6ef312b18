package events

// Match reports whether n matches pattern. A '*' in pattern matches any run
// of characters, dots included, and every other character matches itself:
// "policy.*" matches "policy.quote.accept", "*.create" matches
// "policy.account.create" and "*" matches every name. Match does not
// allocate.
func Match(pattern string, n Name) bool {
	s := string(n)
	// Iterative wildcard matching with single-star backtracking: on a
	// mismatch, retry from the most recent '*' with one more character
	// consumed. Runs in O(len(pattern)*len(s)) worst case, linear in practice.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
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
