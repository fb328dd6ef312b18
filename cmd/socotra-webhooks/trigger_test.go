package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/webhooks"
)

// strictReceiver is a receiver built with webhooks.NewSecretReceiver whose handler decodes Core data
// strictly into the event's typed struct and records what it got.
type strictReceiver struct {
	mu      sync.Mutex
	got     map[events.Name][]*webhooks.Event
	errs    []error
	headers []http.Header // of every request, verified or not
	order   []string      // event ids in arrival order
}

// newHTTPServer starts h on loopback until the end of the test and returns its URL.
func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newStrictReceiver(t *testing.T, secret string) (*strictReceiver, *httptest.Server) {
	t.Helper()
	sr := &strictReceiver{got: map[events.Name][]*webhooks.Event{}}
	h := webhooks.NewHandler()
	h.On("*", func(_ context.Context, ev *webhooks.Event) error {
		err := strictDecode(ev)
		sr.mu.Lock()
		defer sr.mu.Unlock()
		sr.got[ev.Type] = append(sr.got[ev.Type], ev)
		sr.order = append(sr.order, ev.ID)
		if err != nil {
			sr.errs = append(sr.errs, err)
		}
		return err
	})
	recv, err := webhooks.NewSecretReceiver([]byte(secret), h)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sr.mu.Lock()
		sr.headers = append(sr.headers, r.Header.Clone())
		sr.mu.Unlock()
		recv.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return sr, srv
}

// strictDecode decodes a Core event's data into its typed struct refusing unknown members, and checks
// that the struct carries every member back (so no member is missing either) and no string is empty.
func strictDecode(ev *webhooks.Event) error {
	if ev.Platform != events.Core {
		var obj map[string]any
		if err := json.Unmarshal(ev.Data, &obj); err != nil || len(obj) == 0 {
			return fmt.Errorf("%s: Legacy data %s is not a non-empty object", ev.Type, ev.Data)
		}
		return nil
	}
	v, ok := events.NewData(ev.Type)
	if !ok {
		return fmt.Errorf("%s: no typed data", ev.Type)
	}
	dec := json.NewDecoder(bytes.NewReader(ev.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: strict decode of %s: %w", ev.Type, ev.Data, err)
	}
	back, _ := json.Marshal(v)
	var want, got any
	_ = json.Unmarshal(ev.Data, &want)
	_ = json.Unmarshal(back, &got)
	if d := cmp.Diff(want, got); d != "" {
		return fmt.Errorf("%s: data does not round-trip through %T:\n%s", ev.Type, v, d)
	}
	if s := emptyString(reflect.ValueOf(v).Elem(), ""); s != "" {
		return fmt.Errorf("%s: %s is empty in %s", ev.Type, s, ev.Data)
	}
	return nil
}

func emptyString(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if s := emptyString(v.Field(i), path+"."+v.Type().Field(i).Name); s != "" {
				return s
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			return path
		}
		for i := range v.Len() {
			if s := emptyString(v.Index(i), path); s != "" {
				return s
			}
		}
	case reflect.String:
		if v.String() == "" {
			return path
		}
	}
	return ""
}

// TestTriggerEveryEvent sends every known event on every platform that sends it with the built
// command, to a receiver built with webhooks.NewSecretReceiver.
func TestTriggerEveryEvent(t *testing.T) {
	t.Parallel()
	const secret = "trigger-test-secret"
	sr, srv := newStrictReceiver(t, secret)
	type tc struct {
		name     events.Name
		platform string
	}
	var cases []tc
	for _, n := range events.All() {
		if n.Platforms().Has(events.Core) {
			cases = append(cases, tc{n, "core"})
		}
		if n.Platforms().Has(events.Legacy) {
			cases = append(cases, tc{n, "legacy"})
		}
	}
	// Fewer processes at once than cases: the machine is shared.
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for _, c := range cases {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := runBin(t, nil, "trigger", string(c.name), "--to", srv.URL+"/hook", "--secret", secret, "--platform", c.platform)
			if r.code != 0 || !strings.HasPrefix(r.stdout, "200 ") {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("%s/%s: exit %d, stdout %q, stderr %q", c.name, c.platform, r.code, r.stdout, r.stderr))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	sr.mu.Lock()
	defer sr.mu.Unlock()
	for _, err := range sr.errs {
		t.Error(err)
	}
	for _, c := range cases {
		want := events.Core
		if c.platform == "legacy" {
			want = events.Legacy
		}
		found := false
		for _, ev := range sr.got[c.name] {
			found = found || ev.Platform == want
		}
		if !found {
			t.Errorf("%s/%s: the receiver did not get it", c.name, c.platform)
		}
	}
}

// TestTriggerDefaultPlatform checks that an event's only platform is the default, Core when both.
func TestTriggerDefaultPlatform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name events.Name
		want string
	}{
		{events.PolicyCreate, `"transactionId"`},     // Legacy only
		{events.PolicyQuoteAccept, `"userLocator"`},  // both: Core
		{events.BillingInvoiceGenerate, `"locator"`}, // Core only
	}
	for _, tt := range tests {
		t.Run(string(tt.name), func(t *testing.T) {
			t.Parallel()
			r := runBin(t, nil, "trigger", string(tt.name), "--to", "http://127.0.0.1:1/hook", "--dry-run")
			if r.code != 0 || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("exit %d, stdout:\n%s\nwant it to contain %s", r.code, r.stdout, tt.want)
			}
		})
	}
}

