package socotra

import (
	"maps"
	"net/http"
	"reflect"
	"slices"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/internal/coreapi"
)

// WebhookUpdate is the Core add/remove update of a webhook. Nil and empty
// members change nothing. The platform applies removals before additions, so
// an item in both an add and a remove list ends up present (this is how
// [Diff] replaces a header's values).
type WebhookUpdate struct {
	Name                  *string
	Enabled               *bool
	AddEvents             []events.Name
	RemoveEvents          []events.Name
	Endpoint              *EndpointUpdate
	Failure               *FailureUpdate
	RemoveFailureHandling bool // go back to the platform default
}

// EndpointUpdate changes an endpoint; nil members are left as they are.
type EndpointUpdate struct {
	URL                *string
	AddHeaders         Headers
	RemoveHeaders      []string
	InsecureSkipVerify *bool
	HMAC               *bool
	Secret             *Secret
	Tag                *string
}

// FailureUpdate changes failure handling; nil members are left as they are.
type FailureUpdate struct {
	AddTriggers         []string
	RemoveTriggers      []string
	Retry               *RetryStrategy // replaces the retry strategy
	RemoveRetry         bool
	AlertEndpoint       *EndpointUpdate
	RemoveAlertEndpoint bool
	Divert              *bool
	Suspend             *bool
}

// IsZero reports whether u changes nothing.
func (u WebhookUpdate) IsZero() bool { return reflect.ValueOf(u).IsZero() }

// Diff returns the update that turns current into desired: event types,
// header names and failure triggers are added and removed as sets; a header
// whose values changed is both removed and added; scalar members are set when
// they differ. A desired Secret of "" keeps the current secret (the platform
// may not return it); a nil desired Failure means the platform default.
//
// What a desired value leaves unset matches what the platform stores for
// unset, so reconciling a webhook with the settings it was created with sends
// nothing: no Triggers in a desired Failure means the default triggers (4xx,
// 5xx, timeout: seed 001), a desired Retry with Attempts 0 matches 3 (seed
// 001's default), and a desired Retry's zero Type or Interval matches
// whatever is stored (the platform's defaults for them are not published).
func Diff(current, desired Webhook) WebhookUpdate {
	var u WebhookUpdate
	if current.Name != desired.Name {
		u.Name = ptr(desired.Name)
	}
	if current.Enabled != desired.Enabled {
		u.Enabled = ptr(desired.Enabled)
	}
	u.AddEvents, u.RemoveEvents = setDiff(current.Events, desired.Events)
	u.Endpoint = diffEndpoint(current.Endpoint, desired.Endpoint)

	def := DefaultFailureHandling()
	cur, want := current.Failure, desired.Failure
	if cur == nil {
		cur = &def
	}
	if want == nil {
		if !equalFailure(*cur, def) {
			u.RemoveFailureHandling = true
		}
		return u
	}
	f := diffFailure(*cur, *want)
	if !reflect.ValueOf(f).IsZero() {
		u.Failure = &f
	}
	return u
}

func diffEndpoint(cur, want Endpoint) *EndpointUpdate {
	var e EndpointUpdate
	if cur.URL != want.URL {
		e.URL = ptr(want.URL)
	}
	// Header names compare case-insensitively, as HTTP does; a name is sent
	// back as the platform or the caller spelled it.
	curNames := map[string]string{} // canonical -> current spelling
	for name := range cur.Headers {
		curNames[http.CanonicalHeaderKey(name)] = name
	}
	wantNames := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(want.Headers)) {
		vals := want.Headers[name]
		wantNames[http.CanonicalHeaderKey(name)] = true
		old, ok := curNames[http.CanonicalHeaderKey(name)]
		if ok && slices.Equal(cur.Headers[old], vals) {
			continue
		}
		if e.AddHeaders == nil {
			e.AddHeaders = Headers{}
		}
		e.AddHeaders[name] = vals
		if ok { // replace: removals apply first, so the new values win
			e.RemoveHeaders = append(e.RemoveHeaders, old)
		}
	}
	for canon, name := range curNames {
		if !wantNames[canon] {
			e.RemoveHeaders = append(e.RemoveHeaders, name)
		}
	}
	slices.Sort(e.RemoveHeaders)
	if cur.InsecureSkipVerify != want.InsecureSkipVerify {
		e.InsecureSkipVerify = ptr(want.InsecureSkipVerify)
	}
	if cur.HMAC != want.HMAC {
		e.HMAC = ptr(want.HMAC)
	}
	if want.Secret != "" && want.Secret != cur.Secret {
		e.Secret = ptr(want.Secret)
	}
	if cur.Tag != want.Tag {
		e.Tag = ptr(want.Tag)
	}
	if reflect.ValueOf(e).IsZero() {
		return nil
	}
	return &e
}

func diffFailure(cur, want FailureHandling) FailureUpdate {
	var f FailureUpdate
	if len(want.Triggers) == 0 {
		want.Triggers = DefaultFailureHandling().Triggers
	}
	f.AddTriggers, f.RemoveTriggers = setDiff(cur.Triggers, want.Triggers)
	switch {
	case want.Retry == nil && cur.Retry != nil:
		f.RemoveRetry = true
	case want.Retry != nil && (cur.Retry == nil || !sameRetry(*cur.Retry, *want.Retry)):
		f.Retry = ptr(*want.Retry)
	}
	switch {
	case want.AlertEndpoint == nil && cur.AlertEndpoint != nil:
		f.RemoveAlertEndpoint = true
	case want.AlertEndpoint != nil:
		var c Endpoint
		if cur.AlertEndpoint != nil {
			c = *cur.AlertEndpoint
		}
		f.AlertEndpoint = diffEndpoint(c, *want.AlertEndpoint)
	}
	if cur.Divert != want.Divert {
		f.Divert = ptr(want.Divert)
	}
	if cur.Suspend != want.Suspend {
		f.Suspend = ptr(want.Suspend)
	}
	return f
}

