package redisstore_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisAddr is the address of the Redis the tests use: one started by TestMain when redis-server is on
// PATH, else $REDIS_ADDR, else "" (the tests skip, or fail when $REDISSTORE_REQUIRE is set, as CI sets it).
var redisAddr string

func TestMain(m *testing.M) {
	stop, err := startRedis()
	if err != nil {
		fmt.Fprintln(os.Stderr, "redisstore tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// startRedis starts redis-server on a free loopback port, without persistence, and waits until it answers.
func startRedis() (stop func(), err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		redisAddr = os.Getenv("REDIS_ADDR")
		return func() {}, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if rdb.Ping(context.Background()).Err() == nil {
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("redis-server on %s did not answer PING within 10s", addr)
		}
	}
	redisAddr = addr
	return stop, nil
}

// newClient returns a client of the test Redis, closed when t ends, or skips t when there is none.
func newClient(t testing.TB) *redis.Client {
	t.Helper()
	if redisAddr == "" {
		if os.Getenv("REDISSTORE_REQUIRE") != "" {
			t.Fatal("REDISSTORE_REQUIRE is set but there is no Redis: install redis-server or set REDIS_ADDR=host:port")
		}
		t.Skip("no Redis: install redis-server (Debian package redis-server) or set REDIS_ADDR=host:port")
	}
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

var (
	runID    = strconv.FormatInt(time.Now().UnixNano(), 36)
	runs     atomic.Int64
	prefixes sync.Map // testing.TB -> its prefix
)

// prefix returns t's key prefix, the same on every call within t. No other test uses it, nor t itself in
// another run: go test -count=N reuses the server, and a Redis given with REDIS_ADDR keeps its keys.
func prefix(t testing.TB) string {
	p, _ := prefixes.LoadOrStore(t, fmt.Sprintf("test:%s-%d:%s:", runID, runs.Add(1), t.Name()))
	return p.(string)
}
