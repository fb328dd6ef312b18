//go:build unix

package pgstore_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/backfill"
	"github.com/socotra-go/sdk/webhooks/pgstore"
)

// The crash tests run receivers in child processes (this test binary again, running only TestCrashChild)
// and kill them with SIGKILL. The environment tells a child what to be.
const (
	childEnv    = "PGSTORE_CRASH_CHILD"  // "tx", "memory" or "backfill"
	childDSN    = "PGSTORE_CRASH_DSN"    // its database
	childTenant = "PGSTORE_CRASH_TENANT" // backfill: the fake tenant's URL, tenant locator and token
	crashSecret = "crash-secret"
)

// TestCrashChild is not a test of its own: it is the receiver process of the crash tests, which serves
// deliveries on the listener it inherits as file descriptor 3 until it is killed.
//
// Every handler run writes its effect row, then prints "wrote <event id>" and waits for a line on stdin
// before it returns (and, with HandleTx, before the transaction commits). The parent answers, or kills the
// child right there: between the write and the commit.
func TestCrashChild(t *testing.T) {
	mode := os.Getenv(childEnv)
	if mode == "" {
		t.Skip("run by the crash tests as a child process")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv(childDSN))
	if err != nil {
		t.Fatal(err)
	}
	var gate sync.Mutex
	stdin := bufio.NewReader(os.Stdin)
	wrote := func(id string) {
		gate.Lock()
		defer gate.Unlock()
		fmt.Printf("wrote %s\n", id)
		if _, err := stdin.ReadString('\n'); err != nil {
			os.Exit(3) // the parent is gone
		}
	}
	insert := "INSERT INTO effects (event_id, handler) VALUES ($1, 'crash')"
	h := webhooks.NewHandler() // the in-memory Deduper
	if mode != "memory" {
		store, err := pgstore.New(ctx, pool, pgstore.WithCleanupInterval(0), pgstore.WithLease(250*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		h = webhooks.NewHandler(webhooks.WithDeduper(store.Deduper()))
		if mode == "backfill" { // a claim left by a killed run would fail the next run's events until it lapses
			h = webhooks.NewHandler(webhooks.WithDeduper(nil))
		}
		if err := store.HandleTx(h, "*", func(ctx context.Context, tx pgx.Tx, ev *webhooks.Event) error {
			if _, err := tx.Exec(ctx, insert, ev.ID); err != nil {
				return err
			}
			wrote(ev.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if mode == "backfill" {
			parts := strings.Fields(os.Getenv(childTenant))
			if len(parts) != 3 {
				t.Fatalf("%s: want the URL, tenant locator and token", childTenant)
			}
			core, err := socotra.NewCoreClient(parts[0], parts[1], parts[2])
			if err != nil {
				t.Fatal(err)
			}
			b, err := backfill.New(h, backfill.WithPageSize(7), backfill.WithFromBeginning())
			if err != nil {
				t.Fatal(err)
			}
			rep, err := b.Stream(ctx, core, store.Checkpoint("stream"))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("done seen=%d handled=%d duplicates=%d\n", rep.Seen, rep.Handled, rep.Duplicates)
			return
		}
	} else {
		h.On("*", func(ctx context.Context, ev *webhooks.Event) error {
			if _, err := pool.Exec(ctx, insert, ev.ID); err != nil {
				return err
			}
			wrote(ev.ID)
			return nil
		})
	}
	rcv, err := webhooks.NewSecretReceiver([]byte(crashSecret), h)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	t.Fatal(http.Serve(l, rcv))
}

// child is one run of the receiver process.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Scanner
	killed atomic.Value // why it was killed
}

func startChild(t *testing.T, mode, dsn string, env []string, listener *os.File) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), append(env, childEnv+"="+mode, childDSN+"="+dsn)...)
	if listener != nil {
		cmd.ExtraFiles = []*os.File{listener}
	}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	dieWithParent(cmd.SysProcAttr, syscall.SIGKILL)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &child{cmd: cmd, stdin: stdin, stdout: bufio.NewScanner(stdout)}
}

// kill sends SIGKILL once, remembering why.
func (c *child) kill(why string) {
	if c.killed.CompareAndSwap(nil, why) {
		c.cmd.Process.Kill()
	}
}

// wait reads the child's output to the end and reaps it; it returns why it was killed ("" if it exited)
// and its last line.
func (c *child) wait() (killedBy, last string) {
	for c.stdout.Scan() {
		last = c.stdout.Text()
	}
	c.cmd.Wait()
	why, _ := c.killed.Load().(string)
	return why, last
}

// crashStats counts what a crash run did.
type crashStats struct {
	children, atWrite, atRandom, resent int
}

func (s crashStats) String() string {
	return fmt.Sprintf("%d receiver processes, %d killed between a write and its commit, %d at random instants, %d diverted events resent",
		s.children, s.atWrite, s.atRandom, s.resent)
}

// crashKills is how many kills of each kind a crash run makes: $PGSTORE_KILLS, else 12.
func crashKills(t *testing.T) int {
	if s := os.Getenv("PGSTORE_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("PGSTORE_KILLS=%q: want a positive number", s)
		}
		return n
	}
	return 12
}

