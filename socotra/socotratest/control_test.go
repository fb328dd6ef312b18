package socotratest_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func TestControlEmit(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "page") })
	s := newServer(t, socotratest.WithListener(l), socotratest.WithControl(), socotratest.WithHandler("GET /_page/", page))
	if s.URL() != "http://"+l.Addr().String() {
		t.Fatalf("URL = %s, want the listener's address %s", s.URL(), l.Addr())
	}
	recv := newReceiver(t, always(200))
	if _, err := s.AddCoreWebhook(recv.URL, "sec", events.PolicyQuoteIssue); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, auth, body string
		status           int
		contains         string
	}{
		{"no token", "", `{"platform":"core","type":"policy.change.issue"}`, 401, "Core token"},
		{"wrong token", "Bearer nope", `{"platform":"core","type":"policy.change.issue"}`, 401, "Core token"},
		{"bad platform", "Bearer " + s.CoreToken(), `{"platform":"mars","type":"policy.change.issue"}`, 400, "core or legacy"},
		{"unknown member", "Bearer " + s.CoreToken(), `{"platfrom":"core","type":"policy.change.issue"}`, 400, "platfrom"},
		{"malformed name", "Bearer " + s.CoreToken(), `{"type":"Policy Issue"}`, 400, "is not a letter"},
		{"emit", "Bearer " + s.CoreToken(), `{"platform":"core","type":"policy.quote.issue","data":{"quoteLocator":"Q1"}}`, 200, `"webhooks":["`},
		{"core by default", "Bearer " + s.CoreToken(), `{"type":"policy.quote.accept"}`, 200, `"platform":"core"`},
	}
	for _, tt := range tests {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+socotratest.ControlEmitPath, strings.NewReader(tt.body))
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.contains) {
			t.Errorf("%s: %d %s, want %d containing %q", tt.name, resp.StatusCode, b, tt.status, tt.contains)
		}
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(recv.requests()); n != 1 {
		t.Errorf("the webhook got %d deliveries, want 1", n)
	}
	resp, err := http.Get(s.URL() + "/_page/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "page" {
		t.Errorf("WithHandler route answered %q", b)
	}
}

func TestControlOffByDefault(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL()+socotratest.ControlEmitPath,
		strings.NewReader(`{"type":"policy.change.issue"}`))
	req.Header.Set("Authorization", "Bearer "+s.CoreToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("control endpoint without WithControl: %d, want 404", resp.StatusCode)
	}
	if len(s.Events(events.Core)) != 0 {
		t.Error("an event was emitted")
	}
}
