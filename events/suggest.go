package events

import (
	"strings"

	"github.com/socotra-go/sdk/internal/editdist"
)

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
	for _, n := range candidates {
		score := limit + 1
		if abs(len(n)-len(s)) <= limit {
			score = editdist.Distance(s, string(n), true, limit)
		}
		if score > limit && strings.Contains(s, ".") && hasSuffixFold(string(n), "."+s) {
			score = limit
		}
		if score > limit || score > bestScore {
			continue
		}
		caseDist := editdist.Distance(s, string(n), false, MaxNameLen*2)
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
	for _, n := range pool {
		d := editdist.Distance(s, string(n), true, 4*MaxNameLen)
		if bestScore < 0 || d < bestScore {
			best, bestScore = n, d
		}
	}
	return best, best != ""
}