// crashRun delivers n events or more through the fake tenant (with duplicates and reordering) to receiver processes
// in mode, killed kills times between a handler's write and its commit and kills times at random instants,
// then lets a last process run while the tenant retries and the diverted events are resent. It returns the
// database holding the effects and the event ids.
func crashRun(t *testing.T, mode string, n, kills int) (*pgxpool.Pool, []string, crashStats) {
	pool := newDB(t)
	effects(t, pool)
	dsn := pool.Config().ConnString()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lf, err := l.(*net.TCPListener).File() // each child serves the same listener: the URL stays the same
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	srv, core := newTenant(t, socotratest.WithRetryUnit(20*time.Millisecond), socotratest.WithDeliveryTimeout(5*time.Second),
		socotratest.WithFaults(socotratest.Faults{Seed: 7, Duplicate: 0.2, Reorder: 0.1, ReorderWindow: 100 * time.Millisecond}))
	hook, err := core.CreateWebhook(t.Context(), socotra.Webhook{
		Name: "crash", Enabled: true, Events: []events.Name{events.PolicyQuoteIssue},
		Endpoint: socotra.Endpoint{URL: "http://" + l.Addr().String(), HMAC: true, Secret: crashSecret},
		Failure: &socotra.FailureHandling{Triggers: []string{"4xx", "5xx", "timeout"},
			Retry: &socotra.RetryStrategy{Type: socotra.RetryLinear, Interval: 1, Attempts: 10}, Divert: true},
	})
	if err != nil {
		t.Fatal(err)
	}

	var (
		ids      []string
		emitted  atomic.Bool // the emitter is done
		stopEmit atomic.Bool
		done     = make(chan struct{})
	)
	go func() { // events keep coming while receivers die: at least n, more until the kills are over
		defer close(done)
		for i := 0; i < n || !stopEmit.Load() && i < 20*n; i++ {
			e, err := srv.EmitCore(context.Background(), events.PolicyQuoteIssue, nil)
			if err != nil {
				t.Error(err)
				return
			}
			ids = append(ids, e.ID)
			time.Sleep(3 * time.Millisecond)
		}
		emitted.Store(true)
	}()

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 19))
	t.Logf("kill schedule seed %d", seed)
	var st crashStats
	for st.atWrite < kills || st.atRandom < kills {
		atRandom := st.atRandom < kills && (st.atWrite >= kills || rng.IntN(2) == 0)
		allow := rng.IntN(4) // writes let through before the kill at a write
		c := startChild(t, mode, dsn, nil, lf)
		st.children++
		idle := time.AfterFunc(3*time.Second, func() { c.kill("idle") })
		wrote := false
		for c.stdout.Scan() {
			switch line := c.stdout.Text(); {
			case line == "ready" && atRandom:
				time.AfterFunc(time.Duration(rng.Int64N(int64(250*time.Millisecond))), func() { c.kill("random") })
			case strings.HasPrefix(line, "wrote "):
				wrote = true
				if !atRandom && allow == 0 {
					c.kill("write")
					continue
				}
				allow--
				io.WriteString(c.stdin, "\n")
			}
		}
		idle.Stop()
		switch why, _ := c.wait(); why {
		case "write":
			st.atWrite++
		case "random":
			st.atRandom++
		case "idle":
			if !wrote && emitted.Load() {
				t.Logf("nothing left to deliver after %s", st)
				goto settle
			}
		}
	}
settle:
	stopEmit.Store(true)
	<-done
	// A last receiver stays up while the tenant retries; then the diverted events are resent, as an
	// operator (or a backfill) would.
	last := startChild(t, mode, dsn, nil, lf)
	st.children++
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		for last.stdout.Scan() {
			if strings.HasPrefix(last.stdout.Text(), "wrote ") {
				io.WriteString(last.stdin, "\n")
			}
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for round := 0; ; round++ {
		if err := srv.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		diverted := srv.DivertedEvents(hook.Locator)
		if len(diverted) == 0 {
			break
		}
		if round == 5 {
			t.Fatalf("%d events still diverted after 5 rounds of resends", len(diverted))
		}
		for _, d := range diverted {
			if err := core.ResendDivertedEvent(ctx, hook.Locator, d.Event.ID); err != nil {
				t.Fatal(err)
			}
			st.resent++
		}
	}
	last.kill("end")
	<-answered
	last.cmd.Wait()
	return pool, ids, st
}

