package socotratest

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/socotra-go/sdk/events"
)

// event is one emitted event, kept in the stream.
type event struct {
	platform events.Platform
	id       string // Core: event locator (ULID); Legacy: id
	typ      events.Name
	time     time.Time
	request  string // Core: requestId; Legacy: transactionId
	user     string // Core: userLocator; Legacy: username
	data     json.RawMessage
	seq      uint64
}

// diverted is a failed delivery kept for the diverted-events API.
type diverted struct {
	ev      *event
	trigger string
	message string
	at      time.Time
}

// policy is a webhook's failure handling, reduced to what the delivery engine needs.
type policy struct {
	triggers []string // "4xx", "503", "timeout"; empty means every non-2xx status and timeout
	retries  int
	backoff  string // "linear" or "exponential"
	interval int64  // in retry units
	divert   bool
	suspend  bool
}

// failure reports whether an attempt's outcome counts as failure and which trigger matched.
func (p *policy) failure(status int, timedOut bool) (trigger string, failed bool) {
	if len(p.triggers) == 0 {
		switch {
		case timedOut:
			return "timeout", true
		case status < 200 || status > 299:
			return strconv.Itoa(status), true
		}
		return "", false
	}
	for _, t := range p.triggers {
		switch {
		case t == "timeout":
			if timedOut {
				return t, true
			}
		case timedOut:
		case len(t) == 3 && t[1:] == "xx":
			if strconv.Itoa(status)[0] == t[0] {
				return t, true
			}
		case t == strconv.Itoa(status):
			return t, true
		}
	}
	return "", false
}

// wait returns how long to wait before retry n (1-based).
func (p *policy) wait(n int, unit time.Duration) time.Duration {
	base := time.Duration(p.interval) * unit
	if p.backoff == "exponential" {
		return base << min(n-1, 30)
	}
	return base * time.Duration(n)
}

// target is everything one delivery attempt needs, read from the webhook at the time of the attempt.
type target struct {
	url       string
	headers   http.Header
	hmac      bool
	secret    string
	secureSSL bool
	policy    policy
	alert     *target // where failure alerts go; nil for none
}

var triggerPattern = regexp.MustCompile(`^(timeout|[1-5]xx|[1-5][0-9][0-9])$`)

// statusCode matches one HTTP status code.
var statusCode = regexp.MustCompile(`^[1-5][0-9][0-9]$`)

// checkURL reports what is wrong with a delivery URL, or "".
func checkURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "is required"
	case err != nil:
		return "is not a valid URL: " + err.Error()
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return "must be an absolute http or https URL"
	}
	return ""
}

// checkEventTypes adds a field error for every malformed event type name, and for every name
// platform p does not take: see platformEventError.
func checkEventTypes(fe *fieldErrors, field string, names []string, p events.Platform) {
	for i, n := range names {
		if _, err := events.Parse(n); err != nil {
			fe.add(field+"["+strconv.Itoa(i)+"]", err.Error())
		} else if msg := platformEventError(p, events.Name(n)); msg != "" {
			fe.add(field+"["+strconv.Itoa(i)+"]", msg)
		}
	}
}

// subscribed reports whether a webhook's event types include typ.
func subscribed(types []string, typ events.Name) bool { return slices.Contains(types, string(typ)) }

func cloneHeaders(h map[string][]string) map[string][]string {
	if h == nil {
		return nil
	}
	out := make(map[string][]string, len(h))
	for k, v := range h {
		out[k] = slices.Clone(v)
	}
	return out
}

func toHeader(h map[string][]string) http.Header {
	out := http.Header{}
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			out.Add(k, v)
		}
	}
	return out
}

// addRemove applies removals, then additions, keeping the order of first appearance without duplicates.
func addRemove(list, remove, add []string) []string {
	out := make([]string, 0, len(list)+len(add))
	for _, x := range list {
		if !slices.Contains(remove, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	for _, x := range add {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

// window returns the page of list that starts at offset and holds at most count items.
func window[T any](list []T, offset, count int) []T {
	return list[min(offset, len(list)):min(offset+count, len(list))]
}
