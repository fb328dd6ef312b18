package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func coreEnv(s *socotratest.Server) []string {
	return []string{"SOCOTRA_API_URL=" + s.URL(), "SOCOTRA_TENANT=" + s.TenantLocator(), "SOCOTRA_TOKEN=" + s.CoreToken()}
}

// ids returns the event ids the strict receiver got, in arrival order, and fails on decode errors.
func (sr *strictReceiver) ids(t *testing.T) []string {
	t.Helper()
	sr.mu.Lock()
	defer sr.mu.Unlock()
	for _, err := range sr.errs {
		t.Error(err)
	}
	return slices.Clone(sr.order)
}

func TestListenMaxEventsResumes(t *testing.T) {
	t.Parallel()
	s := socotratest.NewServer()
	t.Cleanup(s.Close)
	const secret = "listen-secret"
	sr, recv := newStrictReceiver(t, secret)
	types := []events.Name{events.PolicyQuoteIssue, events.BillingInvoiceGenerate, events.PolicyStatusUpdate,
		events.PolicyQuoteAccept, events.ClaimFnolCreate, events.PolicyChangeIssue, events.DocumentReady}
	var want []string
	for _, typ := range types {
		em, err := s.EmitCore(t.Context(), typ, sampleData(typ, events.Core))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, em.ID)
	}
	cp := filepath.Join(t.TempDir(), "listen.checkpoint")
	// No --since: with --checkpoint, listen starts at the beginning of the stream.
	args := []string{"listen", "--forward-to", recv.URL + "/hook", "--secret", secret, "--checkpoint", cp, "--interval", "50ms"}
	r := runBin(t, coreEnv(s), append(args, "--max-events", "3")...)
	if r.code != 0 {
		t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
	}
	if got := sr.ids(t); !slices.Equal(got, want[:3]) {
		t.Fatalf("first run forwarded %v, want %v", got, want[:3])
	}
	if n := strings.Count(r.stdout, "\n"); n != 3 {
		t.Errorf("first run printed %d lines, want one per event:\n%s", n, r.stdout)
	}
	r = runBin(t, coreEnv(s), append(args, "--max-events", "4", "--json")...)
	if r.code != 0 {
		t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
	}
	if got := sr.ids(t); !slices.Equal(got, want) {
		t.Fatalf("after resuming: forwarded %v, want %v (no loss, no repeats)", got, want)
	}
	if r.stderr != "" || strings.Count(r.stdout, `"ok":true`) != 4 {
		t.Errorf("--json: stdout %q, stderr %q; want four JSON lines and a quiet stderr", r.stdout, r.stderr)
	}
}

func TestListenRetriesWithoutSkipping(t *testing.T) {
	t.Parallel()
	s := socotratest.NewServer()
	t.Cleanup(s.Close)
	const secret = "retry-secret"
	sr, good := newStrictReceiver(t, secret)
	var calls atomic.Int64
	flaky := newFlaky(t, good.URL, 3, &calls) // the first three requests fail
	var want []string
	for range 2 {
		em, err := s.EmitCore(t.Context(), events.PolicyQuoteIssue, sampleData(events.PolicyQuoteIssue, events.Core))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, em.ID)
	}
	r := runBin(t, coreEnv(s), "listen", "--forward-to", flaky, "--secret", secret, "--since", "start", "--max-events", "2", "--max-backoff", "100ms")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := sr.ids(t); !slices.Equal(got, want) {
		t.Errorf("forwarded %v, want %v", got, want)
	}
	if calls.Load() != 5 || !strings.Contains(r.stdout, "will retry") || !strings.Contains(r.stdout, "(attempt 4)") {
		t.Errorf("%d requests, output:\n%s", calls.Load(), r.stdout)
	}
}

// newFlaky returns a URL that answers 503 to the first n requests and proxies the rest to target.
func newFlaky(t *testing.T, target string, n int64, calls *atomic.Int64) string {
	t.Helper()
	srv := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= n {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, target, r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	}))
	return srv
}

// TestListenInterruptSavesCheckpoint sends SIGINT to a running listen, as Ctrl-C in a terminal does,
// and checks that it exits 0 with its position saved, so the next run picks up exactly the rest.
func TestListenInterruptSavesCheckpoint(t *testing.T) {
	t.Parallel()
	s := socotratest.NewServer()
	t.Cleanup(s.Close)
	const secret = "sigint-secret"
	sr, recv := newStrictReceiver(t, secret)
	var want []string
	emit := func() {
		em, err := s.EmitCore(t.Context(), events.PolicyQuoteIssue, sampleData(events.PolicyQuoteIssue, events.Core))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, em.ID)
	}
	emit()
	emit()
	cp := filepath.Join(t.TempDir(), "cp")
	args := []string{"listen", "--forward-to", recv.URL, "--secret", secret, "--since", "start", "--checkpoint", cp, "--interval", "50ms"}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, coreEnv(s)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The receiver records an event before listen has its answer: wait for listen to have saved it too
	// (the checkpoint file is replaced by a rename, so a read never sees half of it).
	waitFor(t, func() bool {
		saved, _ := os.ReadFile(cp)
		return len(sr.ids(t)) == 2 && bytes.Contains(saved, []byte(want[1]))
	})
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("listen after SIGINT: %v (want exit 0); stderr:\n%s", err, stderr.String())
	}
	saved, err := os.ReadFile(cp)
	if err != nil || !bytes.Contains(saved, []byte(want[1])) {
		t.Fatalf("checkpoint %q (%v) does not hold the last forwarded event %s", saved, err, want[1])
	}
	if !strings.Contains(stderr.String(), "position saved in "+cp) {
		t.Errorf("stderr does not say where the position is saved:\n%s", stderr.String())
	}
	emit()
	r := runBin(t, coreEnv(s), append(args, "--max-events", "1")...)
	if r.code != 0 {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	if got := sr.ids(t); !slices.Equal(got, want) {
		t.Errorf("forwarded %v, want %v", got, want)
	}
}

func TestListenUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env      []string
		args     []string
		contains string
	}{
		{nil, []string{"listen"}, "--forward-to URL is required"},
		{nil, []string{"listen", "--forward-to", "http://127.0.0.1:1"}, "--api-url"},
		{[]string{"SOCOTRA_API_URL=http://127.0.0.1:1"}, []string{"listen", "--forward-to", "http://127.0.0.1:1"}, "--tenant"},
		{[]string{"SOCOTRA_API_URL=http://127.0.0.1:1"}, []string{"listen", "--forward-to", "http://127.0.0.1:1", "--platform", "legacy"}, "--username"},
		{nil, []string{"listen", "--forward-to", "http://127.0.0.1:1", "--events", "policy..x"}, "--events"},
		{nil, []string{"listen", "--forward-to", "http://127.0.0.1:1", "--since", "yesterday"}, "RFC 3339"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			env := append([]string{"SOCOTRA_TENANT=t", "SOCOTRA_TOKEN=k"}, tt.env...)
			if strings.Contains(tt.contains, "--tenant") {
				env = tt.env
			}
			r := runBin(t, env, tt.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.contains) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.contains)
			}
		})
	}
}

func TestListenLegacy(t *testing.T) {
	t.Parallel()
	s := socotratest.NewServer()
	t.Cleanup(s.Close)
	const secret = "legacy-secret"
	sr, recv := newStrictReceiver(t, secret)
	var want []string
	for _, typ := range []events.Name{events.PolicyCreate, events.ClaimOpen, events.PolicyIssue} {
		em, err := s.EmitLegacy(t.Context(), typ, sampleData(typ, events.Legacy))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, em.ID)
	}
	user, pass, host := s.LegacyCredentials()
	env := []string{"SOCOTRA_API_URL=" + s.URL(), "SOCOTRA_USERNAME=" + user, "SOCOTRA_PASSWORD=" + pass, "SOCOTRA_HOSTNAME=" + host}
	r := runBin(t, env, "listen", "--platform", "legacy", "--forward-to", recv.URL, "--secret", secret,
		"--since", "start", "--events", "policy.*", "--max-events", "2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := sr.ids(t); !slices.Equal(got, []string{want[0], want[2]}) {
		t.Errorf("forwarded %v, want the policy events %v", got, []string{want[0], want[2]})
	}
	sr.mu.Lock()
	defer sr.mu.Unlock()
	for _, evs := range sr.got {
		for _, ev := range evs {
			if ev.Platform != events.Legacy {
				t.Errorf("%s arrived as %v, want a Legacy delivery", ev.ID, ev.Platform)
			}
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestListenProgress runs listen in process as on a terminal: it says once that it caught up, and
// nothing at all on standard error with --json.
func TestListenProgress(t *testing.T) {
	t.Parallel()
	s := socotratest.NewServer()
	t.Cleanup(s.Close)
	sr, recv := newStrictReceiver(t, "p")
	if _, err := s.EmitCore(t.Context(), events.PolicyQuoteIssue, sampleData(events.PolicyQuoteIssue, events.Core)); err != nil {
		t.Fatal(err)
	}
	for i, asJSON := range []bool{false, true} {
		var stdout, stderr syncBuffer
		e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, progress: true, getenv: func(k string) string {
			return map[string]string{"SOCOTRA_API_URL": s.URL(), "SOCOTRA_TENANT": s.TenantLocator(), "SOCOTRA_TOKEN": s.CoreToken()}[k]
		}}
		args := []string{"listen", "--forward-to", recv.URL, "--secret", "p", "--since", "start", "--interval", "20ms"}
		if asJSON {
			args = append(args, "--json")
		}
		ctx, cancel := context.WithCancel(t.Context())
		exited := make(chan int, 1)
		go func() { exited <- run(ctx, args, e) }()
		// Stop only once the event was forwarded (and, on a terminal, listen said it caught up), then after a
		// few more polls, so a loaded machine makes the run longer instead of the test fail.
		waitFor(t, func() bool {
			sr.mu.Lock()
			n := len(sr.headers) // every request: the second run's delivery is a duplicate the handler never sees
			sr.mu.Unlock()
			return n > i && (asJSON || strings.Contains(stderr.String(), "caught up"))
		})
		time.Sleep(200 * time.Millisecond) // more polls: a repeated "caught up" would show here
		cancel()
		code := <-exited
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		if asJSON {
			if stderr.String() != "" {
				t.Errorf("--json wrote to stderr: %q", stderr.String())
			}
			continue
		}
		if n := strings.Count(stderr.String(), "caught up, 1 forwarded"); n != 1 {
			t.Errorf("stderr says %d times that it caught up, want once:\n%s", n, stderr.String())
		}
	}
}
