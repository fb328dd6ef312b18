package socotra

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/socotra-go/sdk/events"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	base := Webhook{
		Name: "orders", Enabled: true, Events: []events.Name{"policy.change.create", "policy.change.issue"},
		Endpoint: Endpoint{URL: "https://a.example/h", Headers: map[string][]string{"X-Keep": {"1"}, "X-Change": {"old"}, "X-Drop": {"z"}}, HMAC: true, Tag: "v1"},
		Failure:  &FailureHandling{Triggers: []string{"5xx", "timeout"}, Divert: true},
	}
	with := func(f func(w *Webhook)) Webhook {
		w := base
		w.Events = append([]events.Name(nil), base.Events...)
		w.Endpoint.Headers = map[string][]string{}
		for k, v := range base.Endpoint.Headers {
			w.Endpoint.Headers[k] = v
		}
		fh := *base.Failure
		w.Failure = &fh
		f(&w)
		return w
	}
	tests := []struct {
		name    string
		current Webhook
		desired Webhook
		want    WebhookUpdate
	}{
		{"identical", base, with(func(*Webhook) {}), WebhookUpdate{}},
		{"event types added and removed", base, with(func(w *Webhook) {
			w.Events = []events.Name{"policy.change.issue", "policy.renewal.issue", "policy.renewal.issue"}
		}), WebhookUpdate{AddEvents: []events.Name{"policy.renewal.issue"}, RemoveEvents: []events.Name{"policy.change.create"}}},
		{"header values changed: in both lists", base, with(func(w *Webhook) {
			w.Endpoint.Headers["X-Change"] = []string{"new"}
			delete(w.Endpoint.Headers, "X-Drop")
			w.Endpoint.Headers["X-New"] = []string{"n"}
		}), WebhookUpdate{Endpoint: &EndpointUpdate{
			AddHeaders:    map[string][]string{"X-Change": {"new"}, "X-New": {"n"}},
			RemoveHeaders: []string{"X-Change", "X-Drop"},
		}}},
		{"scalars", base, with(func(w *Webhook) {
			w.Name, w.Enabled, w.Endpoint.URL, w.Endpoint.Tag, w.Endpoint.Secret = "o2", false, "https://b.example/h", "v2", "new-secret"
			w.Endpoint.InsecureSkipVerify = true
		}), WebhookUpdate{Name: ptr("o2"), Enabled: ptr(false), Endpoint: &EndpointUpdate{
			URL: ptr("https://b.example/h"), Tag: ptr("v2"), Secret: ptr(Secret("new-secret")), InsecureSkipVerify: ptr(true)}}},
		{"empty desired secret keeps the current one", with(func(w *Webhook) { w.Endpoint.Secret = "old" }), base, WebhookUpdate{}},
		{"header names compare case-insensitively", base, with(func(w *Webhook) {
			w.Endpoint.Headers = map[string][]string{"x-keep": {"1"}, "X-CHANGE": {"old"}, "x-drop": {"z"}}
		}), WebhookUpdate{}},
		{"hmac off", base, with(func(w *Webhook) { w.Endpoint.HMAC = false }),
			WebhookUpdate{Endpoint: &EndpointUpdate{HMAC: ptr(false)}}},
		{"triggers and retry", base, with(func(w *Webhook) {
			w.Failure.Triggers = []string{"5xx", "4xx"}
			w.Failure.Retry = &RetryStrategy{Type: RetryExponential, Interval: 5, Attempts: 4}
			w.Failure.Divert, w.Failure.Suspend = false, true
		}), WebhookUpdate{Failure: &FailureUpdate{AddTriggers: []string{"4xx"}, RemoveTriggers: []string{"timeout"},
			Retry: &RetryStrategy{Type: RetryExponential, Interval: 5, Attempts: 4}, Divert: ptr(false), Suspend: ptr(true)}}},
		{"retry and alert removed", with(func(w *Webhook) {
			w.Failure.Retry = &RetryStrategy{Attempts: 2}
			w.Failure.AlertEndpoint = &Endpoint{URL: "https://alert.example"}
		}), base, WebhookUpdate{Failure: &FailureUpdate{RemoveRetry: true, RemoveAlertEndpoint: true}}},
		{"alert added", base, with(func(w *Webhook) { w.Failure.AlertEndpoint = &Endpoint{URL: "https://alert.example"} }),
			WebhookUpdate{Failure: &FailureUpdate{AlertEndpoint: &EndpointUpdate{URL: ptr("https://alert.example")}}}},
		{"nil desired failure resets custom handling", base, with(func(w *Webhook) { w.Failure = nil }),
			WebhookUpdate{RemoveFailureHandling: true}},
		{"nil desired failure and platform default: nothing", with(func(w *Webhook) { f := DefaultFailureHandling(); w.Failure = &f }),
			with(func(w *Webhook) { w.Failure = nil }), WebhookUpdate{}},
		{"nil current failure is the default", with(func(w *Webhook) { w.Failure = nil }),
			with(func(w *Webhook) {
				w.Failure = &FailureHandling{Triggers: []string{"4xx", "5xx", "timeout"}, Suspend: true}
			}),
			WebhookUpdate{Failure: &FailureUpdate{Suspend: ptr(true)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Diff(tt.current, tt.desired)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Diff (-want +got):\n%s", d)
			}
			if got.IsZero() != cmp.Equal(tt.want, WebhookUpdate{}) {
				t.Errorf("IsZero = %v", got.IsZero())
			}
		})
	}
}