func TestTriggerFlags(t *testing.T) {
	t.Parallel()
	const secret = "s3cret"
	sr, srv := newStrictReceiver(t, secret)
	r := runBin(t, []string{"SOCOTRA_WEBHOOK_SECRET=" + secret}, "trigger", "billing.invoice.generate", "--to", srv.URL,
		"--set", "data.invoiceType=aggregate", "--header", "X-Trace: abc")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	r = runBin(t, nil, "trigger", "policy.issue", "--platform", "legacy", "--to", srv.URL, "--secret", secret,
		"--data", `{"policyLocator":"100000042"}`)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	sr.mu.Lock()
	defer sr.mu.Unlock()
	inv := sr.got[events.BillingInvoiceGenerate]
	if len(inv) != 1 || !strings.Contains(string(inv[0].Data), `"invoiceType":"aggregate"`) || sr.headers[0].Get("X-Trace") != "abc" {
		t.Errorf("--set/--header: got %+v", inv)
	}
	iss := sr.got[events.PolicyIssue]
	if len(iss) != 1 || string(iss[0].Data) != `{"policyLocator":"100000042"}` || iss[0].Platform != events.Legacy {
		t.Errorf("--data: got %+v", iss)
	}
}

// TestTriggerRefused checks the exit statuses: 1 when the receiver refuses (a wrong secret), 2 on bad usage.
func TestTriggerRefused(t *testing.T) {
	t.Parallel()
	_, srv := newStrictReceiver(t, "right")
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"trigger", "policy.issue", "--to", srv.URL, "--secret", "wrong"}, 1, "401"},
		{[]string{"trigger", "polcy.issue", "--to", srv.URL}, 2, `did you mean "policy.issue"`},
		{[]string{"trigger", "policy.create", "--platform", "core", "--to", srv.URL}, 2, "not sent by core"},
		{[]string{"trigger", "policy.issue"}, 2, "--to URL"},
		{[]string{"trigger", "policy.issue", "--to", "localhost:8080"}, 2, "http://"},
		{[]string{"trigger", "policy.issue", "--to", srv.URL, "--data", "[1]"}, 1, "JSON object"},
		{[]string{"trigger", "policy.issue", "--to", srv.URL, "--set", "nodot"}, 2, "path=value"},
		{[]string{"trigger", "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"trigger", "-h"}, 0, "Examples:"},
		{[]string{"help", "trigger"}, 0, "--dry-run"},
		{[]string{"nosuch"}, 2, "unknown command"},
		{nil, 2, "The commands are"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runBin(t, nil, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.contains) {
				t.Errorf("exit %d (want %d), output:\n%s%s\nwant it to contain %q", r.code, tt.code, r.stdout, r.stderr, tt.contains)
			}
		})
	}
}

// TestTriggerTenantNoRedirect sends the token to --tenant only: a redirect to another port is not
// followed, so the token does not reach it.
func TestTriggerTenantNoRedirect(t *testing.T) {
	t.Parallel()
	var reached atomic.Int32
	other := newHTTPServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Add(1) }))
	tenant := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	r := runBin(t, []string{"SOCOTRA_TOKEN=pat_secret"}, "trigger", "policy.quote.issue", "--tenant", tenant)
	if r.code != 1 || reached.Load() != 0 {
		t.Errorf("exit %d, %d request(s) reached the redirect's target; want 1 and none\n%s", r.code, reached.Load(), r.stderr)
	}
}
