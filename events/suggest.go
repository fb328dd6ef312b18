package events

// Suggest returns the known name nearest to s, for "did you mean" messages.
// It returns false when no known name is reasonably close.
func Suggest(s string) (Name, bool) {
	return "", false
}