// Receivers that commit their effect with HandleTx are killed again and again, between the write and the
// commit and at random instants; after the tenant's retries and resends, every event's effect exists
// exactly once. The same run with a handler that writes outside a transaction and the in-memory Deduper
// leaves duplicates: the test can tell.
func TestCrashExactlyOnce(t *testing.T) {
	t.Parallel()
	requireServer(t)
	kills := crashKills(t)
	t.Run("HandleTx", func(t *testing.T) {
		t.Parallel()
		pool, ids, st := crashRun(t, "tx", 300, kills)
		t.Log(st)
		if st.atWrite == 0 || st.atRandom == 0 {
			t.Errorf("the run made no kills of some kind: %s", st)
		}
		effectsOnce(t, pool, ids)
	})
	t.Run("memory deduper", func(t *testing.T) {
		t.Parallel()
		pool, ids, st := crashRun(t, "memory", 300, kills)
		t.Log(st)
		missing, twice := countEffects(t, pool, ids)
		if missing != 0 {
			t.Errorf("%d events have no effect: the in-memory Deduper must lose none", missing)
		}
		if twice == 0 {
			t.Errorf("no event has two effects after %d kills between a write and its acknowledgement: the crash test cannot tell a duplicate", st.atWrite)
		}
		t.Logf("as expected, %d of %d events have more than one effect with the in-memory Deduper", twice, len(ids))
	})
}

// A backfill of the event stream with a pgstore Checkpoint and HandleTx is killed in the middle, again and
// again, between writes and commits; each restart resumes from the checkpoint, and every event's effect
// exists exactly once.
func TestStreamBackfillResumesAfterKill(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	effects(t, pool)
	srv, _ := newTenant(t)
	const n = 120
	var ids []string
	for range n {
		e, err := srv.EmitCore(t.Context(), events.PolicyQuoteIssue, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	env := []string{childTenant + "=" + srv.URL() + " " + srv.TenantLocator() + " " + srv.CoreToken()}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	kills, runs := 0, 0
	var last string
	for {
		runs++
		if runs > 50 {
			t.Fatalf("the backfill did not finish in 50 runs (%d kills); last output %q", kills, last)
		}
		c := startChild(t, "backfill", pool.Config().ConnString(), env, nil)
		var output []string // the child's other lines, for a failure
		allow := rng.IntN(25)
		for c.stdout.Scan() {
			line := c.stdout.Text()
			if !strings.HasPrefix(line, "wrote ") {
				if strings.HasPrefix(line, "done ") {
					last = line
				}
				output = append(output, line)
				continue
			}
			if kills < 6 && allow == 0 {
				c.kill("write")
				continue
			}
			allow--
			io.WriteString(c.stdin, "\n")
		}
		c.cmd.Wait()
		if c.killed.Load() != nil {
			kills++
			continue
		}
		if c.cmd.ProcessState.ExitCode() != 0 {
			t.Fatalf("the backfill process failed (exit %d):\n%s", c.cmd.ProcessState.ExitCode(), strings.Join(output, "\n"))
		}
		break
	}
	if kills == 0 {
		t.Fatal("no run was killed")
	}
	var seen int
	if _, err := fmt.Sscanf(last, "done seen=%d", &seen); err != nil {
		t.Fatalf("last run's output %q: %v", last, err)
	}
	if seen >= n {
		t.Errorf("the last run read %d events, want fewer than %d: it did not resume from the checkpoint", seen, n)
	}
	effectsOnce(t, pool, ids)
	t.Logf("%d runs, %d killed between a write and its commit; the last resumed at event %d of %d", runs, kills, n-seen+1, n)
}

// countEffects returns how many of ids have no effect row, and how many more than one.
func countEffects(t *testing.T, pool *pgxpool.Pool, ids []string) (missing, twice int) {
	t.Helper()
	got := effectCounts(t, pool)
	for _, id := range ids {
		switch got[id] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	return missing, twice
}

// effectCounts returns how many effect rows each event id has.
func effectCounts(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	got := map[string]int{}
	rows, err := pool.Query(context.Background(), "SELECT event_id, count(*) FROM effects GROUP BY 1")
	if err != nil {
		t.Fatal(err)
	}
	var id string
	var k int
	if _, err := pgx.ForEachRow(rows, []any{&id, &k}, func() error { got[id] = k; return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}
