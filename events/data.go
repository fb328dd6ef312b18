package events

// NewData returns a pointer to a new zero value of the type of n's Core
// data, ready for json.Unmarshal: a *[PolicyTransactionData] for
// [PolicyChangeIssue], a *[QuoteData] for [PolicyQuoteAccept]. It returns
// false for names without a typed data struct: Legacy-only and unknown
// names.
func NewData(n Name) (any, bool) {
	v := newData(n)
	return v, v != nil
}