// sameRetry reports whether the stored retry strategy cur already is want,
// reading want's unset members as the platform's defaults (see [Diff]).
func sameRetry(cur, want RetryStrategy) bool {
	if want.Attempts == 0 {
		want.Attempts = defaultRetryAttempts
	}
	if cur.Attempts == 0 {
		cur.Attempts = defaultRetryAttempts
	}
	return cur.Attempts == want.Attempts &&
		(want.Type == "" || cur.Type == want.Type) &&
		(want.Interval == 0 || cur.Interval == want.Interval)
}

// defaultRetryAttempts is what Core stores for a retry strategy without
// attempts (seed 001: attempts 1..10, default 3).
const defaultRetryAttempts = 3

func equalFailure(a, b FailureHandling) bool {
	add, rm := setDiff(a.Triggers, b.Triggers)
	return len(add) == 0 && len(rm) == 0 && reflect.DeepEqual(a.Retry, b.Retry) &&
		reflect.DeepEqual(a.AlertEndpoint, b.AlertEndpoint) && a.Divert == b.Divert && a.Suspend == b.Suspend
}

// setDiff returns the members of want missing from cur (add) and the members
// of cur missing from want (remove), each sorted and without duplicates.
func setDiff[T ~string](cur, want []T) (add, remove []T) {
	for _, w := range want {
		if !slices.Contains(cur, w) && !slices.Contains(add, w) {
			add = append(add, w)
		}
	}
	for _, c := range cur {
		if !slices.Contains(want, c) && !slices.Contains(remove, c) {
			remove = append(remove, c)
		}
	}
	slices.Sort(add)
	slices.Sort(remove)
	return add, remove
}

// request is u as the PATCH body sent to a webhook that is cur. Seed 001
// (UpdateWebhookRequest, UpdateEndpointRequest) marks name, enabled,
// endpoint with its url, addHeaders and removeHeaders, failureHandling,
// removeFailureHandling, addEventTypes and removeEventTypes required, so each
// is always sent: cur's name, enabled and URL unless u changes them, and empty
// lists, false and a failureHandling with empty trigger lists when u changes
// nothing there. Seed 001 gives FailureHandlingUpdateRequest no required list,
// so its other members are sent only when they change.
func (u WebhookUpdate) request(cur Webhook) coreapi.UpdateWebhookRequest {
	r := coreapi.UpdateWebhookRequest{
		Name:                  or(u.Name, cur.Name),
		Enabled:               or(u.Enabled, cur.Enabled),
		AddEventTypes:         nonNil(names(u.AddEvents)),
		RemoveEventTypes:      nonNil(names(u.RemoveEvents)),
		Endpoint:              u.Endpoint.request(cur.Endpoint.URL),
		RemoveFailureHandling: u.RemoveFailureHandling,
	}
	f := u.Failure
	if f == nil {
		f = &FailureUpdate{}
	}
	r.FailureHandling = coreapi.FailureHandlingUpdateRequest{
		AddTriggers:    ptr(nonNil(f.AddTriggers)),
		RemoveTriggers: ptr(nonNil(f.RemoveTriggers)),
		Divert:         f.Divert,
		Suspend:        f.Suspend,
	}
	if f.AlertEndpoint != nil {
		var curAlert string
		if cur.Failure != nil && cur.Failure.AlertEndpoint != nil {
			curAlert = cur.Failure.AlertEndpoint.URL
		}
		r.FailureHandling.AlertEndpoint = ptr(f.AlertEndpoint.request(curAlert))
	}
	if f.RemoveRetry {
		r.FailureHandling.RemoveRetryStrategy = ptr(true)
	}
	if f.RemoveAlertEndpoint {
		r.FailureHandling.RemoveAlertEndpoint = ptr(true)
	}
	if s := f.Retry; s != nil {
		r.FailureHandling.RetryStrategy = &coreapi.RetryStrategyUpdateRequest{
			Type: ptrIf(coreapi.RetryType(s.Type)), Interval: ptrIf(s.Interval), Attempts: ptrIf(int32(s.Attempts)),
		}
	}
	return r
}

// request is e as an endpoint update of an endpoint whose URL is curURL: the
// required url (curURL unless e changes it), addHeaders ({} when none) and
// removeHeaders ([] when none), plus the optional members e changes. A nil e
// changes nothing.
func (e *EndpointUpdate) request(curURL string) coreapi.UpdateEndpointRequest {
	if e == nil {
		e = &EndpointUpdate{}
	}
	r := coreapi.UpdateEndpointRequest{
		Url: or(e.URL, curURL), AddHeaders: coreapi.Headers(e.AddHeaders), RemoveHeaders: nonNil(e.RemoveHeaders),
		HmacEnabled: e.HMAC, Tag: e.Tag,
	}
	if r.AddHeaders == nil {
		r.AddHeaders = coreapi.Headers{}
	}
	if e.Secret != nil {
		r.Secret = ptr(e.Secret.Reveal())
	}
	if e.InsecureSkipVerify != nil {
		r.SecureSsl = ptr(!*e.InsecureSkipVerify)
	}
	return r
}

// or returns *p, or v when p is nil.
func or[T any](p *T, v T) T {
	if p == nil {
		return v
	}
	return *p
}

// nonNil returns s, or an empty slice (JSON []) when s is nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
