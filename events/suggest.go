package events

import "strings"

// Suggest returns the known name nearest to s, for "did you mean" messages,
// and false when no known name is reasonably close. Nearness is the edit
// distance ignoring case (a transposition counts as one edit), so
// "Policy.Create", "plicy.create" and "policy.quote.acept" all find their
// name; a name that s is the tail of also counts as near, so "quote.accept"
// finds "policy.quote.accept". Ties go to the name closer in case, then to
// the first in sort order.
//
// Suggest looks among the names of both platforms; a message about one
// platform should use [SuggestOn], so that it never proposes a name that
// platform does not send.
func Suggest(s string) (Name, bool) { return suggest(s, allNames[:]) }

// SuggestOn is [Suggest] restricted to the names some platform in p sends:
// SuggestOn("policy.isue", Core) finds nothing rather than the Legacy-only
// "policy.issue", and SuggestOn("claim.create", Core) finds nothing near.
// For the empty set it returns false.
func SuggestOn(s string, p Platform) (Name, bool) { return suggest(s, names(p)) }

func suggest(s string, candidates []Name) (Name, bool) {
	if s == "" || len(s) > 2*MaxNameLen {
		return "", false
	}
	limit := min(max(1, len(s)/5), 3)
	var best Name
	bestScore, bestCase := limit+1, 0
	rows := make([]int, 3*(MaxNameLen+1))
	for _, n := range candidates {
		score := limit + 1
		if abs(len(n)-len(s)) <= limit {
			score = distance(s, string(n), true, limit, rows)
		}
		if score > limit && strings.Contains(s, ".") && hasSuffixFold(string(n), "."+s) {
			score = limit
		}
		if score > limit || score > bestScore {
			continue
		}
		caseDist := distance(s, string(n), false, MaxNameLen*2, rows)
		if score < bestScore || caseDist < bestCase {
			best, bestScore, bestCase = n, score, caseDist
		}
	}
	return best, best != ""
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// distance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent characters,
// each costing one. It stops early and returns bound+1 once the distance
// is sure to exceed bound. rows is scratch space of at least 3*(len(b)+1)
// ints.
func distance(a, b string, fold bool, bound int, rows []int) int {
	eq := func(x, y byte) bool { return x == y || fold && lower(x) == lower(y) }
	w := len(b) + 1
	prev2, prev, cur := rows[:w], rows[w:2*w], rows[2*w:3*w]
	for j := range prev {
		prev[j] = j
	}
	prevMin := 0
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if eq(a[i-1], b[j-1]) {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && eq(a[i-1], b[j-2]) && eq(a[i-2], b[j-1]) {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		// Distances along any alignment never decrease by more than one
		// per row pair (swaps look back two rows), so two rows above bound
		// mean the result exceeds it.
		if rowMin > bound && prevMin > bound {
			return bound + 1
		}
		prevMin = rowMin
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], bound+1)
}

// NearestOn returns the name some platform in p sends that is nearest to s,
// however far: the [SuggestOn] answer when there is one, otherwise the name
// of the same category (the first dotted part) with the fewest edits, or of
// any category when p has none in s's. It names the closest thing a
// platform offers when s is a name only the other platform sends:
// NearestOn("claim.create", Core) is "claim.fnol.create". It returns false
// only for an empty s or an empty p.
func NearestOn(s string, p Platform) (Name, bool) {
	if n, ok := SuggestOn(s, p); ok {
		return n, true
	}
	if s == "" || len(s) > 2*MaxNameLen {
		return "", false
	}
	cat := Name(s).Category()
	pool := names(p)
	var same []Name
	for _, n := range pool {
		if strings.EqualFold(n.Category(), cat) {
			same = append(same, n)
		}
	}
	if len(same) > 0 {
		pool = same
	}
	var best Name
	bestScore := -1
	rows := make([]int, 3*(2*MaxNameLen+1))
	for _, n := range pool {
		d := distance(s, string(n), true, 4*MaxNameLen, rows)
		if bestScore < 0 || d < bestScore {
			best, bestScore = n, d
		}
	}
	return best, best != ""
}
