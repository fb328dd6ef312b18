package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// requireTmuxEnv makes TestListenCtrlCInTerminal fail instead of skipping when tmux is missing.
const requireTmuxEnv = "SOCOTRA_WEBHOOKS_REQUIRE_TMUX"

// TestListenCtrlCInTerminal runs listen in a terminal (a tmux session of its own), waits for it to
// forward the stream and say it caught up, presses Ctrl-C, and checks that listen exited 0 with its
// position saved, so the next run forwards exactly the events that came later.
func TestListenCtrlCInTerminal(t *testing.T) {
	t.Parallel()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv(requireTmuxEnv) != "" {
			t.Fatalf("%s is set but tmux is not on PATH", requireTmuxEnv)
		}
		t.Skipf("no tmux on PATH (set %s to require it)", requireTmuxEnv)
	}
	s := socotratest.NewServer()
	t.Cleanup(s.Close)
	const secret = "tmux-secret"
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

	dir := t.TempDir()
	sock, cp, status := filepath.Join(dir, "tmux.sock"), filepath.Join(dir, "listen.cp"), filepath.Join(dir, "status")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	tm := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, tmux, append([]string{"-S", sock}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TERM=xterm", "HOME=" + dir}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	script := "env " + strings.Join(coreEnv(s), " ") + " " + bin + " listen --forward-to " + recv.URL + " --secret " + secret +
		" --checkpoint " + cp + " --interval 50ms; echo exit=$? > " + status + "; sleep 30"
	tm("new-session", "-d", "-s", "listen", "-x", "160", "-y", "40", script)
	t.Cleanup(func() { _ = exec.Command(tmux, "-S", sock, "kill-server").Run() })

	waitFor(t, func() bool {
		return strings.Contains(tm("capture-pane", "-p", "-t", "listen"), "caught up, 2 forwarded")
	})
	tm("send-keys", "-t", "listen", "C-c")
	// The shell creates the file before echo writes to it: wait for the line, not the file.
	var got []byte
	waitFor(t, func() bool { got, _ = os.ReadFile(status); return strings.HasSuffix(string(got), "\n") })
	pane := tm("capture-pane", "-p", "-t", "listen")
	if strings.TrimSpace(string(got)) != "exit=0" {
		t.Fatalf("listen after Ctrl-C: %s; the terminal showed:\n%s", got, pane)
	}
	if !strings.Contains(pane, "position saved in "+cp) {
		t.Errorf("the terminal does not show where the position was saved:\n%s", pane)
	}
	emit()
	r := runBin(t, coreEnv(s), "listen", "--forward-to", recv.URL, "--secret", secret, "--checkpoint", cp, "--max-events", "1")
	if r.code != 0 {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	if ids := sr.ids(t); !slices.Equal(ids, want) {
		t.Errorf("forwarded %v, want %v", ids, want)
	}
}
