// Package editdist counts the edits between two strings, for the "did you mean" hints of package events
// (misspelt event names) and package manifest (misspelt keys).
package editdist

// Distance returns the optimal-string-alignment distance between a and b, in bytes: insertions,
// deletions, substitutions and swaps of two adjacent bytes, each costing one. With fold, ASCII letters
// match regardless of case. It stops early and returns bound+1 once the distance is sure to exceed bound,
// so a small bound makes far-apart strings cheap to reject.
func Distance(a, b string, fold bool, bound int) int {
	eq := func(x, y byte) bool { return x == y || fold && lower(x) == lower(y) }
	w := len(b) + 1
	var stack [3 * 130]int // enough for b of up to 129 bytes, such as every event name
	rows := stack[:]
	if 3*w > len(rows) {
		rows = make([]int, 3*w)
	}
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
		// Distances along any alignment never decrease by more than one per row pair (swaps look back two
		// rows), so two rows above bound mean the result exceeds it.
		if rowMin > bound && prevMin > bound {
			return bound + 1
		}
		prevMin = rowMin
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], bound+1)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
