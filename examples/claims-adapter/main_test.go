package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/examples/internal/golden"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/manifest"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
)

// TestRun runs the demonstration and compares its output with testdata/output.golden.
func TestRun(t *testing.T) {
	t.Parallel()
	golden.Run(t, "testdata/output.golden", run,
		"Socotra's deliveries got 500, 200 (Socotra retried)",
		"1 event diverted",
		"resent the diverted event: claim.discard -> claim.closed (claim 100000200)",
		"nothing lost: 6 Socotra events, 6 forwarded")
}

// TestDocTable checks that the mapping table in the package documentation is the one the code uses.
func TestDocTable(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^//\t([a-zA-Z.]+)\s+([a-z_.]+)\s+(claim|contact)$`)
	doc := map[events.Name]route{}
	for _, m := range row.FindAllStringSubmatch(string(src), -1) {
		doc[events.Name(m[1])] = route{target: m[2], subject: m[3]}
	}
	if diff := cmp.Diff(mapping, doc, cmp.AllowUnexported(route{})); diff != "" {
		t.Errorf("the doc comment's table differs from mapping (-code +doc):\n%s", diff)
	}
}

// TestManifest checks that socotra-app.json targets Connected Core, subscribes to exactly the mapped
// events, all of them Legacy names, and passes the manifest checker in strict mode.
func TestManifest(t *testing.T) {
	t.Parallel()
	m, err := manifest.Parse(appManifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ValidateStrict(); err != nil {
		t.Fatal(err)
	}
	if m.Platform().Events() != events.Legacy {
		t.Errorf("targets %s, want Connected Core (Legacy)", m.Platform())
	}
	for n := range mapping {
		if !n.SentBy(events.Legacy) {
			t.Errorf("mapping has %q, which Connected Core does not send", n)
		}
	}
	got := slices.Sorted(slices.Values(m.Socotra.Webhooks[0].Events))
	if diff := cmp.Diff(mapped(), got); diff != "" {
		t.Errorf("manifest events differ from the mapping (-mapping +manifest):\n%s", diff)
	}
}

// legacyEvent is a Legacy delivery (seed 003's WebhookPayload) as the receiver decodes it.
func legacyEvent(t *testing.T, typ events.Name, data string) *webhooks.Event {
	t.Helper()
	body := `{"id":"ev-` + string(typ) + `","timestamp":1795422600000,"transactionId":"tx-1","username":"u-9","type":"` +
		string(typ) + `","data":` + data + `}`
	ev, err := webhooks.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ     events.Name
		data    string
		want    string // the JSON body; "" when not forwarded
		wantErr string
	}{
		{events.ClaimCreate, `{"claimLocator":"C1"}`, `{"claim":{"claimLocator":"C1","id":"C1","occurred_at":"2026-11-23T08:30:00Z"},"event_name":"claim.created","performed_by":{"name":"socotra user u-9"},"source":"api"}`, ""},
		{events.ClaimClose, `{"locator":"C2"}`, `{"claim":{"id":"C2","locator":"C2","occurred_at":"2026-11-23T08:30:00Z"},"event_name":"claim.closed","performed_by":{"name":"socotra user u-9"},"source":"api"}`, ""},
		{events.ClaimDiscard, `{"claimLocator":"C3"}`, `{"claim":{"claimLocator":"C3","id":"C3","occurred_at":"2026-11-23T08:30:00Z"},"event_name":"claim.closed","performed_by":{"name":"socotra user u-9"},"source":"api"}`, ""},
		{events.ClaimOpen, `{"claimLocator":"C4"}`, `{"claim":{"claimLocator":"C4","id":"C4","occurred_at":"2026-11-23T08:30:00Z"},"event_name":"claim.reopened","performed_by":{"name":"socotra user u-9"},"source":"api"}`, ""},
		{events.SubClaimReopen, `{"claimLocator":"C4","subClaimLocator":"S1"}`, `{"claim":{"claimLocator":"C4","id":"C4","occurred_at":"2026-11-23T08:30:00Z","subClaimLocator":"S1"},"event_name":"claim.reopened","performed_by":{"name":"socotra user u-9"},"source":"api"}`, ""},
		{events.PolicyholderCreate, `{"policyholderLocator":"K1"}`, `{"contact":{"id":"K1","occurred_at":"2026-11-23T08:30:00Z","policyholderLocator":"K1"},"event_name":"contact.created","performed_by":{"name":"socotra user u-9"},"source":"api"}`, ""},
		{events.ClaimUpdate, `{"claimLocator":"C1"}`, "", ""},
		{events.SubClaimOpen, `{"claimLocator":"C1"}`, "", ""},
		{events.PolicyholderUpdate, `{"policyholderLocator":"K1"}`, "", ""},
		{events.ClaimCreate, `{"status":"open"}`, "", "none of claimLocator, policyholderLocator, locator"},
		{events.ClaimCreate, `null`, "", "none of claimLocator"},
		{events.ClaimCreate, `["C1"]`, "", "data is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ)+" "+tt.data, func(t *testing.T) {
			t.Parallel()
			req, ok, err := translate(legacyEvent(t, tt.typ, tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ok != (tt.want != "") {
				t.Fatalf("forwarded = %t, want %t", ok, tt.want != "")
			}
			if !ok {
				return
			}
			got, _ := json.Marshal(req.Body)
			if string(got) != tt.want {
				t.Errorf("body\n got %s\nwant %s", got, tt.want)
			}
			if req.EventName != mapping[tt.typ].target {
				t.Errorf("event name %q, want %q", req.EventName, mapping[tt.typ].target)
			}
		})
	}
}

// target is a claims system that answers the statuses in codes in turn, then 200.
func target(t *testing.T, codes ...int) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		if r.Header.Get("Event-Name") == "" || r.Header.Get("Idempotency-Key") == "" {
			t.Errorf("request %d lacks Event-Name or Idempotency-Key: %v", n, r.Header)
		}
		if n <= len(codes) {
			w.WriteHeader(codes[n-1])
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestForward(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		codes     []int
		wantCalls int32
		wantErr   string
	}{
		{"first try", nil, 1, ""},
		{"503 then 200", []int{503}, 2, ""},
		{"429 and 408 are retried", []int{429, 408}, 3, ""},
		{"gives up after 3 tries", []int{503, 502, 500, 200}, 3, "(attempt 3 of 3): claims system answered 500"},
		{"400 is not retried", []int{400}, 1, "(attempt 1 of 3): claims system refused the request: 400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, calls := target(t, tt.codes...)
			fw := &forwarder{url: srv.URL, client: srv.Client(), attempts: 3, wait: time.Millisecond, budget: time.Minute, log: slog.New(slog.DiscardHandler)}
			err := fw.forward(t.Context(), legacyEvent(t, "claim.close", `{"claimLocator":"C1"}`))
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("claims system called %d times, want %d", got, tt.wantCalls)
			}
		})
	}
}