// applyUpdate applies u to w the way the platform documents: removals
// first, then additions.
func applyUpdate(w Webhook, u WebhookUpdate) Webhook {
	w.Events = applySet(w.Events, u.RemoveEvents, u.AddEvents)
	if u.Name != nil {
		w.Name = *u.Name
	}
	if u.Enabled != nil {
		w.Enabled = *u.Enabled
	}
	if e := u.Endpoint; e != nil {
		h := map[string][]string{}
		for k, v := range w.Endpoint.Headers {
			h[k] = v
		}
		for _, k := range e.RemoveHeaders {
			delete(h, k)
		}
		for k, v := range e.AddHeaders {
			h[k] = v
		}
		w.Endpoint.Headers = h
		if e.URL != nil {
			w.Endpoint.URL = *e.URL
		}
	}
	return w
}

func applySet(cur, remove, add []events.Name) []events.Name {
	var out []events.Name
	for _, c := range cur {
		if !containsName(remove, c) {
			out = append(out, c)
		}
	}
	for _, a := range add {
		if !containsName(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func containsName(s []events.Name, n events.Name) bool {
	for _, x := range s {
		if x == n {
			return true
		}
	}
	return false
}

// TestDiffAppliedReachesDesired checks Diff against the platform's
// removals-first rule: applying the update gives the desired webhook.
func TestDiffAppliedReachesDesired(t *testing.T) {
	t.Parallel()
	cur := Webhook{Name: "a", Events: []events.Name{"x.a", "x.b"},
		Endpoint: Endpoint{URL: "https://a", Headers: map[string][]string{"H1": {"1"}, "H2": {"2"}}}}
	want := Webhook{Name: "b", Events: []events.Name{"x.b", "x.c"},
		Endpoint: Endpoint{URL: "https://b", Headers: map[string][]string{"H2": {"22", "23"}, "H3": {"3"}}}}
	got := applyUpdate(cur, Diff(cur, want))
	if d := cmp.Diff(want, got, cmp.Transformer("sort", func(s []events.Name) map[events.Name]bool {
		m := map[events.Name]bool{}
		for _, n := range s {
			m[n] = true
		}
		return m
	})); d != "" {
		t.Errorf("applied (-want +got):\n%s", d)
	}
}
