package events

// temporary table; replaced by generated code.
var platforms = map[Name]Platform{
	"policy.create":       Core | Legacy,
	"policy.quote.accept": Core,
	"claim.create":        Legacy,
}

// All returns every known name, sorted.
func All() []Name { return []Name{"claim.create", "policy.create", "policy.quote.accept"} }

// Known event names.
const (
	PolicyCreate      Name = "policy.create"
	PolicyQuoteAccept Name = "policy.quote.accept"
	ClaimCreate       Name = "claim.create"
)

// NewData returns a pointer to a new zero value of n's data type.
func NewData(n Name) (any, bool) { return nil, false }

// LocatorPage is one page of locators.
type LocatorPage struct {
	ListCompleted bool     `json:"listCompleted"`
	Items         []string `json:"items"`
}

// PolicyStatus is a policy status.
type PolicyStatus string

// PolicyStatusPage is one page of policy statuses.
type PolicyStatusPage struct {
	ListCompleted bool           `json:"listCompleted"`
	Items         []PolicyStatus `json:"items"`
}