// TestForwardCancelled checks that a cancelled delivery stops the retries at once: the context ends
// as the first answer arrives, during the hour-long wait before the second try.
func TestForwardCancelled(t *testing.T) {
	t.Parallel()
	srv, calls := target(t, 503, 503, 503)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	client := *srv.Client()
	client.Transport = cancelAfter{client.Transport, cancel}
	fw := &forwarder{url: srv.URL, client: &client, attempts: 3, wait: time.Hour, budget: time.Minute, log: slog.New(slog.DiscardHandler)}
	err := fw.forward(ctx, legacyEvent(t, "claim.close", `{"claimLocator":"C1"}`))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if calls.Load() != 1 {
		t.Errorf("claims system called %d times, want 1", calls.Load())
	}
}

// cancelAfter is a transport that calls cancel once each request has its answer.
type cancelAfter struct {
	next   http.RoundTripper
	cancel context.CancelFunc
}

func (c cancelAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	defer c.cancel()
	return c.next.RoundTrip(r)
}

// TestReceiverStatus checks the answers Socotra gets: 200 when forwarded or not mapped, 500 when the
// claims system is down (so Socotra retries), 401 for a bad signature, and a second delivery after a
// failure forwards the event again.
func TestReceiverStatus(t *testing.T) {
	t.Parallel()
	srv, calls := target(t, 503, 503, 503)
	secret := []byte("s")
	fw := &forwarder{url: srv.URL, client: srv.Client(), attempts: 3, wait: time.Millisecond, budget: time.Minute, log: slog.New(slog.DiscardHandler)}
	recv, _, err := newReceiver(secret, fw, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(typ events.Name, key []byte) int {
		body := legacyEvent(t, typ, `{"claimLocator":"C1"}`).Raw
		req := httptest.NewRequest(http.MethodPost, "/socotra/claims", bytes.NewReader(body))
		req.Header.Set(hmac.HeaderName, hmac.Sign(key, body))
		rec := httptest.NewRecorder()
		recv.ServeHTTP(rec, req)
		return rec.Code
	}
	for i, step := range []struct {
		typ       events.Name
		key       []byte
		want      int
		wantCalls int32
	}{
		{"claim.close", secret, 500, 3},           // the claims system is down: Socotra must retry
		{"claim.close", secret, 200, 4},           // the retry forwards it
		{"claim.close", secret, 200, 4},           // a third delivery is a duplicate: not forwarded again
		{"claim.update", secret, 200, 4},          // no equivalent: acknowledged, not forwarded
		{"claim.create", []byte("wrong"), 401, 4}, // refused before anything runs
	} {
		if got := deliver(step.typ, step.key); got != step.want {
			t.Errorf("step %d (%s): status %d, want %d", i, step.typ, got, step.want)
		}
		if got := calls.Load(); got != step.wantCalls {
			t.Errorf("step %d (%s): claims system called %d times in all, want %d", i, step.typ, got, step.wantCalls)
		}
	}
}

// TestWithFakeTenant is how to test a receiver end to end: the fake tenant delivers signed events to it
// over HTTP, here each one twice, and the test checks what the claims system received.
func TestWithFakeTenant(t *testing.T) {
	t.Parallel()
	claims, calls := target(t)
	fw := &forwarder{url: claims.URL, client: claims.Client(), attempts: 3, wait: time.Millisecond, budget: time.Minute, log: slog.New(slog.DiscardHandler)}
	recv, _, err := newReceiver([]byte("s3cret"), fw, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewTLSServer(recv) // a Legacy integration carries a secret for https URLs only (seed 003)
	defer app.Close()

	tenant := socotratest.NewServer(socotratest.WithHTTPClient(app.Client()),
		socotratest.WithFaults(socotratest.Faults{Seed: 1, Duplicate: 1}))
	defer tenant.Close()
	if err := tenant.AddLegacyWebhook("claims-adapter", app.URL, "s3cret", events.ClaimCreate); err != nil {
		t.Fatal(err)
	}
	if _, err := tenant.EmitLegacy(t.Context(), events.ClaimCreate, map[string]string{"claimLocator": "C1"}); err != nil {
		t.Fatal(err)
	}
	if err := tenant.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}

	for _, d := range tenant.Deliveries() {
		if d.Status != http.StatusOK {
			t.Errorf("delivery %s attempt %d: status %d", d.EventType, d.Attempt, d.Status)
		}
	}
	if n := len(tenant.Deliveries()); n != 2 {
		t.Errorf("%d deliveries, want 2 (the event and its duplicate)", n)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the claims system got %d requests, want 1: the duplicate must not be forwarded", n)
	}
}

// FuzzTranslate feeds translate any data object a verified delivery could carry: it must not panic,
// and whatever it forwards must be in the claims system's format.
func FuzzTranslate(f *testing.F) {
	for _, seed := range []string{`{"claimLocator":"C1"}`, `{"locator":"K1","staticLocator":"K"}`, `null`, `{}`, `{"locator":7}`, `[1]`, `"x"`} {
		f.Add("claim.create", seed)
		f.Add("policyholder.create", seed)
		f.Add("subClaim.reopen", seed)
	}
	f.Fuzz(func(t *testing.T, typ, data string) {
		if !json.Valid([]byte(data)) {
			return
		}
		body := `{"id":"L","timestamp":1795422600000,"transactionId":"T","type":` + strconv.Quote(typ) + `,"data":` + data + `}`
		ev, err := webhooks.Parse([]byte(body))
		if err != nil {
			return
		}
		req, ok, err := translate(ev)
		if err != nil || !ok {
			return
		}
		r := mapping[ev.Type]
		subject, _ := req.Body[r.subject].(map[string]any)
		if req.EventName != r.target || req.Body["event_name"] != r.target || req.Body["source"] != "api" || subject["id"] == nil {
			t.Fatalf("translate(%s, %s) = %+v", typ, data, req.Body)
		}
		if _, err := json.Marshal(req.Body); err != nil {
			t.Fatalf("body does not encode: %v", err)
		}
	})
}
