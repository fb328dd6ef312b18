package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
)

// served is a running "serve --json" process.
type served struct {
	serveInfo
	cmd  *exec.Cmd
	done chan error
	home string // the process's $HOME, where it saves its connection details
}

// startServe runs the built command's serve --json with args and reads its connection details. The
// process is interrupted at the end of the test unless the test stopped it.
func startServe(t *testing.T, args ...string) *served {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--json"}, args...)...)
	home := t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, done: make(chan error, 1), home: home}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("serve printed no line: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out); s.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); <-s.done })
	if err := json.Unmarshal([]byte(line), &s.serveInfo); err != nil {
		t.Fatalf("serve --json printed %q: %v", line, err)
	}
	return s
}

// stop sends sig and returns the exit status.
func (s *served) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s")
	}
	s.done <- nil // for the cleanup
	return s.cmd.ProcessState.ExitCode()
}

func (s *served) coreClient(t *testing.T) *socotra.CoreClient {
	t.Helper()
	c, err := socotra.NewCoreClient(s.URL, s.TenantLocator, s.CoreToken)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestServeTriggerTenant(t *testing.T) {
	t.Parallel()
	const secret = "serve-secret"
	sr, recv := newStrictReceiver(t, secret)
	s := startServe(t)
	for _, u := range []string{s.URL, s.ControlURL, s.InspectorURL} {
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Errorf("serve printed %q, want a loopback URL", u)
		}
	}
	if s.TenantLocator == "" || s.CoreToken == "" || s.LegacyUsername == "" || s.LegacyPassword == "" {
		t.Errorf("serve --json left out credentials: %+v", s.serveInfo)
	}
	for _, u := range []string{s.URL + inspectorPrefix, s.URL + inspectorPrefix + "?key=guessed", s.InspectorURL} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[u == s.InspectorURL]; resp.StatusCode != want {
			t.Errorf("GET %s from the built binary: %d, want %d (the inspector needs the key serve printed)", u, resp.StatusCode, want)
		}
	}
	c := s.coreClient(t)
	if _, err := c.CreateWebhook(t.Context(), socotra.Webhook{
		Name: "local", Enabled: true, Events: []events.Name{events.PolicyQuoteIssue},
		Endpoint: socotra.Endpoint{URL: recv.URL + "/hook", HMAC: true, Secret: secret},
	}); err != nil {
		t.Fatal(err)
	}
	r := runBin(t, []string{"SOCOTRA_TOKEN=" + s.CoreToken}, "trigger", "policy.quote.issue", "--tenant", s.URL)
	if r.code != 0 || !strings.Contains(r.stdout, "to 1 webhook(s)") {
		t.Fatalf("trigger --tenant: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
	waitFor(t, func() bool {
		sr.mu.Lock()
		defer sr.mu.Unlock()
		return len(sr.got[events.PolicyQuoteIssue]) == 1
	})
	sr.mu.Lock()
	for _, err := range sr.errs {
		t.Error(err)
	}
	sr.mu.Unlock()

	// Without a token, trigger finds the one serve saved for its user.
	r = runBin(t, []string{"HOME=" + s.home}, "trigger", "policy.quote.issue", "--tenant", s.URL)
	if r.code != 0 || !strings.Contains(r.stdout, "to 1 webhook(s)") {
		t.Fatalf("trigger --tenant without a token: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
	if r := runBin(t, nil, "trigger", "policy.quote.issue", "--tenant", s.URL); r.code != 2 || !strings.Contains(r.stderr, "--token") {
		t.Errorf("trigger --tenant for another user: exit %d, %s; want 2 asking for --token", r.code, r.stderr)
	}
	waitFor(t, func() bool {
		sr.mu.Lock()
		defer sr.mu.Unlock()
		return len(sr.got[events.PolicyQuoteIssue]) == 2
	})
	// A wrong token is refused by the control endpoint.
	r = runBin(t, nil, "trigger", "policy.quote.issue", "--tenant", s.URL, "--token", "pat_wrong")
	if r.code != 1 || !strings.Contains(r.stderr, "401") {
		t.Errorf("trigger --tenant with a wrong token: exit %d, %s", r.code, r.stderr)
	}
	if code := s.stop(t, os.Interrupt); code != 0 {
		t.Errorf("serve exited %d on SIGINT, want 0", code)
	}
	if files, _ := filepath.Glob(filepath.Join(s.home, ".cache", prog, "serve", "*")); len(files) != 0 {
		t.Errorf("serve left %v behind", files)
	}
}

func TestServeStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	if code := s.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("serve exited %d on SIGTERM, want 0", code)
	}
}

func TestServeUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		contains string
	}{
		{[]string{"serve", "--addr", "0.0.0.0:0"}, "--allow-remote"},
		{[]string{"serve", "--addr", ":0"}, "--allow-remote"}, // every interface
		{[]string{"serve", "--addr", "127.0.0.1"}, "host:port"},
		{[]string{"serve", "--faults", "duplicate=2"}, "Duplicate"},
		{[]string{"serve", "--faults", "dupe=0.1"}, "unknown fault"},
		{[]string{"serve", "--faults", "duplicate"}, "name=value"},
		{[]string{"serve", "extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runBin(t, nil, tt.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.contains) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.contains)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("condition not met within 20s")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// get fetches u and returns the status and body.
func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
